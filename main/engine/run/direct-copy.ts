// Copying an archive disk into a Windows guest with large direct writes.
//
// NTFS is written through ntfs-3g (FUSE; Debian's kernel has no ntfs3). Writes through the page cache reach
// ntfs-3g in small pieces, each a round trip through FUSE under an emulated CPU: 45 MB take about 5 s with
// `cp`, `tar-in`, `upload` or `copy-file-to-file` alike, and 0.7-0.85 s with 1 MiB writes opened O_DIRECT
// (docs/performance.md). No guestfish command writes that way, so for a Windows guest the copy from an
// archive disk (archive-disks.ts) is a short sh script run in the appliance (guestfish/appliance-shell.ts):
//
//   1. every regular file of 1 MiB or more: `dd bs=1M oflag=direct` into the target (buffered dd if the
//      filesystem refuses O_DIRECT), then `cp -a --attributes-only` for its mode, owner and times;
//   2. `cp -a` of the whole tree, told to skip existing files: the small files, links and folders, and
//      the folders' attributes set after their content, exactly as the plain copy leaves them.
//
// The skip in step 2 is only right because the target is a folder the plan has just made, so the script
// refuses to run into anything but an empty folder. Linux guests keep the plain `cp -a`: ext4 takes
// buffered writes fast, and the script measured slower there (2.0 s against 1.5 s for 100 MB).
// GUESTPREP_DIRECT_COPY=0 turns it off (A/B measurements, tests of the plain path).

import { shQuote } from '../quote/sh';
import { applianceShellCommand, fitsOneLine, hasApplianceShell } from '../guestfish/appliance-shell';
import type { GuestfishSession } from '../guestfish/session';
import type { GfCommand, GuestFacts } from '../types';

/** Files from this size on are written directly (smaller ones go with the tree: one dd each would cost more). */
export const DIRECT_MIN_BYTES = 1024 * 1024;

export function directCopyEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GUESTPREP_DIRECT_COPY !== '0';
}

/**
 * The script that copies the folder `from` into the empty folder `to` (guestfish paths, under the
 * appliance's sysroot). It stops at the first error with the tool's own message (sh -e).
 */
export function directCopyScript(from: string, to: string): string {
  const src = shQuote(from, 'the folder to copy from');
  const dst = shQuote(to, 'the folder to copy into');
  return [
    '# Guestprep: copy an archive disk into an empty folder, large files with direct writes',
    'set -eu',
    // libguestfs's `debug sh` exports the sysroot as $root.
    'root=${root:-/sysroot}',
    `src=$root${src}`,
    `dst=$root${dst}`,
    '[ -d "$dst" ] && [ -z "$(ls -A "$dst")" ] || { echo "guestprep: $dst is not an empty folder" >&2; exit 1; }',
    // coreutils 9.2 made `cp -n` fail when it skips a file; 9.3 added --update=none for the old meaning.
    'if cp --update=none --version >/dev/null 2>&1; then keep=--update=none; else keep=-n; fi',
    'cd "$src"',
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

/** The guestfish command for directCopyScript, or undefined when the paths make it too long for one line. */
export function directCopyCommand(from: string, to: string): GfCommand | undefined {
  const script = directCopyScript(from, to);
  return fitsOneLine(script) ? applianceShellCommand(script) : undefined;
}

/**
 * Whether this run copies into `guest` with direct writes: Windows guests, when the appliance runs scripts.
 * `log` hears why a Windows guest gets the slower copy.
 */
export async function useDirectCopy(s: GuestfishSession, guest: Pick<GuestFacts, 'osType'>, log?: (message: string) => void): Promise<boolean> {
  if (guest.osType !== 'windows' || !directCopyEnabled()) return false;
  if (await hasApplianceShell(s)) return true;
  log?.('This libguestfs cannot run scripts in its appliance (built without its debug command): the archives are copied into NTFS with plain cp, about 8 s slower per 100 MB');
  return false;
}
