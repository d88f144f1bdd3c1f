// Helpers for this folder's tests only: temporary folders, images made with the real qemu-img
// (a hard dependency, and fast: no appliance), and byte patching for hand-crafted damage.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { GuestprepError, type ErrorCode } from '../errors';
import type { ImageFormat } from '../types';

export function makeTempDir(prefix = 'guestprep-image-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  // Files a test made immutable would stop the removal; clear the flag first (best effort).
  spawnSync('chattr', ['-R', '-i', dir], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `qemu-img create -f FORMAT [-o OPTIONS] DIR/NAME SIZE`; returns the path. */
export function makeImage(dir: string, name: string, format: ImageFormat | 'qcow' | 'qed', size: string, options?: string): string {
  const file = path.join(dir, name);
  qemuImg('create', '-q', '-f', format, ...(options ? ['-o', options] : []), file, size);
  return file;
}

/** What qemu-img itself says about an image (format given explicitly, like Guestprep does). */
export function qemuInfo(file: string, format: string): { 'virtual-size': number; 'backing-filename'?: string } {
  return JSON.parse(qemuImg('info', '--output=json', '-U', '-f', format, file));
}

/** Runs qemu-io; returns its exit code and output (pattern checks fail with code 1). */
export function qemuIo(format: string, file: string, command: string): { code: number; output: string } {
  const r = spawnSync('qemu-io', ['-f', format, '-c', command, file], { encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

export function patchFile(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

export function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing "random file" test can be replayed. */
export function seededBytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Awaits a promise that must fail with this error code (and message and fix, when given). */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp, fix?: RegExp): Promise<GuestprepError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GuestprepError, `expected ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  if (fix) assert.match(caught.fix, fix);
  return caught;
}
