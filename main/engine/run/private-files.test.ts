import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from './private-files';
import { ensureStateDir, newRunDir } from './state';

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

function withUmask<T>(mask: number, fn: () => T): T {
  const saved = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(saved);
  }
}

function temp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-private-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

for (const mask of [0o022, 0o000]) {
  test(`folders 0700 and files 0600 whatever the umask (${mask.toString(8).padStart(3, '0')})`, (t) => {
    const d = temp(t);
    withUmask(mask, () => {
      assert.equal(ensurePrivateDir(path.join(d, 'a', 'b')), undefined);
      assert.equal(modeOf(path.join(d, 'a', 'b')), 0o700);
      ensurePrivateFile(path.join(d, 'a', 'b', 'f'));
      assert.equal(modeOf(path.join(d, 'a', 'b', 'f')), 0o600);
    });
  });

  test(`the state folder for overlays is private, a run folder too (umask ${mask.toString(8).padStart(3, '0')})`, (t) => {
    const d = temp(t);
    const saved = process.env.GUESTPREP_STATE_DIR;
    process.env.GUESTPREP_STATE_DIR = path.join(d, 'state');
    t.after(() => (saved === undefined ? delete process.env.GUESTPREP_STATE_DIR : (process.env.GUESTPREP_STATE_DIR = saved)));
    withUmask(mask, () => {
      const run = newRunDir();
      assert.deepEqual([modeOf(path.join(d, 'state')), modeOf(path.join(d, 'state', 'runs')), modeOf(run.dir)], [0o700, 0o700, 0o700]);
    });
  });
}

test('an existing folder others can read is tightened and said; a private one is left as it is', (t) => {
  const d = temp(t);
  const dir = path.join(d, 'data');
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  assert.match(ensurePrivateDir(dir)!, /data could be read by other users of this machine \(mode 0755\): it is now 0700/);
  assert.equal(modeOf(dir), 0o700);
  assert.equal(ensurePrivateDir(dir), undefined);
  const f = path.join(dir, 'db');
  fs.writeFileSync(f, 'x', { mode: 0o644 });
  fs.chmodSync(f, 0o644);
  ensurePrivateFile(f);
  assert.equal(modeOf(f), 0o600);
  assert.equal(fs.readFileSync(f, 'utf8'), 'x', 'never truncated');
  const saved = process.env.GUESTPREP_STATE_DIR;
  process.env.GUESTPREP_STATE_DIR = dir;
  fs.chmodSync(dir, 0o755);
  try {
    ensureStateDir();
  } finally {
    if (saved === undefined) delete process.env.GUESTPREP_STATE_DIR;
    else process.env.GUESTPREP_STATE_DIR = saved;
  }
  assert.equal(modeOf(dir), 0o700);
});
