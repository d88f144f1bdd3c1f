// Hostile and broken input refused on the host, before any overlay or appliance launch: each row runs the
// real prepare() and checks the error (code, message, fix), that the image is byte-identical and that
// nothing is left in the state dir. The rows that need inspection are in hostile-input.int.test.ts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HOSTILE_ROWS, ISSUE_CASES } from './cases';
import { Fixtures, runRow } from './harness';

let fx: Fixtures;
const savedStateDir = process.env.GUESTPREP_STATE_DIR;

before(() => {
  fx = new Fixtures();
  // A state dir of this file's own, so "no run directory left" is not confused by other test files.
  process.env.GUESTPREP_STATE_DIR = join(fx.root, 'state');
});

after(() => {
  if (savedStateDir === undefined) delete process.env.GUESTPREP_STATE_DIR;
  else process.env.GUESTPREP_STATE_DIR = savedStateDir;
  fx.remove();
});

test('the table covers every case of the issue, at least 25 rows', () => {
  const kases = new Set(HOSTILE_ROWS.map((r) => r.kase));
  assert.deepEqual(ISSUE_CASES.filter((c) => !kases.has(c)), []);
  assert.equal(kases.size, HOSTILE_ROWS.length, 'one row per case id');
  assert.ok(HOSTILE_ROWS.length >= 25, `${HOSTILE_ROWS.length} rows`);
});

for (const row of HOSTILE_ROWS.filter((r) => !r.appliance)) {
  test(row.name, async (t) => {
    const e = await runRow(row, fx, 60_000);
    t.diagnostic(`${row.kase} | ${e.code} | ${e.message} | fix: ${e.fix}`);
  });
}
