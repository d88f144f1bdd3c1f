// main/rules is imported by the page as well as by the engine: it must stay Node-free. At run time a rule
// module may import only its sibling rules; types may come from the engine (type-only imports vanish at
// compile time). Tests (*.test.ts) run under Node and may import what they like.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(__dirname, '..', '..', '..', 'main', 'rules');

/** Every module a file imports at run time: import ... from, export ... from, bare import, require(), import(). */
function runtimeImports(src: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(import(\s+type\b)?[^'";]*?from\s*|export(\s+type\b)?[^'";]*?from\s*|import\s*)['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) {
    if (m[2] || m[3]) continue;
    out.push((m[4] ?? m[5] ?? m[6])!);
  }
  return out;
}

test('the import reader sees runtime imports and skips type-only ones', () => {
  assert.deepEqual(runtimeImports("import { a } from './a';\nimport type { T } from '../engine/types';\nexport { b } from './b';\nimport 'x';"), ['./a', './b', 'x']);
  assert.deepEqual(runtimeImports("import {\n  a,\n} from 'node:net';"), ['node:net']);
});

test('rules import nothing at run time but sibling rules (no node:, no engine code, no packages)', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(files.length >= 5, 'the rule sources were found');
  const offenders = files.flatMap((f) => runtimeImports(fs.readFileSync(path.join(dir, f), 'utf8'))
    .filter((m) => !/^\.\/[\w-]+$/.test(m))
    .map((m) => `${f} imports ${m}`));
  assert.deepEqual(offenders, []);
});
