// The copy of an archive disk (archive-disks.ts) into the guest, as one sh script run in the appliance
// (guestfish/appliance-shell.ts) instead of five guestfish commands. Two reasons, both measured
// (docs/performance.md):
//
// 1. The disk is mounted once per appliance, outside the guest's tree (/run/guestprep/sdX), and stays
//    mounted for every image of a batch: the guestfish route (mkdir a staging folder in the guest,
//    mount-vfs, cp-a, umount, rmdir) paid 0.5-0.65 s of mounting per archive and image, and its staging
//    folder lived inside the guest while the copy ran.
// 2. Windows guests: NTFS is written through ntfs-3g (FUSE; Debian's kernel has no ntfs3). Writes through
//    the page cache reach ntfs-3g in small pieces, each a round trip through FUSE under an emulated CPU:
//    45 MB take about 5 s with `cp`, `tar-in`, `upload` or `copy-file-to-file` alike, and 0.7-0.85 s with
//    1 MiB writes opened O_DIRECT. No guestfish command writes that way. So into a Windows guest, every
//    regular file of 1 MiB or more is written first with `dd bs=1M oflag=direct` (buffered dd where the
//    filesystem refuses O_DIRECT) and given its mode, owner and times with `cp -a --attributes-only`; then
//    `cp -a` of the whole tree, told to skip existing files, brings the small files, links and folders,
//    and sets the folders' attributes after their content, exactly as the plain copy leaves them.
//    Linux guests keep the plain `cp -a`: ext4 takes buffered writes fast, and the direct route measured
//    slower there (2.0 s against 1.5 s for 100 MB).
//
// The skip in (2) is only right because the target is a folder the plan has just made, so the script
// refuses to copy into anything but an empty folder (whatever the guest). Where the appliance cannot run
// scripts, the guestfish route stays (archive-disks.ts). GUESTPREP_APPLIANCE_SHELL=0 takes that route
// anyway, and GUESTPREP_DIRECT_COPY=0 keeps the script but without direct writes (A/B measurements).

import { fail } from '../errors';
import { shQuote } from '../quote/sh';
import { applianceShellCommand, fitsOneLine, hasApplianceShell } from '../guestfish/appliance-shell';
import type { GuestfishSession } from '../guestfish/session';
import type { GfCommand, GuestFacts } from '../types';

/** Files from this size on are written directly (smaller ones go with the tree: one dd each would cost more). */
export const DIRECT_MIN_BYTES = 1024 * 1024;

/** Where the appliance mounts the archive disks, outside the guest's tree (/sysroot). */
export const DISK_MOUNTS = '/run/guestprep';

export function applianceShellEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GUESTPREP_APPLIANCE_SHELL !== '0';
}

export function directCopyEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GUESTPREP_DIRECT_COPY !== '0';
}

export interface ArchiveCopy {
  /** The archive disk's device in the appliance, e.g. /dev/sdc. */
  device: string;
  /** The guest folder to copy into (a guestfish path); it must exist and be empty. */
  to: string;
  /** Large files with direct writes (Windows guests). */
  direct: boolean;
}

const DEVICE = /^\/dev\/[a-z]+$/;

/**
 * The script: mounts the disk read-only at DISK_MOUNTS/NAME unless that is done already, then copies its
 * tree into `to` (under the appliance's sysroot). It stops at the first error with the tool's own message.
 */
export function archiveCopyScript(c: ArchiveCopy): string {
  // The device is Guestprep's own (onDrive), never the user's; anything else is a bug, not a name to quote.
  if (!DEVICE.test(c.device)) fail('INTERNAL', `Not an appliance disk: ${c.device}`, 'This is a bug in Guestprep. Please report it.');
  const mp = `${DISK_MOUNTS}/${c.device.slice('/dev/'.length)}`;
  const lines = [
    `# Guestprep: copy the archive disk ${c.device} into an empty folder of the guest`,
    'set -eu',
    // libguestfs's `debug sh` exports the sysroot as $root.
    'root=${root:-/sysroot}',
    `disk=${c.device} src=${mp}`,
    `dst=$root${shQuote(c.to, 'the folder to copy into')}`,
    '[ -d "$dst" ] && [ -z "$(ls -A "$dst")" ] || { echo "guestprep: $dst is not an empty folder" >&2; exit 1; }',
    // Mounted by the first copy in this appliance; the next images of a batch find it there.
    'if ! grep -qs "^$disk $src " /proc/mounts; then mkdir -p "$src"; mount -t squashfs -o ro "$disk" "$src"; fi',
    'cd "$src"',
  ];
  if (!c.direct) return [...lines, 'cp -a . "$dst"', ''].join('\n');
  return [
    ...lines,
    // coreutils 9.2 made `cp -n` fail when it skips a file; 9.3 added --update=none for the old meaning.
    'if cp --update=none --version >/dev/null 2>&1; then keep=--update=none; else keep=-n; fi',
    `find . -type f -size +${DIRECT_MIN_BYTES - 1}c -exec sh -c '`,
    'set -eu',
    'dst=$1; shift',
    'for f do',
    '  mkdir -p "$dst/${f%/*}"',
    '  dd if="$f" of="$dst/$f" bs=1M oflag=direct status=none 2>/dev/null || dd if="$f" of="$dst/$f" bs=1M status=none',
    '  cp -a --attributes-only "$f" "$dst/$f"',
    `done' sh "$dst" {} +`,
    'cp -a $keep . "$dst"',
    '',
  ].join('\n');
}

/** The guestfish command for archiveCopyScript, or undefined when the folder makes it too long for one line. */
export function archiveCopyCommand(c: ArchiveCopy): GfCommand | undefined {
  const script = archiveCopyScript(c);
  return fitsOneLine(script) ? applianceShellCommand(script) : undefined;
}

/**
 * How this session copies archive disks into `guest`: undefined for the guestfish route (no shell in the
 * appliance, or GUESTPREP_APPLIANCE_SHELL=0), else whether with direct writes (Windows guests). `log` hears
 * why a guest gets the slower route.
 */
export async function archiveCopyMode(
  s: GuestfishSession,
  guest: Pick<GuestFacts, 'osType'>,
  log?: (message: string) => void,
): Promise<{ direct: boolean } | undefined> {
  if (!applianceShellEnabled()) return undefined;
  if (!(await hasApplianceShell(s))) {
    log?.(
      'This libguestfs cannot run scripts in its appliance (built without its debug command): the archives are copied with guestfish commands, ' +
        (guest.osType === 'windows' ? 'about 8 s slower per 100 MB into NTFS' : 'about 0.5 s slower per archive'),
    );
    return undefined;
  }
  return { direct: guest.osType === 'windows' && directCopyEnabled() };
}
