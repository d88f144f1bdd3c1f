// The adapters (CLI, backend, bridge, Electron main) reach the engine through engine/api.ts only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as api from './api';

const main = path.resolve(__dirname, '..', '..', '..', 'main');

test('the CLI, the backend, the bridge and the Electron main process import the engine only through engine/api', () => {
  const offenders: string[] = [];
  for (const dir of ['cli', 'backend', 'bridge', 'electron']) {
    for (const f of fs.readdirSync(path.join(main, dir))) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
      const src = fs.readFileSync(path.join(main, dir, f), 'utf8');
      for (const m of src.matchAll(/from\s+'(\.\.\/engine\/[^']+)'/g)) if (m[1] !== '../engine/api') offenders.push(`${dir}/${f}: ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the API offers the operations', () => {
  for (const op of ['inspectImage', 'prepare', 'prepareBatch', 'retarget', 'remove', 'recoverInterrupted', 'engineCapabilities'] as const) {
    assert.equal(typeof api[op], 'function', op);
  }
});
