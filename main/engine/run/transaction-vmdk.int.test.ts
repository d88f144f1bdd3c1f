// The transaction (claim, overlay, appliance, verify, seal, commit) into VMDKs whose data lives in separate
// files: a monolithicFlat descriptor with its -flat extent, and a twoGbMaxExtentSparse descriptor with two
// sparse extents. Both images go through one shared appliance launch (as a batch does); each gets its own
// overlay and commit, then its bytes are read back from the image on the host and qemu-img checks it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { precheckImage } from '../image/precheck';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import type { RunEvent } from '../types';
import { memoryJournal } from './journal';
import { selfOwner } from './owner';
import { ProgressModel } from './progress';
import { ImageTransaction } from './transaction';

let root: string;
const savedStateDir = process.env.GUESTPREP_STATE_DIR;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'gp vmdk commit (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
});

after(() => {
  if (savedStateDir === undefined) delete process.env.GUESTPREP_STATE_DIR;
  else process.env.GUESTPREP_STATE_DIR = savedStateDir;
  rmSync(root, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const MiB = 1024 * 1024;
/** What each image gets, and where: the split disk's second write lands in its second extent (-s002). */
const CASES = [
  { name: 'flat', subformat: 'monolithicFlat', size: '64M', writes: [{ at: 1 * MiB, byte: 0x5a }, { at: 63 * MiB, byte: 0x71 }] },
  { name: 'split', subformat: 'twoGbMaxExtentSparse', size: '3G', writes: [{ at: 1 * MiB, byte: 0x5a }, { at: 2560 * MiB, byte: 0x71 }] },
] as const;
const CHUNK = 4096;

test('commits into a monolithicFlat and a twoGbMaxExtentSparse VMDK through the transaction, one shared launch', async () => {
  const journal = memoryJournal();
  const stats = newLaunchStats();
  const events: RunEvent[] = [];
  const emit = (e: RunEvent) => events.push(e);

  const images = await Promise.all(
    CASES.map(async (c) => {
      const dir = join(root, `VM ${c.name}`);
      mkdirSync(dir);
      const file = join(dir, `${c.name}.vmdk`);
      assert.equal(run('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', `subformat=${c.subformat}`, file, c.size]).code, 0);
      const info = await precheckImage(file);
      assert.equal(info.subformat, c.subformat);
      return { c, file, info };
    }),
  );

  const txs: ImageTransaction[] = [];
  for (const img of images) {
    txs.push(
      await ImageTransaction.begin({
        image: img.info, kind: 'prepare', journal, owner: selfOwner('test'), stats, emit, progress: new ProgressModel(emit), onNotice: () => undefined,
      }),
    );
  }
  const session = await launchAppliance({ drives: txs.map((t) => t.drive), readonly: false, stats });
  // The kernel may name the disks in another order than they were added: tell them apart by size.
  const devices = (await session.exec(['list-devices'])).output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/dev/'));
  const bySize = new Map<number, string>();
  for (const d of devices) bySize.set(Number((await session.exec(['blockdev-getsize64', d])).output.trim()), d);
  for (let k = 0; k < images.length; k++) {
    const { c, info } = images[k];
    const dev = bySize.get(info.virtualSize);
    assert.ok(dev, `a device of ${info.virtualSize} bytes among ${devices.join(', ')}`);
    txs[k].attach(session);
    for (const w of c.writes) await session.exec(['pwrite-device', dev, String.fromCharCode(w.byte).repeat(CHUNK), String(w.at)]);
    await txs[k].verify([], []);
  }
  await session.close();
  for (const tx of txs) {
    tx.seal();
    await tx.commit();
  }
  assert.equal(stats.launches, 1, 'one appliance for both images');

  for (const { c, file, info } of images) {
    for (const w of c.writes) {
      const r = run('qemu-io', ['-r', '-f', 'vmdk', '-c', `read -P 0x${w.byte.toString(16)} ${w.at} ${CHUNK}`, file]);
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, /Pattern verification failed/, `${c.name}: the bytes written at ${w.at} are in the image`);
    }
    const check = run('qemu-img', ['check', '-f', 'vmdk', file]);
    assert.equal(check.code, 0, `${c.name}: qemu-img check\n${check.out}`);
    const again = await precheckImage(file);
    assert.equal(again.subformat, info.subformat);
    assert.equal(again.virtualSize, info.virtualSize);
  }
  const runs = join(root, 'state', 'runs');
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no overlay left behind');
});
