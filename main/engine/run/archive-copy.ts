// The copy of an archive disk (archive-disks.ts) into the guest, as one sh script run in the appliance
// (guestfish/appliance-shell.ts) instead of five guestfish commands. Two reasons, both measured
// (docs/performance.md):
//
// 1. The disk is mounted once per appliance, outside the guest's tree (/run/guestprep/LABEL), and stays
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
  /**
   * Where the tree is: an archive disk, by its drive label (archive-disks.ts), mounted on first use; or
   * a folder of the guest that a tmpfs was mounted on and the archive streamed into (memory-staging.ts),
   * unmounted and removed once copied.
   */
  from: { label: string } | { staged: string };
  /** The guest folder to copy into (a guestfish path); it must exist and be empty. */
  to: string;
  /** Large files with direct writes (Windows guests). */
  direct: boolean;
}

const LABEL = /^[a-zA-Z]{1,20}$/;

/** The script's opening: strict mode, and the guest's root as the appliance has it. */
const PRELUDE = ['set -eu', "# libguestfs's `debug sh` exports the sysroot as $root.", 'root=${root:-/sysroot}'];

/**
 * The script: finds the tree (mounting the disk read-only at DISK_MOUNTS/NAME unless that is done already),
 * then copies it into `to` (under the appliance's sysroot). It stops at the first error with the tool's
 * own message.
 */
export function archiveCopyScript(c: ArchiveCopy): string {
  const lines = [`# Guestprep: copy an archive's tree into an empty folder of the guest`, ...PRELUDE];
  if ('label' in c.from) {
    // By its label, not /dev/sdX: in the appliance the kernel may name the disks in another order than they
    // were added (seen here: /dev/sdb was the appliance's own root once, the other archive another time).
    // The label is Guestprep's own (diskLabel), never the user's; anything else is a bug, not a name to quote.
    if (!LABEL.test(c.from.label)) fail('INTERNAL', `Not a drive label: ${c.from.label}`, 'This is a bug in Guestprep. Please report it.');
    lines.push(`disk=/dev/disk/guestfs/${c.from.label} src=${DISK_MOUNTS}/${c.from.label}`);
  } else {
    lines.push(`src=$root${shQuote(c.from.staged, 'the staging folder')}`);
  }
  lines.push(
    `dst=$root${shQuote(c.to, 'the folder to copy into')}`,
    '[ -d "$dst" ] && [ -z "$(ls -A "$dst")" ] || { echo "guestprep: $dst is not an empty folder" >&2; exit 1; }',
  );
  if ('label' in c.from) {
    // Mounted by the first copy in this appliance; the next images of a batch find it there (mount lists the
    // disk under its kernel name: look for the mountpoint, which is ours alone). udev makes the label's
    // link, so wait for it as guestfsd does before its own device commands. A refusal fails the step with
    // mount's message and what was mounted then.
    lines.push(
      'if ! grep -qs "^[^ ]* $src squashfs " /proc/mounts; then',
      '  mkdir -p "$src"',
      '  udevadm settle 2>/dev/null || :',
      '  mount -t squashfs -o ro "$disk" "$src" || { echo "guestprep: $disk could not be mounted; mounted now:" >&2; cat /proc/mounts >&2; exit 1; }',
      'fi',
    );
  }
  lines.push('cd "$src"');
  if (!c.direct) {
    lines.push('cp -a . "$dst"');
  } else {
    lines.push(
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
    );
  }
  if ('staged' in c.from) lines.push('cd /', 'umount "$src"', 'rmdir "$src"');
  return [...lines, ''].join('\n');
}

/** The script that mounts a tmpfs on a new guest folder `staged`, for an archive to be streamed into. */
export function stagingScript(staged: string): string {
  return [
    '# Guestprep: a folder in memory for an archive, copied from and removed after',
    ...PRELUDE,
    `src=$root${shQuote(staged, 'the staging folder')}`,
    'mkdir "$src"',
    'mount -t tmpfs -o mode=0755 guestprep-staging "$src"',
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
