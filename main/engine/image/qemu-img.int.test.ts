// Integration: real QEMU processes holding the image's write lock, and the overlay/commit cycle on
// a real VDI. No libguestfs appliance is needed; QEMU's qemu-img, qemu-io and a paused QEMU suffice.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GuestprepError } from '../errors';
import type { ErrorCode } from '../errors';
import { precheckImage } from './precheck';
import { checkWritable, commitOverlay, createOverlay } from './qemu-img';
import { hasCommand, isRoot, makeImage, makeTempDir, qemuIo, readBytes, removeTempDir, sha256File } from './testing';
import { vdiUuids } from './vdi';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp, fix?: RegExp): Promise<GuestprepError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GuestprepError, `expected ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, `${caught.message}\n${caught.detail ?? ''}`);
  if (message) assert.match(caught.message, message);
  if (fix) assert.match(caught.fix, fix);
  return caught;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The ways a VDI gets held open for writing: a storage daemon, or a (paused) VM. Both run with
 * --daemonize/-daemonize, whose parent exits only once startup is complete, so the lock is held
 * when spawnSync returns (polling with qemu-img info meanwhile would itself make the start fail).
 */
const HOLDERS: Array<{ name: string; bin: string; args: (img: string, pidfile: string) => string[] }> = [
  {
    name: 'qemu-storage-daemon',
    bin: 'qemu-storage-daemon',
    args: (img, pidfile) => [
      '--daemonize',
      '--pidfile',
      pidfile,
      '--blockdev',
      `driver=file,filename=${img},node-name=f0`,
      '--blockdev',
      'driver=vdi,file=f0,node-name=d0',
    ],
  },
  {
    name: 'a paused QEMU VM',
    bin: 'qemu-system-x86_64',
    args: (img, pidfile) => [
      '-machine', 'accel=tcg', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-S',
      '-daemonize', '-pidfile', pidfile,
      '-drive', `file=${img},format=vdi,if=none,id=d0`,
    ],
  },
];

/** Starts a holder of `img`'s write lock; returns its PID once startup is complete. */
function holdImage(h: (typeof HOLDERS)[number], img: string): number {
  const pidfile = `${img}.${h.bin}.pid`;
  const r = spawnSync(h.bin, h.args(img, pidfile), { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${h.bin} failed to start: ${r.stderr}`);
  const pid = Number(fs.readFileSync(pidfile, 'utf8').trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `pid file ${pidfile} holds a PID`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the holder this test started, by its PID, and waits until it is gone. */
async function release(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

let dir: string;
before(() => {
  dir = makeTempDir('guestprep-image-int-');
});
after(() => removeTempDir(dir));

describe('image locking', () => {
  for (const h of HOLDERS) {
    it(`refuses an image held by ${h.name}, and accepts it once that process is gone`, async (t) => {
      if (!hasCommand(h.bin)) return t.skip(`${h.bin} not installed`);
      const img = makeImage(dir, `held-${h.bin}.vdi`, 'vdi', '64M');
      await precheckImage(img);
      const pid = holdImage(h, img);
      try {
        await rejectsWith(precheckImage(img), 'IMAGE_LOCKED', /another program \(a running VM\?\) has it open/, /Power off the virtual machine/);
        // (qemu-img create -b opens the backing file with force-share, so making an overlay does
        // not notice the lock: precheckImage is where a running VM is caught.)
      } finally {
        await release(pid);
      }
      const info = await precheckImage(img);
      assert.equal(info.format, 'vdi');
    });
  }

  it('does not commit into an image that a VM opened after the overlay was made', async (t) => {
    if (!hasCommand('qemu-storage-daemon')) return t.skip('qemu-storage-daemon not installed');
    const img = makeImage(dir, 'late-lock.vdi', 'vdi', '64M');
    const overlay = path.join(dir, 'late-lock.qcow2');
    await createOverlay(img, 'vdi', overlay);
    assert.equal(qemuIo('qcow2', overlay, 'write -P 0xcd 0 1M').code, 0);
    const before = sha256File(img);
    const pid = holdImage(HOLDERS[0], img);
    try {
      await rejectsWith(commitOverlay(overlay), 'IMAGE_LOCKED', /Nothing was committed/);
    } finally {
      await release(pid);
    }
    assert.equal(sha256File(img), before);
  });
});

describe('overlay and commit on a VDI', () => {
  it('leaves the VDI byte-identical until the commit, then holds the data with its UUIDs unchanged', async () => {
    const img = makeImage(dir, 'commit.vdi', 'vdi', '64M');
    const uuidsBefore = vdiUuids(readBytes(img, 0, 0x200));
    const shaBefore = sha256File(img);
    const overlay = path.join(dir, 'commit.qcow2');

    await createOverlay(img, 'vdi', overlay);
    const w = qemuIo('qcow2', overlay, 'write -P 0xab 0 1M');
    assert.equal(w.code, 0, w.output);
    assert.equal(qemuIo('qcow2', overlay, 'read -P 0xab 0 1M').code, 0, 'the overlay holds the data');

    // Without a commit the image is untouched, byte for byte.
    assert.equal(sha256File(img), shaBefore);
    const early = qemuIo('vdi', img, 'read -P 0xab 0 1M');
    assert.notEqual(early.code, 0, 'the pattern is not in the VDI yet');
    assert.match(early.output, /Pattern verification failed/);

    const seen: number[] = [];
    await commitOverlay(overlay, (p) => seen.push(p));
    assert.ok(seen.length > 0, 'progress was reported');
    assert.equal(seen[seen.length - 1], 100);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `progress increases: ${seen.join(', ')}`);

    const r = qemuIo('vdi', img, 'read -P 0xab 0 1M');
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /Pattern verification failed/);
    const uuidsAfter = vdiUuids(readBytes(img, 0, 0x200));
    assert.equal(uuidsAfter.create, uuidsBefore.create);
    assert.equal(uuidsAfter.modify, uuidsBefore.modify);
    assert.notEqual(sha256File(img), shaBefore);
    assert.equal((await precheckImage(img)).format, 'vdi');
  });

  it('reports a commit of a missing overlay as COMMIT_FAILED', async () => {
    await rejectsWith(commitOverlay(path.join(dir, 'no-such-overlay.qcow2')), 'COMMIT_FAILED');
  });
});

describe('read-only file system', () => {
  it('refuses an image on a file system mounted read-only (root, tmpfs)', async (t) => {
    if (!isRoot()) return t.skip('mounting needs root');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]).status !== 0) return t.skip('cannot mount tmpfs here');
    try {
      const img = makeImage(mnt, 'ro-fs.vdi', 'vdi', '8M');
      await checkWritable(img);
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0, 'remount read-only');
      await rejectsWith(checkWritable(img), 'IMAGE_READ_ONLY', /read-only file system/, /remount,rw/);
      await rejectsWith(precheckImage(img), 'IMAGE_READ_ONLY', /read-only file system/);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
