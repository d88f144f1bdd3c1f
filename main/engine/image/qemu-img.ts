// qemu-img, the one tool that touches the user's image directly: `info` (which also tells us when
// another process holds the image), creating the qcow2 overlay that takes every write during a run,
// and committing that overlay into the image at the very end.

import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { fail, GuestprepError } from '../errors';
import type { ImageFormat } from '../types';
import { fsError } from './image-file';

export { checkWritable } from './image-file';

export interface QemuImgResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunQemuImgOptions {
  /** Called with each piece of stdout as it arrives (progress output). */
  onStdout?: (chunk: string) => void;
  /** Kill qemu-img after this many milliseconds (it then counts as failed, code -1). */
  timeoutMs?: number;
}

/** The qemu-img to run: $GUESTPREP_QEMU_IMG if set (tests, unusual installs), else from PATH. */
export function qemuImgBinary(): string {
  return process.env.GUESTPREP_QEMU_IMG || 'qemu-img';
}

/**
 * Runs qemu-img and collects its output. Resolves whatever the exit code; rejects only with
 * QEMU_IMG_MISSING when qemu-img cannot be started at all.
 */
export function runQemuImg(args: string[], opts: RunQemuImgOptions = {}): Promise<QemuImgResult> {
  const bin = qemuImgBinary();
  return new Promise((resolve, reject) => {
    // LC_ALL=C: we recognise some errors by their English text.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      stdout += s;
      opts.onStdout?.(s);
    });
    child.stderr.on('data', (s: string) => (stderr += s));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        reject(
          new GuestprepError({
            code: 'QEMU_IMG_MISSING',
            message: `qemu-img is not installed (or cannot be run): ${bin} ${err.code === 'ENOENT' ? 'was not found' : 'is not executable'}.`,
            fix: 'Install it: sudo apt install qemu-utils (Fedora/RHEL: sudo dnf install qemu-img).',
            detail: err.message,
          }),
        );
      } else reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) stderr += `\n(qemu-img was stopped after ${opts.timeoutMs} ms without finishing)`;
      resolve({ code: code ?? -1, stdout, stderr: signal && !timedOut ? `${stderr}\n(killed by ${signal})` : stderr });
    });
  });
}

// ---------------------------------------------------------------- info

export interface QemuImgInfo {
  format: string;
  virtualSize: number;
  /** Bytes the file occupies on the host. */
  actualSize?: number;
  dirty?: boolean;
  backingFilename?: string;
  backingFormat?: string;
  /** `format-specific` as qemu-img prints it (vmdk create-type and extents, qcow2 compat...). */
  formatSpecific?: unknown;
}

const InfoJson = z.object({
  format: z.string(),
  'virtual-size': z.number(),
  'actual-size': z.number().optional(),
  'dirty-flag': z.boolean().optional(),
  'backing-filename': z.string().optional(),
  'backing-filename-format': z.string().optional(),
  'format-specific': z.unknown().optional(),
});

/**
 * `qemu-img info` WITHOUT -U (force-share): QEMU's image locking then refuses an image another
 * QEMU has open for writing, which is how we learn a VM is running on it. libguestfs would only
 * say "appliance closed the connection unexpectedly".
 */
export async function qemuImgInfo(file: string, format: ImageFormat, openPath: string = file): Promise<QemuImgInfo> {
  // `openPath` (default: `file`) is what QEMU opens; `file` is what messages name (the path the user gave).
  const r = await runQemuImg(['info', '--output=json', '-f', format, openPath], { timeoutMs: 120_000 });
  if (r.code !== 0) return qemuImgFailure(file, format, r.stderr, 'info');
  let parsed: z.infer<typeof InfoJson>;
  try {
    parsed = InfoJson.parse(JSON.parse(r.stdout));
  } catch (err) {
    return fail('INTERNAL', `qemu-img info printed output Guestprep does not understand for ${file}.`, 'This is a bug in Guestprep. Please report it with the details below.', {
      detail: `${err instanceof Error ? err.message : String(err)}\n${r.stdout.slice(0, 2000)}`,
    });
  }
  const info: QemuImgInfo = { format: parsed.format, virtualSize: parsed['virtual-size'] };
  if (parsed['actual-size'] !== undefined) info.actualSize = parsed['actual-size'];
  if (parsed['dirty-flag'] !== undefined) info.dirty = parsed['dirty-flag'];
  if (parsed['backing-filename'] !== undefined) info.backingFilename = parsed['backing-filename'];
  if (parsed['backing-filename-format'] !== undefined) info.backingFormat = parsed['backing-filename-format'];
  if (parsed['format-specific'] !== undefined) info.formatSpecific = parsed['format-specific'];
  return info;
}

const LOCK_RE = /Failed to get (?:shared )?"write" lock/;

