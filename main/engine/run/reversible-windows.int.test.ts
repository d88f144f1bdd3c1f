// Idempotent and reversible on the phony Windows 10 sample (real NTFS, real SYSTEM hive), end to end:
//   A  prepare            B  prepare, prepare (same settings)            C  prepare, retarget
// A == B: the whole file tree (install.json's time stamps masked, the SYSTEM hive compared as registry:
// the service's key exported from both is the same text); then remove on all three, and base == A == B == C:
// the file tree, and the WHOLE SYSTEM hive exported as .reg. The hive file's bytes are not compared:
// hivex lays a changed hive out its own way (free cells, sequence numbers), which Windows does not see.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleWindows } from '../../sample/sample-windows';
import { makeSampleJre, makeSampleProactive } from '../../sample/archives';
import { diffTrees, readGuestTrees, type GuestTree } from '../../sample/guest-tree';
import { prepare } from './prepare';
import { retarget } from './retarget';
import { remove } from './remove';
import { findRegKey, parseRegText } from '../quote/reg';

const haveTools = spawnSync('guestfish', ['--version']).status === 0 && spawnSync('hivexregedit', ['--help']).error === undefined;
const skip = haveTools ? false : 'needs guestfish and hivexregedit';

const HIVE = '/Windows/System32/config/SYSTEM';
const RECORD = '/ProActive/guestprep/install.json';
const SERVICE = 'ControlSet002\\Services\\proactive-node';

let root: string;
let jre: string;
let modern: string;

before(async () => {
  if (!haveTools) return;
  root = mkdtempSync(join(tmpdir(), 'gp reversible windows (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  [jre, modern] = await Promise.all([
    makeSampleJre(join(root, 'OpenJDK17U-jre_x64_windows.zip'), { version: '17.0.9', os: 'windows', arch: 'x86_64' }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip' }),
  ]);
});

after(() => {
  delete process.env.GUESTPREP_STATE_DIR;
  if (root) rmSync(root, { recursive: true, force: true });
});

const vdi = (path: string) => ({ path, format: 'vdi' });

/** A key of the tree's SYSTEM hive as hivexregedit exports it ('\\' for the whole hive), or undefined when absent. */
function exportKey(tree: GuestTree, key: string): string | undefined {
  const file = join(mkdtempSync(join(root, 'hive-')), 'SYSTEM');
  writeFileSync(file, tree.get(HIVE)!.content!);
  const r = spawnSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', file, key], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

/** A value of the service key, as hivexregedit exported it (strings come out as hex(1)). */
function serviceValue(exported: string | undefined, name: string): unknown {
  return exported === undefined ? undefined : findRegKey(parseRegText(exported), `HKEY_LOCAL_MACHINE\\SYSTEM\\${SERVICE}`)?.values[name]?.data;
}

function masked(tree: GuestTree): unknown {
  const rec = JSON.parse(tree.get(RECORD)!.content!.toString('utf8'));
  delete rec.installedAt;
  delete rec.updatedAt;
  return rec;
}

test('win10: prepared twice == prepared once (files and service key); prepare+remove, prepare x2+remove, prepare+retarget+remove leave the files and the SYSTEM hive as they were', { skip, timeout: 1_800_000 }, async () => {
  const base = await buildSampleWindows(join(root, 'w10'), { variant: 'win10-x64' });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => {
    const p = join(root, `${n}.vdi`);
    copyFileSync(base, p);
    return p;
  });
  const settings = { rmUrl: 'pnp://rm.example.org', workers: 2 };
  const keep = (p: string) => p === HIVE || p === RECORD;

  const ra = await prepare({ image: a, jre, proactive: modern, settings });
  await prepare({ image: b, jre, proactive: modern, settings });
  const rb = await prepare({ image: b, jre, proactive: modern, settings });
  assert.equal(ra.launches + rb.launches, 2);
  const [once, twice] = await readGuestTrees([vdi(a), vdi(b)], { keep });
  assert.deepEqual(diffTrees(once, twice, { ignore: (p) => p === HIVE || p === RECORD }), []);
  assert.deepEqual(masked(twice), masked(once));
  const keyOnce = exportKey(once, SERVICE);
  assert.equal(serviceValue(keyOnce, 'Description'), 'ProActive node WIN10-NODE for pnp://rm.example.org:64738, installed by Guestprep.');
  assert.equal(exportKey(twice, SERVICE), keyOnce, 'the service key, value for value');
  assert.equal(exportKey(twice, 'ControlSet001\\Services\\proactive-node'), undefined, 'never in the control set that does not boot');

  await prepare({ image: c, jre, proactive: modern, settings });
  const rt = await retarget({ image: c, settings: { rmUrl: 'pnp://rm2.example.org', nodeName: 'WIN-B' } });
  assert.equal(rt.launches, 1);
  assert.equal(rt.bytesStreamed, 0);
  assert.deepEqual(rt.steps.map((s) => s.id), ['write-start-cmd', 'update-service-description', 'write-install-record']);
  assert.equal(rt.verification.failures.length, 0, JSON.stringify(rt.verification));
  const [retargeted] = await readGuestTrees([vdi(c)], { keep: (p) => p === HIVE || p === '/ProActive/guestprep/start-node.cmd' });
  assert.match(retargeted.get('/ProActive/guestprep/start-node.cmd')!.content!.toString(), / -r pnp:\/\/rm2\.example\.org:64738 -s Default -n WIN-B -w 2\r\n/);
  const key = exportKey(retargeted, SERVICE)!;
  assert.equal(serviceValue(key, 'Description'), 'ProActive node WIN-B for pnp://rm2.example.org:64738, installed by Guestprep.');
  assert.equal(serviceValue(key, 'ObjectName'), 'LocalSystem', 'the other values stay');
  assert.equal(serviceValue(key, 'ImagePath'), serviceValue(keyOnce, 'ImagePath'));

  for (const image of [a, b, c]) {
    const r = await remove({ image });
    assert.equal(r.launches, 1);
    assert.equal(r.verification.failures.length, 0, JSON.stringify(r.verification));
    assert.deepEqual(r.steps.map((s) => s.id), ['unregister-service', 'remove-install-dir']);
  }
  const [t0, ta, tb, tc] = await readGuestTrees([vdi(base), vdi(a), vdi(b), vdi(c)], { keep: (p) => p === HIVE });
  const whole = exportKey(t0, '\\');
  assert.ok(whole && whole.includes('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\Tcpip\\Parameters]'));
  for (const [name, t] of [['prepare + remove', ta], ['prepare twice + remove', tb], ['prepare + retarget + remove', tc]] as const) {
    assert.deepEqual(diffTrees(t0, t, { ignore: (p) => p === HIVE }), [], name);
    assert.equal(exportKey(t, '\\'), whole, `${name}: the whole SYSTEM hive`);
  }
  const runs = join(root, 'state', 'runs');
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], []);
});
