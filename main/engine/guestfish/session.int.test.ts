// Drives a real guestfish child on a scratch disk: markers, tolerated and fatal errors, output without a
// final newline, long writes split under the line limit, and a tar streamed through a FIFO.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { launchAppliance, newLaunchStats } from './launch';
import type { GuestfishSession } from './session';
import { writeFileCommands } from '../plan/common';
import { renderCommand } from '../quote/guestfish';
import { feedFifo, makeFifo } from '../execute/fifo';

let dir: string;
let s: GuestfishSession;
const stats = newLaunchStats();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gp session (test) '));
  // A fresh state dir: this run decides KVM vs TCG on its own, as on a user's first run.
  process.env.GUESTPREP_STATE_DIR = join(dir, 'state');
  const disk = join(dir, 'scratch.raw');
  assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '64M']).status, 0);
  s = await launchAppliance({ drives: [{ path: disk, format: 'raw' }], readonly: false, stats });
  for (const c of [['part-disk', '/dev/sda', 'mbr'], ['mkfs', 'ext4', '/dev/sda1'], ['mount', '/dev/sda1', '/']]) await s.exec(c);
});

after(async () => {
  if (s) {
    s.kill();
    await s.waitExit();
  }
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

test('one appliance launch, with KVM or after falling back to TCG', () => {
  assert.equal(stats.launches, 1);
  assert.ok(stats.hypervisor === 'kvm' || stats.hypervisor === 'tcg');
  if (stats.failedAttempts > 0) assert.equal(stats.hypervisor, 'tcg');
});

test('outputs come back per command, in order, even when pipelined', async () => {
  await s.exec(['write', '/a', 'one\ntwo\n']);
  await s.exec(['write', '/b', 'no final newline']);
  const [a, b, c] = await Promise.all([s.exec(['cat', '/a']), s.exec(['cat', '/b']), s.exec(['is-file', '/a'])]);
  // guestfish `cat` ends its output with a newline of its own: exact bytes need `download` (readText).
  assert.equal(a.output, 'one\ntwo\n');
  assert.equal(b.output, 'no final newline');
  assert.equal(c.output, 'true');
});

test('a tolerated failure returns the libguestfs message and keeps the session', async () => {
  const r = await s.exec(['mkdir', '/a'], { tolerate: true });
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /mkdir: \/a: File exists/);
  assert.equal((await s.exec(['is-dir', '/'])).output, 'true');
});

test('arguments that look like host syntax stay literal (~, |, quotes, $, backticks, non-ASCII)', async () => {
  const nasty = '~root | echo pwned; $(id) `id` "q" \'s\' \\ é 漢\ttab\nline';
  await s.exec(['write', '/nasty', nasty]);
  await s.exec(['mkdir', '/~x |y']);
  assert.equal((await s.exec(['cat', '/nasty'])).output, nasty);
  assert.equal((await s.exec(['is-dir', '/~x |y'])).output, 'true');
});

test('long file contents are written in pieces under the line limit and read back identical', async () => {
  const big = Array.from({ length: 3000 }, (_, i) => `line ${i} "quoted" \\ é\t$HOME`).join('\n') + '\n';
  const lines = writeFileCommands('/big', big).map((c) => renderCommand(c, () => ''));
  assert.ok(lines.length > 5, 'split into several commands');
  for (const l of lines) {
    assert.ok(l.length <= 8191);
    assert.equal((await s.execRaw(l, false)).ok, true);
  }
  await s.exec(['download', '/big', join(dir, 'big.out')]);
  assert.equal(require('node:fs').readFileSync(join(dir, 'big.out'), 'utf8'), big);
});

test('tar-in reads a tar streamed into a FIFO, with byte counts', async () => {
  const tar = spawnSync('tar', ['-cf', '-', '-C', '/etc', 'hostname', 'os-release'], { maxBuffer: 1 << 24 }).stdout;
  const fifo = join(dir, 'in.pipe');
  makeFifo(fifo);
  let last = 0;
  const feed = feedFifo(fifo, Readable.from([tar]), (n) => (last = n));
  await s.exec(['mkdir', '/t']);
  await s.exec(['tar-in', fifo, '/t']);
  assert.equal(await feed.done, tar.length);
  assert.equal(last, tar.length);
  assert.equal((await s.exec(['is-file', '/t/hostname'])).output, 'true');
});

test('a FIFO that guestfish never opens is abandoned without hanging', async () => {
  const fifo = join(dir, 'never.pipe');
  makeFifo(fifo);
  const feed = feedFifo(fifo, Readable.from([Buffer.alloc(1 << 20)]));
  const r = await s.exec(['tar-in', fifo, '/does/not/exist'], { tolerate: true });
  // guestfish checks the target first here; whichever way it failed, abandoning must settle the feed.
  assert.equal(r.ok, false);
  feed.abandon();
  // Settles either way (EPIPE if guestfish opened and closed it): what matters is that it does not hang.
  await feed.done.catch(() => undefined);
});

test('a fatal failure ends guestfish and rejects with the message', async () => {
  await assert.rejects(s.exec(['mkdir', '/a']), (e: Error & { code?: string }) => e.code === 'STEP_FAILED' && /File exists/.test(e.message));
  await s.waitExit();
  const r = await s.exec(['is-dir', '/'], { tolerate: true });
  assert.equal(r.ok, false);
});
