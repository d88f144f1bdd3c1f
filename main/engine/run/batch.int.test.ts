// Batches with real libguestfs: several images in one appliance launch, each with its own overlay,
// verification, commit and result; one bad image does not spoil the others; node names from a pattern.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest } from '../../sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../sample/archives';
import { readGuestTrees, diffTrees } from '../../sample/guest-tree';
import { prepare } from './prepare';
import { prepareBatch } from './batch';
import { inspectImage } from './inspect-image';

let root: string;
let jre: string;
let proactive: string;
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp batch (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  [jre, proactive] = await Promise.all([
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 1024 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 1024 * 1024 }),
  ]);
});

after(() => {
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

async function guest(name: string, flavour: 'systemd' | 'sysvinit' | 'rclocal', hostname: string, sizeMb = 96): Promise<string> {
  const dir = join(root, 'VirtualBox VMs', name);
  mkdirSync(dir, { recursive: true });
  return buildSampleGuest(dir, { flavour, hostname, format: 'vdi', sizeMb });
}

test('three guests in one launch, named from a pattern; a non-disk and a full guest fail alone', async () => {
  const a = await guest('A', 'systemd', 'alpha');
  const b = await guest('B', 'sysvinit', 'beta');
  const c = await guest('C', 'rclocal', 'gamma');
  const tiny = await guest('Tiny', 'systemd', 'tiny', 16);
  const notDisk = join(root, 'notes.vdi');
  writeFileSync(notDisk, 'not a disk image at all\n'.repeat(100));
  const before = new Map([a, b, c, tiny, notDisk].map((p) => [p, sha256(p)]));

  const seen: number[] = [];
  const r = await prepareBatch(
    { images: [a, notDisk, b, tiny, c], jre, proactive, settings: { rmUrl: 'pnp://rm.example.org', nodeName: 'node-{n}-{hostname}' } },
    { onItem: (i) => seen.push(i.n) },
  );
  assert.equal(r.launches, 1, 'one appliance for the whole batch');
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5], 'every image got its own result');
  const by = new Map(r.items.map((i) => [i.n, i]));
  for (const [n, name] of [[1, 'node-1-alpha'], [3, 'node-3-beta'], [5, 'node-5-gamma']] as const) {
    const it = by.get(n)!;
    assert.ok(it.ok, `image ${n}: ${it.ok ? '' : it.error.message}`);
    if (it.ok) {
      assert.equal(it.report.settings.nodeName, name);
      assert.ok(it.report.verification && it.report.verification.failures.length === 0);
    }
    assert.notEqual(sha256(it.image), before.get(it.image));
  }
  const bad = by.get(2)!;
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.error.code, 'IMAGE_NOT_A_DISK');
  const full = by.get(4)!;
  assert.equal(full.ok, false);
  if (!full.ok) assert.equal(full.error.code, 'GUEST_NO_SPACE');
  assert.equal(sha256(notDisk), before.get(notDisk));
  assert.equal(sha256(tiny), before.get(tiny), 'the refused guest is byte-identical');
  const runs = join(root, 'state', 'runs');
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no overlay left');

  // Each image really carries its own node.
  const insp = await inspectImage(b);
  assert.equal(insp.guest.existing?.record.nodeName, 'node-3-beta');
  assert.equal(insp.guest.linux?.init, 'sysvinit');
});

test('a batch unpacks the archives once and copies them: each guest ends with the tree a single run gives', async () => {
  const base = await guest('Same', 'systemd', 'same');
  const copy = (name: string) => {
    const dir = join(root, 'VirtualBox VMs', name);
    mkdirSync(dir, { recursive: true });
    const p = join(dir, `${name}.vdi`);
    copyFileSync(base, p);
    return p;
  };
  const [single, b1, b2] = [copy('Single'), copy('B1'), copy('B2')];
  const settings = { rmUrl: 'pnp://rm.example.org', nodeName: 'same-node' };
  await prepare({ image: single, jre, proactive, settings });
  const logs: string[] = [];
  const r = await prepareBatch({ images: [b1, b2], jre, proactive, settings }, { onEvent: (_i, _n, e) => { if (e.type === 'log') logs.push(e.message); } });
  assert.ok(r.items.every((i) => i.ok), JSON.stringify(r.items.map((i) => (i.ok ? 'ok' : i.error))));
  assert.equal(r.launches, 1);
  assert.ok(logs.some((m) => /Unpacking the archives once for the 2 images/.test(m)), 'the archives were staged');
  assert.ok(!logs.some((m) => /failed/.test(m)), logs.join('\n'));
  const record = '/opt/proactive/guestprep/install.json';
  const [ts, t1, t2] = await readGuestTrees([single, b1, b2].map((path) => ({ path, format: 'vdi' })));
  assert.deepEqual(diffTrees(ts, t1, { ignore: (p) => p === record }), [], 'first image of the batch: the tree of a single run');
  assert.deepEqual(diffTrees(ts, t2, { ignore: (p) => p === record }), [], 'second image: the same');
  assert.ok(t1.get('/opt/proactive/jre/bin/java'), 'the JRE is there');
  assert.ok(![...t1.keys()].some((p) => p.includes('guestprep-staging')), 'no staging folder left');
});
