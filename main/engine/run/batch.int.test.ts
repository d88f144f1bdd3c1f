// Batches with real libguestfs: several images in one appliance launch, each with its own overlay,
// verification, commit and result; one bad image does not spoil the others; node names from a pattern.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace, type Workspace } from '../../../test/support/workspace';
import { readGuestTrees, diffTrees } from '../../sample/guest-tree';
import { prepare } from './prepare';
import { prepareBatch } from './batch';
import { inspectImage } from './inspect-image';

let ws: Workspace;
let root: string;
let jre: string;
let proactive: string;
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

before(async () => {
  ws = await openWorkspace('batch');
  ({ root, jre, proactive } = ws);
});

after(() => ws.close());

const guest = (name: string, flavour: 'systemd' | 'sysvinit' | 'rclocal', hostname: string, sizeMb?: number) => ws.guest(name, { flavour, hostname, sizeMb });

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

test('archive disks give each guest exactly the tree a streamed run gives, in a batch and alone', async () => {
  const base = await guest('Same', 'systemd', 'same');
  const copy = (name: string) => {
    const dir = join(root, 'VirtualBox VMs', name);
    mkdirSync(dir, { recursive: true });
    const p = join(dir, `${name}.vdi`);
    copyFileSync(base, p);
    return p;
  };
  const [streamed, single, b1, b2, commands] = [copy('Streamed'), copy('Single'), copy('B1'), copy('B2'), copy('Commands')];
  const settings = { rmUrl: 'pnp://rm.example.org', nodeName: 'same-node' };
  const steps = (r: { steps: Array<{ id: string }> }) => r.steps.map((s) => s.id).join(' ');
  process.env.GUESTPREP_ARCHIVE_DISKS = '0';
  let plain;
  try {
    plain = await prepare({ image: streamed, jre, proactive, settings });
  } finally {
    delete process.env.GUESTPREP_ARCHIVE_DISKS;
  }
  assert.equal(plain.timings.archiveDisksMs, undefined, 'streamed: no disks were made');
  const logs: string[] = [];
  const alone = await prepare({ image: single, jre, proactive, settings }, { onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
  assert.ok(alone.timings.archiveDisksMs !== undefined);
  assert.equal(steps(alone), steps(plain), 'the same steps either way');
  const trace = join(root, 'batch-commands.txt');
  process.env.GUESTPREP_TRACE_COMMANDS = trace;
  let r;
  try {
    r = await prepareBatch({ images: [b1, b2], jre, proactive, settings }, { onEvent: (_i, _n, e) => { if (e.type === 'log') logs.push(e.message); } });
  } finally {
    delete process.env.GUESTPREP_TRACE_COMMANDS;
  }
  assert.ok(r.items.every((i) => i.ok), JSON.stringify(r.items.map((i) => (i.ok ? 'ok' : i.error))));
  assert.equal(r.launches, 1);
  // One probe, then each archive of each image copied by a script (archive-copy.ts), no guestfish mounts.
  const lines = readFileSync(trace, 'utf8');
  assert.equal(lines.match(/\tdebug "sh" /g)?.length, 5, lines);
  assert.doesNotMatch(lines, /\t(mount-vfs|cp-a) /);
  // The guestfish route (an appliance without a shell) leaves the same tree.
  process.env.GUESTPREP_APPLIANCE_SHELL = '0';
  try {
    await prepare({ image: commands, jre, proactive, settings });
  } finally {
    delete process.env.GUESTPREP_APPLIANCE_SHELL;
  }
  assert.ok(!logs.some((m) => /could not be unpacked into disk images/.test(m)), logs.join('\n'));
  const record = '/opt/proactive/guestprep/install.json';
  const [tp, ts, t1, t2, tc] = await readGuestTrees([streamed, single, b1, b2, commands].map((path) => ({ path, format: 'vdi' })));
  assert.deepEqual(diffTrees(tp, ts, { ignore: (p) => p === record }), [], 'a single run from the disks: the tree of a streamed run');
  assert.deepEqual(diffTrees(tp, t1, { ignore: (p) => p === record }), [], 'first image of the batch: the same');
  assert.deepEqual(diffTrees(tp, t2, { ignore: (p) => p === record }), [], 'second image: the same');
  assert.deepEqual(diffTrees(tp, tc, { ignore: (p) => p === record }), [], 'copied with guestfish commands: the same');
  assert.ok(ts.get('/opt/proactive/jre/bin/java'), 'the JRE is there');
  for (const t of [ts, t1, t2, tc]) assert.ok(![...t.keys()].some((p) => p.includes('guestprep-staging')), 'no staging folder left');
  assert.deepEqual(readdirSync(join(root, 'state', 'disks')), [], 'the batch removed its disks');
});
