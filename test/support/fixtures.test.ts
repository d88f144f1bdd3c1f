import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildScriptKey, buildScriptPath, copyGuest, ensureBootableGuests, guestsIn, sha256File } from './fixtures';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-fixtures-test-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

// A stand-in for the real build script: writes the same layout in well under a second, counts
// its runs in a file next to the cache, and sleeps so concurrent callers really overlap.
function fakeScript(dir: string, sleepSeconds = 1): { script: string; runs: string } {
  const runs = path.join(dir, 'runs.txt');
  const script = path.join(dir, 'fake-build.sh');
  fs.writeFileSync(script, `#!/usr/bin/env bash
set -euo pipefail
out=$1
echo run >> ${JSON.stringify(runs)}
sleep ${sleepSeconds}
for g in systemd sysvinit rclocal; do
  mkdir -p "$out/$g" "$out/VirtualBox VMs/Node ($g)"
  echo kernel > "$out/$g/vmlinuz"; echo initrd > "$out/$g/initrd.img"
  echo "disk of $g" > "$out/VirtualBox VMs/Node ($g)/node.vdi"
done
`);
  return { script, runs };
}

test('the real build script is found and keyed by 16 hex digits', () => {
  const s = buildScriptPath();
  assert.ok(s.endsWith(path.join('test', 'fixtures', 'build-bootable-guests.sh')));
  assert.match(buildScriptKey(s), /^[0-9a-f]{16}$/);
});

test('the cache key changes with the script content', (t) => {
  const d = tmp(t);
  const f = path.join(d, 's.sh');
  fs.writeFileSync(f, 'echo a\n');
  const a = buildScriptKey(f);
  fs.writeFileSync(f, 'echo b\n');
  assert.notEqual(buildScriptKey(f), a);
});

test('guestsIn gives the VirtualBox-style layout with spaces and parentheses', () => {
  const g = guestsIn('/cache/k');
  assert.equal(g.rclocal.vdi, path.join('/cache/k', 'VirtualBox VMs', 'Node (rclocal)', 'node.vdi'));
  assert.equal(g.sysvinit.kernel, path.join('/cache/k', 'sysvinit', 'vmlinuz'));
  assert.equal(g.systemd.initrd, path.join('/cache/k', 'systemd', 'initrd.img'));
  assert.equal(g.systemd.hostname, 'gp-systemd');
});

test('two concurrent callers build once; later callers reuse the cache', async (t) => {
  const d = tmp(t);
  const { script, runs } = fakeScript(d);
  const cacheRoot = path.join(d, 'cache');
  const [a, b] = await Promise.all([ensureBootableGuests({ script, cacheRoot }), ensureBootableGuests({ script, cacheRoot })]);
  assert.deepEqual(a, b);
  assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n');
  await ensureBootableGuests({ script, cacheRoot });
  assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n');
  assert.ok(a.systemd.vdi.startsWith(path.join(cacheRoot, buildScriptKey(script))));
  assert.equal(fs.readFileSync(a.sysvinit.vdi, 'utf8'), 'disk of sysvinit\n');
  assert.equal(fs.existsSync(`${path.join(cacheRoot, buildScriptKey(script))}.lock`), false);
});

test('a lock left by a dead builder is taken over', async (t) => {
  const d = tmp(t);
  const { script, runs } = fakeScript(d, 0);
  const cacheRoot = path.join(d, 'cache');
  const dead = spawnSync('true').pid;
  fs.mkdirSync(cacheRoot, { recursive: true });
  fs.writeFileSync(`${path.join(cacheRoot, buildScriptKey(script))}.lock`, `${dead}\n`);
  await ensureBootableGuests({ script, cacheRoot });
  assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n');
});

test('a failing build reports the log tail and releases the lock', async (t) => {
  const d = tmp(t);
  const script = path.join(d, 'broken.sh');
  fs.writeFileSync(script, 'echo "E: mirror unreachable" >&2\nexit 3\n');
  const cacheRoot = path.join(d, 'cache');
  await assert.rejects(ensureBootableGuests({ script, cacheRoot }), /exit 3[\s\S]*E: mirror unreachable/);
  assert.equal(fs.existsSync(`${path.join(cacheRoot, buildScriptKey(script))}.lock`), false);
});

test('copyGuest copies the VDI under "VirtualBox VMs/Node (1)" in a fresh dir, source untouched', async (t) => {
  const d = tmp(t);
  const src = path.join(d, 'src.vdi');
  fs.writeFileSync(src, Buffer.alloc(70_000, 7));
  const before = await sha256File(src);
  const guest = { name: 'systemd' as const, vdi: src, kernel: '/k', initrd: '/i', hostname: 'gp-systemd' };
  const c1 = await copyGuest(guest, path.join(d, 'copies'));
  const c2 = await copyGuest(guest, path.join(d, 'copies'));
  assert.notEqual(c1.dir, c2.dir);
  assert.equal(c1.vdi, path.join(c1.dir, 'VirtualBox VMs', 'Node (1)', 'node.vdi'));
  assert.equal(await sha256File(c1.vdi), before);
  fs.writeFileSync(c1.vdi, 'changed');
  assert.equal(await sha256File(src), before);
  assert.equal(c1.kernel, '/k');
});

test('sha256File matches a known digest', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'abc');
  fs.writeFileSync(f, 'abc');
  assert.equal(await sha256File(f), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
