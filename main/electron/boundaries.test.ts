// Only the Electron shell (main/electron) and the preload may import 'electron': the engine, the backend,
// the CLI and the bridge must keep running under plain Node (`guestprep` CLI, `guestprep serve`), and the
// renderer must stay a web page.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') sources(p, out);
    } else if (/\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `import ... from 'electron'`, `require('electron')`, `import('electron')`, `export ... from 'electron'`,
// but not `import type` (type-only imports vanish at compile time).
const RUNTIME_ELECTRON = /(?:^|\n)\s*(?:import(?!\s+type\b)[^'";]*from\s*|export[^'";]*from\s*|import\s*)['"]electron(?:\/[^'"]*)?['"]|\brequire\(\s*['"]electron['"]\s*\)|\bimport\(\s*['"]electron['"]\s*\)/;

test('the pattern sees runtime imports of electron and ignores type-only ones', () => {
  assert.match("import { app } from 'electron';", RUNTIME_ELECTRON);
  assert.match("const e = require('electron');", RUNTIME_ELECTRON);
  assert.match("import 'electron';", RUNTIME_ELECTRON);
  assert.match("import {\n  app,\n  shell,\n} from 'electron';", RUNTIME_ELECTRON);
  assert.doesNotMatch("import type {\n  App,\n} from 'electron';", RUNTIME_ELECTRON);
  assert.doesNotMatch("import type { App } from 'electron';", RUNTIME_ELECTRON);
  assert.doesNotMatch("import { x } from './electron-ish';", RUNTIME_ELECTRON);
});

test('nothing outside main/electron and preload imports electron at run time', () => {
  const allowed = [path.join(repo, 'main', 'electron') + path.sep, path.join(repo, 'preload') + path.sep];
  const scanned = [...sources(path.join(repo, 'main')), ...sources(path.join(repo, 'renderer')), ...sources(path.join(repo, 'bin'))];
  assert.ok(scanned.some((f) => f.includes(`${path.sep}engine${path.sep}`)), 'the engine sources were found and scanned');
  const offenders = scanned
    .filter((f) => !allowed.some((a) => f.startsWith(a)))
    .filter((f) => RUNTIME_ELECTRON.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(repo, f));
  assert.deepEqual(offenders, []);
});
