// Recovery of runs interrupted before their commit: no appliance needed, only the journal and the run folder.
// (Finishing an interrupted commit needs qemu-img and an appliance: crash.int.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryJournal } from './journal';
import type { RunOwner } from './owner';
import { selfOwner } from './owner';
import { recoverInterrupted } from './recover';
import { imageIdentity } from './transaction';

const dead: RunOwner = { pid: 999_999_999, startTicks: 1, bootId: 'before-the-power-cut', program: 'guestprep prepare' };

test('runs interrupted before committing are rolled back: overlay deleted, image untouched, user told', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-recover-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = join(dir, 'disk.vdi');
  writeFileSync(image, 'image bytes');
  const j = memoryJournal();
  for (const [id, phase] of [['p', 'planned'], ['w', 'writing'], ['v', 'verified']] as const) {
    const runDir = join(dir, 'runs', id);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'overlay.qcow2'), 'overlay');
    j.claim({ runId: id, kind: 'prepare', image: `${image}-${id}`, format: 'vdi', runDir, overlay: join(runDir, 'overlay.qcow2'), owner: dead, before: imageIdentity(image) });
    if (phase !== 'planned') j.update(id, phase);
  }
  // A live run is none of recovery's business.
  j.claim({ runId: 'live', kind: 'prepare', image: '/vm/other.vdi', format: 'vdi', runDir: join(dir, 'runs', 'live'), overlay: 'x', owner: selfOwner('guestprep prepare') });

  const told: string[] = [];
  const out = await recoverInterrupted(j, { onEvent: (e) => e.type === 'log' && told.push(e.message) });
  assert.deepEqual(out.map((o) => [o.runId, o.phase, o.action]), [['p', 'planned', 'rolled-back'], ['w', 'writing', 'rolled-back'], ['v', 'verified', 'rolled-back']]);
  for (const o of out) {
    assert.match(o.message, /The image was never written; its temporary overlay was deleted\./);
    assert.equal(existsSync(join(dir, 'runs', o.runId)), false);
    assert.equal(j.get(o.runId)?.phase, 'rolled-back');
    assert.equal(o.launches, 0);
  }
  assert.match(out[1].message, /while writing into its temporary overlay/);
  assert.equal(told.length, 3);
  assert.deepEqual(j.open().map((e) => e.runId), ['live']);
  // A second start has nothing left to do.
  assert.deepEqual(await recoverInterrupted(j), []);
});
