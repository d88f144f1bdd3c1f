import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdersOf, waitUntilUnheld } from './file-holders';

test('a process holding a file is found by the file\'s real path; once it ends nobody holds it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-holders-'));
  const file = join(dir, 'overlay.qcow2');
  writeFileSync(file, 'x');
  // One process (sh becomes sleep) holds the file open on fd 3 for as long as it sleeps.
  const child = spawn('sh', ['-c', 'exec sleep 30 3<"$1"', 'sh', file], { stdio: 'ignore' });
  try {
    const seen = await waitFor(() => holdersOf([join(dir, '.', 'overlay.qcow2')]).length > 0);
    assert.ok(seen, 'the holder was found');
    const [h] = holdersOf([file]);
    assert.equal(h!.pid, child.pid);
    assert.equal(h!.file, file);
  } finally {
    child.kill('SIGKILL');
  }
  assert.deepEqual(await waitUntilUnheld([file], 5_000), []);
  assert.deepEqual(holdersOf([join(dir, 'missing')]), []);
});

async function waitFor(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
