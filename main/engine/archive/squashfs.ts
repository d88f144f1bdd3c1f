// An archive unpacked on the host into a squashfs image, which the appliance then mounts read-only as a
// disk of its own and copies from. Under emulation that is cheaper than streaming the archive into the
// guest (`tar-in` through a FIFO): the appliance's channel and tar cost about as much as the disk writes
// themselves, while qemu reads a disk image natively (measured in docs/performance.md).
//
// Why squashfs, built by `sqfstar` (squashfs-tools): it reads the very tar stream `tar-in` would get
// (restream.ts) from its standard input and keeps every owner, mode, link and time of the tar headers, with
// no root rights and no unpacked copy on the host. `mke2fs -d` would need the tree unpacked on disk first,
// and the host user's ownership would end up in the guest. No compression: the data is read once, by an
// emulated CPU, from the host's page cache.

import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { GuestprepError } from '../errors';

/** sqfstar's arguments for an image at `out`: root folder as `tar-in` leaves its target (0755, root). */
export function sqfstarArgs(out: string): string[] {
  return [
    '-noI', '-noD', '-noF', '-noX', // nothing compressed
    '-no-xattrs',
    '-root-mode', '0755', '-root-uid', '0', '-root-gid', '0',
    '-quiet', '-no-progress',
    '-force', // the file is ours, made empty by the caller's folder: never append to an old image
    out,
  ];
}

/** The program, overridable for tests of its absence. */
export function sqfstarCommand(): string {
  return process.env.GUESTPREP_SQFSTAR ?? 'sqfstar';
}

/**
 * Writes the tar `source` as a squashfs image at `out`. Rejects with ARCHIVE_DISK_FAILED (and the tool's
 * words) when sqfstar is missing or fails; the caller then streams the archive instead.
 */
export function writeSquashfs(source: Readable, out: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(sqfstarCommand(), sqfstarArgs(out), { stdio: ['pipe', 'ignore', 'pipe'], signal });
    let stderr = '';
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) {
        source.destroy();
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      } else resolve();
    };
    const failed = (why: string) =>
      new GuestprepError({
        code: 'ARCHIVE_DISK_FAILED',
        message: `The archive could not be unpacked into a disk image: ${why}`,
        fix: 'Install squashfs-tools (sudo apt install squashfs-tools), or set GUESTPREP_ARCHIVE_DISKS=0; the archive is streamed instead meanwhile.',
        detail: stderr.trim() || undefined,
      });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    // The archive's own errors (unsafe entries, cancel) keep their code.
    source.on('error', (err) => finish(err));
    child.stdin.on('error', () => {
      /* EPIPE when sqfstar stops early: its exit status says why */
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ENOENT' ? failed(`${sqfstarCommand()} was not found`) : err.name === 'AbortError' ? err : failed(err.message)));
    child.on('close', (code, sig) => {
      if (code === 0) finish();
      else finish(failed(sig ? `sqfstar was stopped (${sig})` : `sqfstar exited with status ${String(code)}`));
    });
    source.pipe(child.stdin);
  });
}
