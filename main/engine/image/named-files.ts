// Files that an image's header names: the extents of a VMDK descriptor (a separate .vmdk text file, or
// the descriptor embedded in a sparse VMDK whose own capacity is 0, which QEMU then follows the same way),
// and the parent of a layered image (qcow2 backing file, VMDK parentFileNameHint, VHD/VHDX parent).
//
// A header is data from whoever handed the user the image. QEMU opens what it names, relative to the
// image's folder or absolute, and writes extents at the commit: a descriptor naming "/etc/shadow" or
// "../../victim.vmdk" would make `prepare` write there. So before anything opens the image (qemu-img info
// included), every named file must really be a regular file inside the image's own folder, symlinks and
// `..` resolved. The folder is the one the run uses: the overlay's backing path is the image's real path.

import { promises as fsp, Stats } from 'node:fs';
import * as path from 'node:path';
import { fail } from '../errors';
import { fsError } from './image-file';

export type NamedFileRole = 'extent' | 'parent';

export interface NamedFile {
  role: NamedFileRole;
  /** The name exactly as the header spells it. */
  name: string;
}

/**
 * QEMU reads a name whose first ':' comes before any '/' as "protocol:rest" (file:, nbd:, json:...),
 * not as a file next to the image (QEMU's path_has_protocol): such a name can point anywhere.
 */
export function hasProtocolPrefix(name: string): boolean {
  const i = name.search(/[:/]/);
  return i >= 0 && name[i] === ':';
}

/** Whether `real` lies strictly inside the folder `realDir` (both already resolved). */
export function isInside(realDir: string, real: string): boolean {
  const rel = path.relative(realDir, real);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

const WHAT: Record<NamedFileRole, string> = {
  extent: 'as a data file (extent)',
  parent: 'as its parent (backing) disk',
};

function outside(image: string, f: NamedFile, why: string): never {
  return fail(
    'IMAGE_EXTENT_OUTSIDE',
    `${image} names "${f.name}" ${WHAT[f.role]}, which ${why}. Guestprep only writes files that belong to the image, so it refuses it; ` +
      'a disk from an untrusted source can name any file this way, and writing the image would write that file.',
    f.role === 'extent'
      ? 'Keep the extent files in the same folder as the descriptor (or a subfolder of it), as regular files, with relative names in the descriptor ' +
          '(e.g. RW 2048 FLAT "disk-flat.vmdk" 0). If you did not make this disk yourself, do not open or convert it: ask its source for a self-contained copy.'
      : 'If you made this layered disk yourself (a snapshot or linked clone), merge it into one full disk and prepare that ' +
          `(qemu-img convert -O FORMAT "${image}" merged-disk, or delete the VM's snapshots in its hypervisor). Otherwise do not merge or convert it: ` +
          'its header alone decides which file the tools read. Ask its source for a self-contained copy.',
  );
}

/**
 * Checks one named file of `image` (the path as the user gave it; `realDir` is the real path of the folder
 * the image really is in). Returns its real path. A missing extent is IMAGE_NOT_FOUND; a missing parent is
 * left to the caller (a layered image is refused anyway, with a better message), so it returns undefined.
 */
export async function checkNamedFile(image: string, realDir: string, f: NamedFile): Promise<string | undefined> {
  if (f.name === '') outside(image, f, 'is an empty name');
  if (hasProtocolPrefix(f.name)) outside(image, f, 'is a QEMU protocol address (it can reach any file or a network server), not a file next to the image');
  const target = path.resolve(realDir, f.name);
  let real: string;
  try {
    real = await fsp.realpath(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (f.role === 'parent') return undefined;
      // A dangling link that leads outside is the same refusal as a live one: do not tell "copy it there".
      const link = await linkTargetOutside(realDir, target);
      if (link !== undefined) outside(image, f, `is a symbolic link to ${link}, outside the folder ${realDir}`);
      fail(
        'IMAGE_NOT_FOUND',
        `${target}, a data file (extent) of the VMDK disk ${image}, does not exist.`,
        'A VMDK descriptor and its extent files must stay together in one folder. Copy the missing file next to the descriptor, or choose a complete copy of the disk.',
      );
    }
    return fsError(target, err, 'read');
  }
  if (!isInside(realDir, real)) {
    const direct = path.isAbsolute(f.name) && real === path.normalize(f.name);
    outside(image, f, direct ? `is outside the image's folder ${realDir}` : `resolves (through symbolic links or "..") to ${real}, outside the image's folder ${realDir}`);
  }
  let st: Stats;
  try {
    st = await fsp.stat(real);
  } catch (err) {
    return fsError(target, err, 'read');
  }
  if (!st.isFile()) outside(image, f, `is ${kindOf(st)}, not a regular file`);
  return real;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isCharacterDevice()) return 'a character device';
  return 'a special file';
}

async function linkTargetOutside(realDir: string, target: string): Promise<string | undefined> {
  try {
    if (!(await fsp.lstat(target)).isSymbolicLink()) return undefined;
    const to = path.resolve(path.dirname(target), await fsp.readlink(target));
    return isInside(realDir, to) ? undefined : to;
  } catch {
    return undefined;
  }
}

/**
 * Checks every file the header of `image` names, and returns the real paths of the extents (which the
 * caller also checks for write access). Parents that do not exist are skipped: the layer refusal follows.
 */
export async function checkNamedFiles(image: string, named: NamedFile[]): Promise<string[]> {
  if (named.length === 0) return [];
  let realImage: string;
  try {
    realImage = await fsp.realpath(image);
  } catch (err) {
    return fsError(image, err, 'read');
  }
  const realDir = path.dirname(realImage);
  const extents: string[] = [];
  for (const f of named) {
    const real = await checkNamedFile(image, realDir, f);
    if (real !== undefined && f.role === 'extent') extents.push(real);
  }
  return extents;
}
