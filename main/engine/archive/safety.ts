// What an archive may contain before Guestprep streams it into a guest's root filesystem, as root.
// The checks are lexical and strict on purpose: the official JRE and ProActive archives pass them,
// and anything that could write outside the install folder, create device nodes or fill the disk
// is refused with the entry named, rather than "fixed" silently.

import type { ArchiveEntryInfo } from '../types';
import { fail } from '../errors';

/** Default limit of bytes once unpacked (a JRE is ~50-200 MB, a ProActive node ~300-700 MB). */
export const DEFAULT_MAX_UNPACKED_BYTES = 4 * 1024 ** 3;
/** An entry (or a whole tar stream) is a bomb when it is above this size and ... */
export const BOMB_MIN_BYTES = 100 * 1024 ** 2;
/** ... it unpacks to more than this many times its compressed size. */
export const BOMB_RATIO = 1000;

/**
 * Normalises a path as stored in an archive: backslashes are left alone (zip names were already
 * converted by the reader), empty and '.' components are dropped, a leading '/' is kept (so it can be
 * refused) and '..' components are kept (so they can be refused). The root ('./') becomes ''.
 */
export function normaliseEntryPath(raw: string): string {
  const absolute = raw.startsWith('/');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  return (absolute ? '/' : '') + parts.join('/');
}

export function isAbsoluteArchivePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:/.test(p);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function depthOf(p: string): number {
  return p === '' ? 0 : p.split('/').length;
}

/** True when `p` is `root` or below it ('' is the archive root, which contains everything). */
export function isUnder(p: string, root: string): boolean {
  return root === '' || p === root || p.startsWith(root + '/');
}

/**
 * Why a symlink target is unsafe for a link stored at `linkPath`, relative to the tree `root`, or
 * undefined when it is safe. Accepted targets are relative, in the form `../../a/b` ('..' only at
 * the start), and do not climb above `root`. Refusing `a/../b` forms (not just normalising them)
 * matters: `a` may itself be a symlink made by the same archive, so only the leading form can be
 * checked without following links.
 */
export function unsafeSymlinkReason(linkPath: string, target: string, root: string): string | undefined {
  if (target === '') return 'is a symlink with an empty target';
  if (isAbsoluteArchivePath(target)) return `is a symlink to the absolute path "${target}"`;
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  let ups = 0;
  while (ups < parts.length && parts[ups] === '..') ups++;
  if (parts.slice(ups).includes('..')) return `is a symlink whose target "${target}" goes down then up ('..' after a name)`;
  const base = parentOf(linkPath);
  // Levels available above the link's folder before leaving `root`.
  const room = depthOf(base) - depthOf(root);
  if (ups > room) return `is a symlink to "${target}", which points outside ${root === '' ? 'the archive' : `"${root}"`}`;
  return undefined;
}

export interface CheckerOptions {
  /** Name of the archive for messages. */
  archiveName: string;
  /** Symlink and hardlink targets must stay under this folder of the archive ('' = the whole archive). */
  root: string;
  /** Size of the archive file: a tar stream unpacking to > BOMB_RATIO times this is refused. */
  archiveBytes: number;
  maxBytes?: number;
  /** false: check paths and links only (a second pass over entries whose sizes were checked already). */
  checkSizes?: boolean;
}

/**
 * Checks entries one by one, in archive order (the order tar extracts them in).
 * Throws ARCHIVE_UNSAFE_ENTRY or ARCHIVE_TOO_LARGE.
 */
export class EntryChecker {
  private readonly symlinks = new Set<string>();
  private unpacked = 0;
  private readonly maxBytes: number;

  constructor(private readonly opts: CheckerOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  }

  get unpackedBytes(): number {
    return this.unpacked;
  }

  /** `compressedSize` is known for zip entries only. */
  check(e: ArchiveEntryInfo, compressedSize?: number): void {
    const p = e.path;
    if (isAbsoluteArchivePath(p)) this.unsafe(p, 'has an absolute path');
    if (p.split('/').includes('..')) this.unsafe(p, "climbs out of its folder with '..'");
    if (e.type === 'other') this.unsafe(p, 'is a device, FIFO or other special file');
    const through = this.symlinkAncestor(p);
    if (through !== undefined) this.unsafe(p, `is stored below "${through}", which the archive made a symlink`);

    if (e.type === 'symlink') {
      const why = unsafeSymlinkReason(p, e.linkTarget ?? '', isUnder(p, this.opts.root) ? this.opts.root : '');
      if (why) this.unsafe(p, why);
      this.symlinks.add(p);
    }
    if (e.type === 'hardlink') {
      const t = normaliseEntryPath(e.linkTarget ?? '');
      if (t === '' || isAbsoluteArchivePath(t) || t.split('/').includes('..')) {
        this.unsafe(p, `is a hard link to "${e.linkTarget ?? ''}", outside the archive`);
      }
      if (isUnder(p, this.opts.root) && !isUnder(t, this.opts.root)) {
        this.unsafe(p, `is a hard link to "${t}", outside "${this.opts.root}"`);
      }
      const via = this.symlinkAncestor(t);
      if (via !== undefined) this.unsafe(p, `is a hard link through the symlink "${via}"`);
      // link(2) on a symlink makes a second symlink with the same (relative) target, whose meaning
      // changes with its new place: it escapes checks done at the original place.
      if (this.symlinks.has(t)) this.unsafe(p, `is a hard link to the symlink "${t}"`);
    }

    if (e.type === 'file' && this.opts.checkSizes !== false) {
      this.unpacked += e.size;
      if (this.unpacked > this.maxBytes) {
        this.tooLarge(`unpacks to more than ${formatBytes(this.maxBytes)}`);
      }
      if (compressedSize !== undefined && e.size > BOMB_MIN_BYTES && e.size > BOMB_RATIO * Math.max(compressedSize, 1)) {
        this.tooLarge(`has the entry "${p}" that unpacks ${formatBytes(compressedSize)} into ${formatBytes(e.size)} (a zip bomb)`);
      }
      if (compressedSize === undefined && this.unpacked > BOMB_MIN_BYTES &&
          this.unpacked > BOMB_RATIO * Math.max(this.opts.archiveBytes, 1)) {
        this.tooLarge(`unpacks its ${formatBytes(this.opts.archiveBytes)} into more than ${formatBytes(this.unpacked)} (a decompression bomb)`);
      }
    }
  }

  private symlinkAncestor(p: string): string | undefined {
    if (this.symlinks.size === 0) return undefined;
    for (let a = parentOf(p); a !== ''; a = parentOf(a)) if (this.symlinks.has(a)) return a;
    return undefined;
  }

  private unsafe(entry: string, why: string): never {
    fail(
      'ARCHIVE_UNSAFE_ENTRY',
      `${this.opts.archiveName}: the entry "${entry}" ${why}. Guestprep refuses to copy such an archive into a guest.`,
      'Download the archive again from its official site (a Java runtime from adoptium.net, the ProActive node ' +
        'from activeeon.com). If it is the official archive, report it to the Guestprep developers.',
    );
  }

  private tooLarge(why: string): never {
    fail(
      'ARCHIVE_TOO_LARGE',
      `${this.opts.archiveName} ${why}. Guestprep stops here so that it does not fill the guest's disk.`,
      `Use the official archive (a Java runtime unpacks to about 50-200 MB, a ProActive node to under 1 GB). ` +
        `The limit is ${formatBytes(this.maxBytes)}.`,
    );
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
