// Archive disks with a real appliance, in the worst order: the appliance reads the disk (as its kernel and
// udev do at boot) before the host has finished the image in it. The copy must still see the finished
// image, whole, with tar-in's owners and modes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import type { GuestfishSession } from '../guestfish/session';
import { executeSteps } from '../execute/executor';
import type { PlanStep, UploadRef } from '../types';
import { copyFromDisks, diskDevices, startArchiveDisks } from './archive-disks';

let dir: string;
let s: GuestfishSession | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gp disks (int) '));
  process.env.GUESTPREP_STATE_DIR = join(dir, 'state');
});

after(async () => {
  if (s) {
    s.kill();
    await s.waitExit();
  }
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

test('an image finished after the appliance read its disk is copied whole, as tar-in would unpack it', async () => {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  mkdirSync(join(src, 'lib'), { mode: 0o750 });
  const big = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  writeFileSync(join(src, 'lib', 'modules'), big, { mode: 0o644 });
  writeFileSync(join(src, 'bin', 'java'), '#!/bin/sh\necho java\n', { mode: 0o755 });
  const tar = spawnSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'bin', 'lib'], { maxBuffer: 64 * 1024 * 1024 }).stdout;

  // The archive's stream waits for a gate: the image stays empty until the appliance has looked at it.
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const source = () => Readable.from((async function* () { await gate; yield tar; })());
  const logs: string[] = [];
  const pending = startArchiveDisks(join(dir, 'disks'), [{ id: 'jre', tarBytes: tar.length, open: source }], { log: (m) => logs.push(m), removeDir: true })!;

  const guestDisk = join(dir, 'guest.raw');
  assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'raw', guestDisk, '64M']).status, 0);
  s = await launchAppliance({ drives: [{ path: guestDisk, format: 'raw' }], readonlyDrives: pending.drives, readonly: false, stats: newLaunchStats() });
  for (const c of [['mkfs', 'ext4', '/dev/sda'], ['mount', '/dev/sda', '/'], ['mkdir-p', '/opt/p']]) await s.exec(c);
  // The kernel now holds the empty disk's first blocks in its cache.
  const seen = await s.exec(['pread-device', '/dev/sdb', '4096', '0']);
  assert.ok(!seen.output.includes('hsqs'), 'the disk was read while still empty');

  open();
  const disks = await pending.ready;
  assert.ok(disks, logs.join('\n'));
  const ref: UploadRef = { id: 'jre', kind: 'tar', source: '', bytes: tar.length };
  const steps: PlanStep[] = [{ id: 'upload-jre', title: 'JRE', bytes: tar.length, commands: [{ argv: ['mkdir', '/opt/p/jre'] }, { argv: ['tar-in', { upload: ref }, '/opt/p/jre'] }] }];
  await executeSteps(s, copyFromDisks(steps, diskDevices(disks, 1)), { openUpload: () => { throw new Error('nothing is streamed'); } });

  const stat = async (p: string) => (await s!.exec(['lstatns', p])).output;
  const field = (text: string, k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(text)?.[1]);
  const modules = await stat('/opt/p/jre/lib/modules');
  assert.equal(field(modules, 'st_size'), big.length);
  assert.equal(field(modules, 'st_uid'), 0);
  assert.equal(field(await stat('/opt/p/jre/lib'), 'st_mode') & 0o7777, 0o750);
  assert.equal(field(await stat('/opt/p/jre/bin/java'), 'st_mode') & 0o7777, 0o755);
  assert.equal(field(await stat('/opt/p/jre'), 'st_mode') & 0o7777, 0o755, 'the target as tar-in leaves it');
  // The content, not only the size (every 4 KiB block carries its own offset).
  assert.equal((await s.exec(['checksum', 'sha256', '/opt/p/jre/lib/modules'])).output.trim(), spawnSync('sha256sum', [join(src, 'lib', 'modules')], { encoding: 'utf8' }).stdout.split(' ')[0]);
  assert.equal((await s.exec(['ls', '/opt/p'])).output.trim(), 'jre', 'no staging folder left');
  pending.remove();
});
