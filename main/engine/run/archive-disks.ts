// The archives as read-only disks of the appliance. Before the launch, each archive (the JRE, the ProActive
// node) is unpacked on the host into a squashfs image (archive/squashfs.ts), from the same sanitised tar
// stream `tar-in` would get; the images are added after the guest drives, and each `tar-in` of the plan
// becomes a copy from the mounted image:
//
//   mkdir TARGET.guestprep-staging, mount-vfs ro squashfs DISK on it, cp -a STAGING/. TARGET, umount, rmdir
//
// or, where the appliance runs scripts (nearly always), one script that mounts the disk once per appliance
// outside the guest and copies from there, into Windows guests with direct writes (archive-copy.ts).
//
// Measured under emulation for 100 MB (docs/performance.md): into ext4 about 4 s instead of 5.7 s, into
// NTFS 13 s instead of 26 s, for about 1 s on the host; a batch builds them once for all its guests. The
// staging folder lives only while the copy runs, so the guest's tree ends exactly as a `tar-in` would
// leave it: same owners, modes and links (the integration tests compare the two trees), the target folder
// root-owned 0755 as the image's root is made.
//
// Without sqfstar, or when building an image fails, the run streams the archives as before: slower,
// never wrong. GUESTPREP_ARCHIVE_DISKS=0 turns the disks off (for A/B measurements).

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Drive } from '../guestfish/session';
import { onDrive } from '../inspect/drives';
import { writeSquashfs } from '../archive/squashfs';
import { fail } from '../errors';
import { archiveCopyCommand } from './archive-copy';
import { ownerAlive } from './owner';
import type { GfCommand, PlanStep, UploadRef } from '../types';

/** The uploads that get a disk: the JRE and the ProActive node, by their plan ids. */
export const DISK_UPLOADS = ['jre', 'proactive'] as const;

export function archiveDisksEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GUESTPREP_ARCHIVE_DISKS !== '0';
}

export interface DiskUpload {
  id: string;
  open: () => Readable;
}

export interface ArchiveDisks {
  /** Upload id -> its image, in the order they are added to the appliance. */
  images: Array<{ id: string; path: string }>;
  /** To add read-only after the guest drives. */
  drives: Drive[];
  /** Deletes the images (and their folder when it was made for them). */
  remove(): void;
}

/**
 * Builds one squashfs image per upload in `dir`, side by side, before the launch. Undefined when the disks
 * are off (GUESTPREP_ARCHIVE_DISKS=0), when the run is cancelled meanwhile (the caller's own check says so),
 * or when any image cannot be made: `log` then says why, and the run streams the archives. Never rejects.
 *
 * Before, not during, the launch: built while the appliance booted, the images cost the launch about as
 * much as the copy saved on Linux (a cold run 22.1 s against 21.9 s streamed, docs/performance.md), and
 * qemu must see each file at its final size when it opens it.
 */
export async function buildArchiveDisks(
  dir: string,
  uploads: DiskUpload[],
  opts: { signal?: AbortSignal; log: (message: string) => void; removeDir?: boolean },
): Promise<ArchiveDisks | undefined> {
  if (!archiveDisksEnabled()) return undefined;
  // Under the private state folder (run/state.ts): created 0700 as well.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const images = uploads.map((u) => ({ id: u.id, path: join(dir, `${u.id}.sqfs`) }));
  const remove = () => {
    for (const i of images) rmSync(i.path, { force: true });
    if (opts.removeDir) rmSync(dir, { recursive: true, force: true });
  };
  const own = new AbortController();
  const onAbort = () => own.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const builds = uploads.map((u, k) => writeSquashfs(u.open(), images[k].path, own.signal));
  try {
    await Promise.all(builds);
    return { images, drives: images.map((i) => ({ path: i.path, format: 'raw', label: diskLabel(i.id) })), remove };
  } catch (err) {
    const cancelled = own.signal.aborted;
    // One failed: the others are of no use, and nothing may keep running after the run.
    own.abort();
    await Promise.allSettled(builds);
    remove();
    if (!cancelled) {
      opts.log(`The archives could not be unpacked into disk images (${(err as Error).message}); they are streamed into the guest instead, which is slower`);
    }
    return undefined;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A folder for a batch's disks in Guestprep's state folder, named after this process: a batch killed
 * before it could remove them leaves them to the next one (removeStaleDisks).
 */
export function batchDisksDir(root: string): string {
  return join(root, 'disks', `${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Deletes the disk folders of batches whose process is gone (killed, crashed). */
export function removeStaleDisks(root: string): void {
  const dir = join(root, 'disks');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || ownerAlive({ pid, program: 'guestprep' })) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}


/** The libguestfs label of an upload's disk (letters only, as libguestfs requires): gpjre, gpproactive. */
export function diskLabel(id: string): string {
  const label = `gp${id}`;
  if (!/^[a-zA-Z]{1,20}$/.test(label)) fail('INTERNAL', `No drive label can be made of the upload id ${id}`, 'This is a bug in Guestprep. Please report it.');
  return label;
}

/** Upload id -> device, for disks added after `guestDrives` drives (sda... are the guests'). */
export function diskDevices(disks: Pick<ArchiveDisks, 'images'>, guestDrives: number): Map<string, string> {
  return new Map(disks.images.map((img, k) => [img.id, onDrive('/dev/sda', guestDrives + k)!]));
}

/**
 * The plan's steps with each `tar-in` of an archive (an upload of kind 'tar') replaced by what `replace`
 * returns for it; undefined keeps it. Other commands are kept as they are, in order; a step's `bytes` stay,
 * for the progress; an unchanged step is the same object.
 */
export function replaceTarIns(steps: PlanStep[], replace: (ref: UploadRef, target: string, command: GfCommand) => GfCommand[] | undefined): PlanStep[] {
  return steps.map((step) => {
    let changed = false;
    const commands = step.commands.flatMap((c): GfCommand[] => {
      const [name, source, target] = c.argv;
      if (c.local || name !== 'tar-in' || typeof source !== 'object' || !('upload' in source) || source.upload.kind !== 'tar' || typeof target !== 'string') return [c];
      const out = replace(source.upload, target, c);
      if (!out) return [c];
      changed = true;
      return out;
    });
    return changed ? { ...step, commands } : step;
  });
}

/**
 * The plan's steps with every `tar-in` of an upload that has a disk replaced by a copy from that disk. With
 * `shell` (the appliance runs scripts), the copy is one script (archive-copy.ts; `direct` for Windows
 * guests), else guestfish commands through a staging folder next to the target.
 */
export function copyFromDisks(steps: PlanStep[], devices: ReadonlyMap<string, string>, opts: { shell?: { direct: boolean } } = {}): PlanStep[] {
  return replaceTarIns(steps, (ref, target) => {
    const device = devices.get(ref.id);
    if (!device) return undefined;
    const script = opts.shell && archiveCopyCommand({ from: { label: diskLabel(ref.id) }, to: target, direct: opts.shell.direct });
    if (script) return [script];
    const mp = `${target}.guestprep-staging`;
    return [
      { argv: ['mkdir', mp] },
      { argv: ['mount-vfs', 'ro', 'squashfs', device, mp] },
      { argv: ['cp-a', `${mp}/.`, target] },
      { argv: ['umount', mp] },
      { argv: ['rmdir', mp] },
    ];
  });
}
