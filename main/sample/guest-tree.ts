// Reads the whole file tree of guest images, to prove claims like "preparing twice leaves the same tree as
// preparing once" or "prepare then remove leaves the tree as it was". For tests and checks, not for runs.
//
// One read-only appliance launch for all the images: each image is one drive of the same handle, its
// filesystem mounted on a mountpoint of its own (`mkmountpoint` before anything is mounted), and streamed
// to the host with `tar-out ... numericowner:true`. The tar says, per path: type, permission bits, numeric
// owner, size, link target, and the content, which is hashed here. Times (mtime in the tar; ctime and atime
// are not in it) are left out on purpose: a tree "as it was" means as it was apart from time stamps.

import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { launchAppliance, newLaunchStats } from '../engine/guestfish/launch';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** Regular files: bytes. 0 for the other types. */
  size: number;
  /** Symlinks and hard links: the target. */
  target?: string;
  /** Regular files: sha256 of the content. */
  sha256?: string;
  /** The content, for the paths the caller asked to keep (to compare them with a part masked). */
  content?: Buffer;
}

/** Guest path ("/etc/passwd", "/" for the root) -> entry. */
export type GuestTree = Map<string, TreeEntry>;

export interface TreeImage {
  path: string;
  format: string;
  /** The filesystem to read, as libguestfs names it for a single drive (default /dev/sda1). */
  device?: string;
}

/** Device names of the n-th drive: /dev/sda1 of a drive alone is /dev/sdb1 when it is the second one. */
function deviceOf(device: string, index: number): string {
  return device.replace(/^\/dev\/sd[a-z]/, `/dev/sd${String.fromCharCode(97 + index)}`);
}

/**
 * The trees of several images, in one appliance launch. `keep` names the guest paths whose content is
 * returned as well (install.json, a registry hive).
 */
export async function readGuestTrees(images: TreeImage[], opts: { keep?: (path: string) => boolean } = {}): Promise<GuestTree[]> {
  const work = mkdtempSync(join(tmpdir(), 'guestprep-tree-'));
  const s = await launchAppliance({ drives: images.map((i) => ({ path: i.path, format: i.format })), readonly: true, stats: newLaunchStats() });
  try {
    for (let i = 0; i < images.length; i++) await s.exec(['mkmountpoint', `/g${i}`]);
    for (let i = 0; i < images.length; i++) await s.exec(['mount-ro', deviceOf(images[i].device ?? '/dev/sda1', i), `/g${i}`]);
    const trees: GuestTree[] = [];
    for (let i = 0; i < images.length; i++) {
      const host = join(work, `tree-${i}.tar`);
      await s.exec(['tar-out', `/g${i}`, host, 'numericowner:true']);
      trees.push(await parseTreeTar(host, opts.keep ?? (() => false)));
    }
    await s.close();
    return trees;
  } finally {
    s.kill();
    await s.waitExit();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The entries of a tar made by `tar-out DIR` (names like ./etc/passwd), by guest path. */
export async function parseTreeTar(tarPath: string, keep: (path: string) => boolean = () => false): Promise<GuestTree> {
  const tree: GuestTree = new Map();
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const name = h.name.replace(/^\.\/?/, '').replace(/\/$/, '');
    const path = `/${name}`;
    const type: TreeEntry['type'] =
      h.type === 'file' || h.type === 'contiguous-file' ? 'file' : h.type === 'directory' ? 'dir' : h.type === 'symlink' ? 'symlink' : h.type === 'link' ? 'hardlink' : 'other';
    const entry: TreeEntry = { type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? -1, gid: h.gid ?? -1, size: type === 'file' ? h.size ?? 0 : 0 };
    if (h.linkname) entry.target = h.type === 'link' ? `/${h.linkname.replace(/^\.\/?/, '')}` : h.linkname;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    const wanted = type === 'file' && keep(path);
    stream.on('data', (d: unknown) => {
      if (!Buffer.isBuffer(d)) return;
      hash.update(d);
      if (wanted) chunks.push(d);
    });
    stream.on('end', () => {
      if (type === 'file') entry.sha256 = hash.digest('hex');
      if (wanted) entry.content = Buffer.concat(chunks);
      tree.set(path, entry);
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(tarPath), extract);
  return tree;
}

/** What differs between two trees, one line per path ("+" only in b, "-" only in a, "~" changed). */
export function diffTrees(a: GuestTree, b: GuestTree, opts: { ignore?: (path: string) => boolean } = {}): string[] {
  const ignore = opts.ignore ?? (() => false);
  const out: string[] = [];
  const show = (e: TreeEntry) =>
    `${e.type} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}:${e.gid}${e.type === 'file' ? ` ${e.size} ${e.sha256?.slice(0, 12)}` : ''}${e.target !== undefined ? ` -> ${e.target}` : ''}`;
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (ignore(p)) continue;
    const x = a.get(p);
    const y = b.get(p);
    if (!x) out.push(`+ ${p} (${show(y!)})`);
    else if (!y) out.push(`- ${p} (${show(x)})`);
    else if (show(x) !== show(y) || x.sha256 !== y.sha256) out.push(`~ ${p}: ${show(x)} => ${show(y)}`);
  }
  return out;
}