/** Turns a failed qemu-img run on `file` into the matching GuestprepError. */
export function qemuImgFailure(file: string, format: string, stderr: string, action: 'info' | 'create-overlay' | 'commit'): never {
  const detail = stderr.trim();
  const first = detail.split('\n')[0].replace(/^qemu-img: /, '');
  if (LOCK_RE.test(stderr)) {
    fail(
      'IMAGE_LOCKED',
      `${file} is in use: another program (a running VM?) has it open.` + (action === 'commit' ? ' Nothing was committed.' : ''),
      'Power off the virtual machine that uses this disk (or stop the program holding it, e.g. qemu, qemu-nbd or qemu-storage-daemon), then try again.',
      { detail },
    );
  }
  if (/non-NULL (?:link|parent) UUID/.test(stderr)) {
    fail('IMAGE_DIFFERENCING_VDI', `${file} is a VirtualBox differencing (snapshot) disk.`, differencingFix(file), { detail });
  }
  if (action === 'create-overlay') {
    fail('STEP_FAILED', `Could not create the temporary overlay for ${file}: ${first}`, 'Make sure the temporary folder is writable and has some free space (the overlay holds everything Guestprep writes), then try again.', {
      step: 'create-overlay',
      detail,
    });
  }
  if (action === 'commit') {
    fail(
      'COMMIT_FAILED',
      `Writing the changes into ${file} failed: ${first}. The image may be partly written (a commit is not atomic).`,
      'Do not boot the VM from this disk yet. Solve the cause shown in the details (often a full disk), then restore the disk from a backup or clone and run Guestprep again.',
      { detail },
    );
  }
  if (/Permission denied/.test(stderr)) {
    fail('IMAGE_UNREADABLE', `${file} cannot be opened: permission denied (${first}).`, `Run Guestprep as a user who can read and write the image and all its files, or give yourself access: chmod u+rw "${file}".`, {
      detail,
    });
  }
  if (/No such file or directory/.test(stderr)) {
    fail('IMAGE_NOT_FOUND', `A file that ${file} needs is missing: ${first}.`, 'Keep all files of the disk together (VMDK extents and parent disks live next to the descriptor), or choose the right file.', {
      detail,
    });
  }
  return fail('IMAGE_UNREADABLE', `qemu-img cannot open ${file} as ${format}: ${first}.`, `Check the image with \`qemu-img check -f ${format} "${file}"\`, or use a good copy of the disk.`, {
    detail,
  });
}

export function differencingFix(file: string): string {
  return (
    'This is a snapshot (differencing) disk of a VirtualBox VM; prepare its base disk, or clone the VM to a full disk first ' +
    `(VBoxManage clonemedium disk "${file}" full.vdi --format VDI, which merges the snapshot chain into one disk) and prepare the clone.`
  );
}

// ---------------------------------------------------------------- overlay and commit

/**
 * Creates a qcow2 overlay on top of the image. Every write of the run goes into the overlay; the
 * image is only read until commitOverlay. The backing path is made absolute (symlinks resolved) so
 * the overlay works wherever it lives. Note: qemu-img opens the backing file with force-share
 * here, so this does NOT notice a VM holding the image; precheckImage does.
 */
export async function createOverlay(image: string, format: ImageFormat, overlayPath: string): Promise<void> {
  let backing: string;
  try {
    backing = await fsp.realpath(image);
  } catch (err) {
    return fsError(image, err, 'read');
  }
  const overlay = path.resolve(overlayPath);
  if (await exists(overlay)) {
    // qemu-img create would silently overwrite it; an existing file here means a caller bug.
    fail('INTERNAL', `The overlay path ${overlay} already exists.`, 'This is a bug in Guestprep. Please report it.');
  }
  const r = await runQemuImg(['create', '-q', '-f', 'qcow2', '-b', backing, '-F', format, overlay], { timeoutMs: 120_000 });
  if (r.code !== 0) {
    await fsp.rm(overlay, { force: true });
    qemuImgFailure(image, format, r.stderr, 'create-overlay');
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Feeds qemu-img's `-p` output ("    (12.50/100%)\r") and calls back with each new, higher percentage. */
export function progressParser(onPercent: (percent: number) => void): (chunk: string) => void {
  let pending = '';
  let last = -1;
  const re = /\((\d+(?:\.\d+)?)\/100%\)/g;
  return (chunk) => {
    pending += chunk;
    re.lastIndex = 0;
    let consumed = 0;
    for (let m = re.exec(pending); m !== null; m = re.exec(pending)) {
      consumed = re.lastIndex;
      const pct = Math.min(100, Number(m[1]));
      if (pct > last) {
        last = pct;
        onPercent(pct);
      }
    }
    // Keep an unfinished "(12.5" for the next chunk, but never let garbage accumulate.
    pending = pending.slice(consumed).slice(-32);
  };
}

/**
 * Writes the overlay's data into its backing image (`qemu-img commit -d -p`). The only step that
 * modifies the user's image; it is not atomic. `-d` leaves the overlay as it was (without it qemu-img
 * empties it afterwards), so an interrupted commit can always be redone from it; the caller deletes it.
 */
export async function commitOverlay(overlayPath: string, onProgress?: (percent: number) => void): Promise<void> {
  let reached = -1;
  const feed = progressParser((p) => {
    reached = p;
    onProgress?.(p);
  });
  const r = await runQemuImg(['commit', '-d', '-p', overlayPath], { onStdout: feed });
  if (r.code !== 0) {
    const backing = await backingOf(overlayPath);
    qemuImgFailure(backing ?? overlayPath, 'qcow2', r.stderr, 'commit');
  }
  if (reached < 100) onProgress?.(100);
}

/** The overlay's backing file, for messages about the image rather than our temporary file. */
async function backingOf(overlay: string): Promise<string | undefined> {
  const r = await runQemuImg(['info', '--output=json', '-U', '-f', 'qcow2', overlay], { timeoutMs: 30_000 }).catch(() => undefined);
  if (!r || r.code !== 0) return undefined;
  try {
    const j = JSON.parse(r.stdout) as { 'full-backing-filename'?: string; 'backing-filename'?: string };
    return j['full-backing-filename'] ?? j['backing-filename'];
  } catch {
    return undefined;
  }
}
