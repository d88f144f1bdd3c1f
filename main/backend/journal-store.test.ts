// The SQLite journal as the app and the CLI use it: two connections on one database file, as two processes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './store';
import { GuestprepError } from '../engine/errors';
import type { RunOwner } from '../engine/run/owner';
import { selfOwner } from '../engine/run/owner';

function tempDb(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'guestprep.db');
}

const deadOwner: RunOwner = { pid: 999_999_999, startTicks: 1, bootId: 'gone', program: 'guestprep prepare' };

function entry(runId: string, image: string, owner: RunOwner) {
  return { runId, kind: 'prepare' as const, image, format: 'vdi' as const, runDir: `/state/${runId}`, overlay: `/state/${runId}/overlay.qcow2`, owner, before: { size: 1, mtimeMs: 2, ino: 3 } };
}

test('a claim in one connection refuses the same image in another, naming the run', (t) => {
  const file = tempDb(t);
  const app = openStore(file);
  const cli = openStore(file);
  try {
    app.journal.claim(entry('run-app', '/vm/a.vdi', selfOwner('the Guestprep app')));
    assert.throws(
      () => cli.journal.claim(entry('run-cli', '/vm/a.vdi', selfOwner('guestprep prepare'))),
      (e: unknown) => e instanceof GuestprepError && e.code === 'IMAGE_BUSY' && /Run run-app \(the Guestprep app, process \d+/.test(e.message),
    );
    cli.journal.claim(entry('run-cli', '/vm/b.vdi', selfOwner('guestprep prepare')));
    assert.deepEqual(app.journal.open().map((e) => e.runId).sort(), ['run-app', 'run-cli']);
  } finally {
    app.close();
    cli.close();
  }
});

test('phases and the verification recipe survive closing and reopening the database', (t) => {
  const file = tempDb(t);
  const a = openStore(file);
  a.journal.claim(entry('r1', '/vm/a.vdi', deadOwner));
  a.journal.update('r1', 'writing');
  a.journal.update('r1', 'verified', { verify: { mounts: [{ mountpoint: '/', device: '/dev/sda2' }], expectations: [{ kind: 'dir', path: '/opt/proactive', mode: 0o755, uid: 0, gid: 0 }] } });
  a.journal.update('r1', 'committing');
  a.close();
  const b = openStore(file);
  try {
    const e = b.journal.get('r1');
    assert.equal(e?.phase, 'committing');
    assert.deepEqual(e?.before, { size: 1, mtimeMs: 2, ino: 3 });
    assert.equal(e?.verify?.mounts[0].device, '/dev/sda2');
    assert.equal(e?.verify?.expectations.length, 1);
    // Its owner is gone: the image waits for recovery.
    assert.throws(() => b.journal.claim(entry('r2', '/vm/a.vdi', selfOwner('x'))), (err: unknown) => err instanceof GuestprepError && err.code === 'RECOVERY_PENDING');
  } finally {
    b.close();
  }
});

test('only one of two connections adopts an interrupted run', (t) => {
  const file = tempDb(t);
  const a = openStore(file);
  const b = openStore(file);
  try {
    a.journal.claim(entry('r1', '/vm/a.vdi', deadOwner));
    const first = a.journal.adopt('r1', selfOwner('the Guestprep app'));
    const second = b.journal.adopt('r1', selfOwner('guestprep recover'));
    assert.equal(first?.owner.program, 'the Guestprep app');
    assert.equal(second, undefined);
    a.journal.update('r1', 'rolled-back', { note: 'undone' });
    assert.equal(b.journal.open().length, 0);
    assert.equal(b.journal.list()[0].note, 'undone');
  } finally {
    a.close();
    b.close();
  }
});

test('updating an unknown run is a bug, said as such', (t) => {
  const s = openStore(tempDb(t));
  try {
    assert.throws(() => s.journal.update('nope', 'done'), (e: unknown) => e instanceof GuestprepError && e.code === 'INTERNAL');
  } finally {
    s.close();
  }
});
