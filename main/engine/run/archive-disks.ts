// The archives as read-only disks of the appliance. Each archive (the JRE, the ProActive node) is unpacked
// on the host into a squashfs image (archive/squashfs.ts), from the same sanitised tar stream `tar-in` would
// get, while the appliance boots; the images are added after the guest drives, and each `tar-in` of the
// plan becomes a copy from the mounted image:
//
//   mkdir TARGET.guestprep-staging, blockdev-flushbufs DISK, mount-vfs ro squashfs DISK on it,
//   cp -a STAGING/. TARGET, umount, rmdir
//
// Measured under emulation for 100 MB (docs/performance.md): into ext4 about 3.7 s instead of 5.5 s, into
// NTFS 19.5 s instead of 23.5 s; the host needs about 1 s for the images, on the core the booting
// appliance leaves free. A batch builds them once for all its guests. The staging folder lives only while
// the copy runs, so the guest's tree ends exactly as a `tar-in` would leave it: same owners, modes and
// links (the integration tests compare the two trees), the target folder root-owned 0755 as the image's
// root is made.
//
// Without sqfstar, or when building an image fails, the run streams the archives as before: slower,
// never wrong. GUESTPREP_ARCHIVE_DISKS=0 turns the disks off (for A/B measurements).

import { closeSync, createReadStream, createWriteStream, ftruncateSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Drive } from '../guestfish/session';
import { onDrive } from '../inspect/drives';
import { writeSquashfs } from '../archive/squashfs';
import type { GfCommand, PlanStep, UploadRef } from '../types';

/** The uploads that get a disk: the JRE and the ProActive node, by their plan ids. */
export const DISK_UPLOADS = ['jre', 'proactive'] as const;

export function archiveDisksEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GUESTPREP_ARCHIVE_DISKS !== '0';
}

export interface DiskUpload {
  id: string;
  /** The size of its tar stream (or the plan's estimate of it): what its image is given room for. */
  tarBytes: number;
  open: () => Readable;
}

export interface ArchiveDisks {
  /** Upload id -> its image, in the order they are added to the appliance. */
  images: Array<{ id: string; path: string }>;
}

/**
 * Disks being built while the appliance boots. Their files exist (sparse, at their reserved size) before
 * the launch, because qemu opens its drives then; the appliance reads them only once `ready` has resolved
 * and the copy has dropped whatever the kernel cached of them at boot (`blockdev-flushbufs`).
 */
export interface PendingDisks {
  /** To add read-only after the guest drives. */
  drives: Drive[];
  /** The finished disks; undefined when they could not be made (logged): the run streams instead. Never rejects. */
  ready: Promise<ArchiveDisks | undefined>;
  /** Stops the build (the launch failed, the run ends) and waits for it. */
  cancel(): Promise<void>;
  /** Deletes the images (and their folder when `removeDir`). */
  remove(): void;
}

/**
 * Room for an image: uncompressed squashfs stores the file data as it is and under 300 bytes of metadata per
 * entry, where the tar stream spends 512 per header plus padding; 1 MiB on top for the tables. An image
 * that still comes out larger is not used (`ready` gives undefined), as qemu sees only the reserved size.
 */
export function reservedBytes(tarBytes: number): number {
  const n = tarBytes + 1024 * 1024;
  return Math.ceil(n / 4096) * 4096;
}

/**
 * Starts building one squashfs image per upload in `dir`, side by side, with the signal of the run and one
 * of its own. Undefined when the disks are off (GUESTPREP_ARCHIVE_DISKS=0).
 */
export function startArchiveDisks(
  dir: string,
  uploads: DiskUpload[],
  opts: { signal?: AbortSignal; log: (message: string) => void; removeDir?: boolean },
): PendingDisks | undefined {
  if (!archiveDisksEnabled()) return undefined;
  mkdirSync(dir, { recursive: true });
  const images = uploads.map((u) => ({ id: u.id, path: join(dir, `${u.id}.sqfs`), reserved: reservedBytes(u.tarBytes) }));
  for (const i of images) {
    const fd = openSync(i.path, 'w');
    try {
      ftruncateSync(fd, i.reserved);
    } finally {
      closeSync(fd);
    }
  }
  const own = new AbortController();
  const onAbort = () => own.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const ready = (async (): Promise<ArchiveDisks | undefined> => {
    // sqfstar truncates its output first: it writes beside the drive's file, which keeps its size and inode
    // (qemu may be opening it right now), and the image is then copied into it in place.
    const builds = uploads.map(async (u, k) => {
      const i = images[k];
      const built = `${i.path}.building`;
      try {
        await writeSquashfs(u.open(), built, own.signal);
        const size = statSync(built).size;
        if (size > i.reserved) throw new Error(`the image of ${i.id} needs ${size} bytes, ${i.reserved} were reserved`);
        await pipeline(createReadStream(built), createWriteStream(i.path, { flags: 'r+' }), { signal: own.signal });
      } finally {
        rmSync(built, { force: true });
      }
    });
    try {
      await Promise.all(builds);
      return { images: images.map(({ id, path }) => ({ id, path })) };
    } catch (err) {
      const cancelled = own.signal.aborted;
      // One failed: the others are of no use, and nothing may keep running after the run.
      own.abort();
      await Promise.allSettled(builds);
      if (!cancelled) {
        opts.log(`The archives could not be unpacked into disk images (${(err as Error).message}); they are streamed into the guest instead, which is slower`);
      }
      return undefined;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  })();
  return {
    drives: images.map((i) => ({ path: i.path, format: 'raw' })),
    ready,
    async cancel() {
      own.abort();
      await ready;
    },
    remove() {
      for (const i of images) rmSync(i.path, { force: true });
      if (opts.removeDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Upload id -> device, for disks added after `guestDrives` drives (sda... are the guests'). */
export function diskDevices(disks: ArchiveDisks, guestDrives: number): Map<string, string> {
  return new Map(disks.images.map((img, k) => [img.id, onDrive('/dev/sda', guestDrives + k)!]));
}

/**
 * The plan's steps with every `tar-in` of an upload that has a disk replaced by a copy from that disk.
 * Other commands are kept as they are, in order; a step's `bytes` stay, for the progress.
 */
export function copyFromDisks(steps: PlanStep[], devices: ReadonlyMap<string, string>): PlanStep[] {
  return steps.map((step) => {
    let changed = false;
    const commands = step.commands.flatMap((c): GfCommand[] => {
      const [name, source, target] = c.argv;
      if (c.local || name !== 'tar-in' || typeof source !== 'object' || !('upload' in source) || typeof target !== 'string') return [c];
      const ref: UploadRef = source.upload;
      const device = ref.kind === 'tar' ? devices.get(ref.id) : undefined;
      if (!device) return [c];
      changed = true;
      const mp = `${target}.guestprep-staging`;
      return [
        { argv: ['mkdir', mp] },
        // The kernel may have read the disk at boot, before its image was complete: drop that first.
        { argv: ['blockdev-flushbufs', device] },
        { argv: ['mount-vfs', 'ro', 'squashfs', device, mp] },
        { argv: ['cp-a', `${mp}/.`, target] },
        { argv: ['umount', mp] },
        { argv: ['rmdir', mp] },
      ];
    });
    return changed ? { ...step, commands } : step;
  });
}
