import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestprepError } from '../errors';
import { checkClaim, JournalEntry, memoryJournal } from './journal';
import type { RunOwner } from './owner';

const alive: RunOwner = { pid: 1, program: 'guestprep prepare' };
const dead: RunOwner = { pid: 2, program: 'the Guestprep app' };
const isAlive = (o: RunOwner) => o.pid === 1;

function entry(runId: string, image: string, owner: RunOwner) {
  return { runId, kind: 'prepare' as const, image, format: 'vdi' as const, runDir: `/state/${runId}`, overlay: `/state/${runId}/overlay.qcow2`, owner };
}

function code(f: () => unknown): GuestprepError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof GuestprepError);
    return err;
  }
  assert.fail('expected an error');
}

test('a second run on the same image is refused, naming the first run and its process', () => {
  const j = memoryJournal({ alive: isAlive });
  j.claim(entry('run-a', '/vm/a.vdi', alive));
  const e = code(() => j.claim(entry('run-b', '/vm/a.vdi', alive)));
  assert.equal(e.code, 'IMAGE_BUSY');
  assert.match(e.message, /Run run-a \(guestprep prepare, process 1, started .*\) is already preparing \/vm\/a\.vdi/);
  assert.match(e.fix, /Wait for run run-a to finish or cancel it/);
  // Another image is free.
  j.claim(entry('run-c', '/vm/c.vdi', alive));
  // Once the first ends, the image is free again.
  j.update('run-a', 'done');
  j.claim(entry('run-d', '/vm/a.vdi', alive));
});

test('an interrupted run blocks its image until it is recovered', () => {
  const j = memoryJournal({ alive: isAlive });
  j.claim(entry('run-a', '/vm/a.vdi', dead));
  j.update('run-a', 'committing');
  const e = code(() => j.claim(entry('run-b', '/vm/a.vdi', alive)));
  assert.equal(e.code, 'RECOVERY_PENDING');
  assert.match(e.fix, /guestprep recover/);
});

test('adopt takes over only open runs of a dead owner, once', () => {
  const j = memoryJournal({ alive: isAlive });
  j.claim(entry('gone', '/vm/a.vdi', dead));
  j.claim(entry('live', '/vm/b.vdi', alive));
  assert.equal(j.adopt('live', alive), undefined, 'a live run is not adopted');
  const got = j.adopt('gone', alive);
  assert.equal(got?.owner.pid, 1);
  assert.equal(j.adopt('gone', { ...alive, pid: 3 }), undefined, 'now owned by a live process');
  j.update('gone', 'rolled-back');
  assert.deepEqual(j.open().map((x) => x.runId), ['live']);
});

test('the recipe recorded at verified is kept with the entry', () => {
  const j = memoryJournal({ alive: isAlive });
  j.claim(entry('r', '/vm/a.vdi', alive));
  j.update('r', 'verified', { verify: { mounts: [{ mountpoint: '/', device: '/dev/sda1' }], expectations: [{ kind: 'absent', path: '/x' }] } });
  j.update('r', 'committing');
  const e = j.get('r') as JournalEntry;
  assert.equal(e.phase, 'committing');
  assert.deepEqual(e.verify?.mounts, [{ mountpoint: '/', device: '/dev/sda1' }]);
});

test('checkClaim ignores ended runs and other images', () => {
  const base = { ...entry('x', '/vm/a.vdi', alive), startedAt: 't', updatedAt: 't' };
  checkClaim([{ ...base, phase: 'done' }, { ...base, phase: 'failed' }, { ...base, phase: 'rolled-back' }, { ...base, image: '/vm/b.vdi', phase: 'writing' }], '/vm/a.vdi', isAlive);
});
