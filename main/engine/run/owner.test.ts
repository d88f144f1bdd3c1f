import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { currentBootId, ownerAlive, ownerOf, parseStartTicks, selfOwner } from './owner';

test('parseStartTicks reads field 22 even when the command name has spaces and parentheses', () => {
  const rest = Array.from({ length: 50 }, (_, i) => String(i + 3)).join(' ');
  assert.equal(parseStartTicks(`123 (node) ${rest}`), 22);
  assert.equal(parseStartTicks(`123 (a b) (c)) ${rest}`), 22);
  assert.equal(parseStartTicks('garbage'), undefined);
});

test('this process is alive; with another start time or boot id it is someone else', () => {
  const me = selfOwner('test');
  assert.equal(me.pid, process.pid);
  assert.ok(me.startTicks !== undefined, 'Linux gives the start time');
  assert.equal(ownerAlive(me), true);
  assert.equal(ownerAlive({ ...me, startTicks: (me.startTicks ?? 0) + 1 }), false, 'a reused PID is not the owner');
  assert.ok(currentBootId());
  assert.equal(ownerAlive({ ...me, bootId: '00000000-0000-0000-0000-000000000000' }), false, 'after a reboot nobody is the owner');
});

test('a process that exited is not alive', () => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(r.stdout.toString());
  const gone = ownerOf(pid, 'child');
  // Its /proc entry is gone, so no start time could be read: the identity falls back to the PID test.
  assert.equal(ownerAlive({ ...gone, startTicks: 1 }), false);
});
