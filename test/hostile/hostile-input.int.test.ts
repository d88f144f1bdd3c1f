// Hostile and broken input that only inspection can refuse (no OS, two OSes, an encrypted root, a full
// disk, a Windows JRE for a Linux guest): each row runs the real prepare() on a real (small) disk and costs
// exactly one appliance launch, after which the image must be byte-identical and no overlay left behind.
// The disks are built together in one more launch (main/sample/special-disks.ts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildSpecialDisks, type SpecialDisksResult } from '../../main/sample/special-disks';
import { HOSTILE_ROWS } from './cases';
import { Fixtures, runRow } from './harness';

let fx: Fixtures;
let disks: Promise<SpecialDisksResult> | undefined;
const savedStateDir = process.env.GUESTPREP_STATE_DIR;

before(() => {
  fx = new Fixtures(async () => (await disks!).paths);
  process.env.GUESTPREP_STATE_DIR = join(fx.root, 'state');
  disks = buildSpecialDisks(join(fx.root, 'disks'));
  // Reported by the first test; without this a failed build would be an unhandled rejection meanwhile.
  disks.catch(() => undefined);
});

after(() => {
  if (savedStateDir === undefined) delete process.env.GUESTPREP_STATE_DIR;
  else process.env.GUESTPREP_STATE_DIR = savedStateDir;
  fx.remove();
});

test('the special disks are built in one appliance launch', async (t) => {
  const r = await disks!;
  assert.equal(r.launches, 1);
  t.diagnostic(`builder: ${r.launches} launch, ${r.failedLaunchAttempts} failed attempt(s) (the KVM probe on hosts where KVM is broken)`);
});

for (const row of HOSTILE_ROWS.filter((r) => r.appliance)) {
  test(row.name, async (t) => {
    const e = await runRow(row, fx, 10 * 60_000);
    t.diagnostic(`${row.kase} | ${e.code} | ${e.message} | fix: ${e.fix}`);
  });
}
