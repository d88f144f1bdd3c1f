// The image as a file on the host: does it exist, is it a regular file we can read, may we write
// it. Every file-system failure becomes a GuestprepError that names the file and says what to do,
// so nothing later has to interpret raw errno codes.

import { DISK_EXTENSIONS, DISK_FILES_TEXT } from '../../rules/formats';
import { constants as fsc, promises as fsp, Stats } from 'node:fs';
import * as path from 'node:path';
import { fail } from '../errors';
import { ByteSource, fileSource } from './byte-source';

export interface OpenedImage {
  /** The path as given. */
  path: string;
  size: number;
  source: ByteSource;
  close(): Promise<void>;
}


/** Opens an image for reading its headers; refuses anything that is not a readable regular file. */
export async function openImageFile(file: string): Promise<OpenedImage> {
  const st = await statImage(file);
  await refuseNonRegular(file, st);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    return fsError(file, err, 'read');
  }
  return {
    path: file,
    size: st.size,
    source: fileSource(handle, st.size),
    close: () => handle.close(),
  };
}

/** stat() that follows symlinks, with missing files and dangling links reported as such. */
export async function statImage(file: string): Promise<Stats> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    return fsError(file, err, 'read');
  }
}

async function refuseNonRegular(file: string, st: Stats): Promise<void> {
  if (st.isFile()) return;
  if (st.isDirectory()) {
    const candidates = await diskFilesIn(file);
    fail(
      'IMAGE_NOT_A_DISK',
      `${file} is a folder, not a disk image file.`,
      candidates.length > 0
        ? `Choose the virtual disk file inside it: ${candidates.map((c) => path.join(file, c)).join(', ')}.`
        : `Choose the virtual disk file itself (${DISK_FILES_TEXT}), not its folder.`,
    );
  }
  if (st.isBlockDevice()) {
    fail(
      'IMAGE_FORMAT_UNSUPPORTED',
      `${file} is a block device; Guestprep prepares disk image files only.`,
      'Point Guestprep at the VM\'s disk image file. To prepare a disk that lives on a device, copy it to a file first ' +
        `(qemu-img convert -O qcow2 ${file} disk.qcow2), prepare the file, and write it back.`,
    );
  }
  const kind = st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : 'not a regular file';
  fail(
    'IMAGE_NOT_A_DISK',
    `${file} is ${kind}, not a disk image file.`,
    `Choose the virtual disk file of the VM (${DISK_FILES_TEXT}).`,
  );
}

async function diskFilesIn(dir: string): Promise<string[]> {
  try {
    const names = await fsp.readdir(dir);
    // Extents of split or flat VMDKs are not disks on their own: offer their descriptors only.
    const extent = /-(flat|s\d{3}|f\d{3})\.vmdk$/i;
    return names
      .filter((n) => DISK_EXTENSIONS.includes(path.extname(n).toLowerCase()) && !extent.test(n))
      .sort()
      .slice(0, 10);
  } catch {
    return [];
  }
}

/**
 * Turns a file-system error about `file` into the matching GuestprepError. `intent` says whether we
 * were reading it or about to write it (EACCES means unreadable or read-only accordingly).
 */
export async function fsError(file: string, err: unknown, intent: 'read' | 'write', isFolder = false): Promise<never> {
  const code = (err as NodeJS.ErrnoException)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOENT': {
      const target = await danglingLinkTarget(file);
      if (target !== undefined) {
        fail(
          'IMAGE_NOT_FOUND',
          `${file} is a symbolic link to ${target}, which does not exist.`,
          'Choose the disk image file itself, or fix the link (the disk may have been moved or its drive is not mounted).',
          { detail },
        );
      }
      fail(
        'IMAGE_NOT_FOUND',
        `${file} does not exist.`,
        'Check the path. VirtualBox keeps disks in the VM\'s folder (e.g. ~/VirtualBox VMs/NAME/NAME.vdi); ' +
          'VBoxManage showvminfo NAME lists the disks a VM uses.',
        { detail },
      );
    }
    case 'ENOTDIR':
      fail('IMAGE_NOT_FOUND', `${file} does not exist: a part of its path is a file, not a folder.`, 'Check the path of the disk image.', { detail });
    case 'ELOOP':
      fail('IMAGE_NOT_FOUND', `${file} is a loop of symbolic links.`, 'Choose the disk image file itself, or fix the links.', { detail });
    case 'EACCES':
    case 'EPERM':
      if (intent === 'read') {
        fail(
          'IMAGE_UNREADABLE',
          `${file} cannot be read: permission denied.`,
          `Run Guestprep as a user who can read and write the image (usually the VM's owner), or give yourself access: chmod u+rw "${file}".`,
          { detail },
        );
      }
      return readOnly(file, code === 'EPERM' ? 'eperm' : 'eacces', detail, isFolder);
    case 'EROFS':
      return readOnly(file, 'erofs', detail, isFolder);
    case 'EISDIR':
      fail('IMAGE_NOT_A_DISK', `${file} is a folder, not a disk image file.`, 'Choose the virtual disk file itself, not its folder.', { detail });
    default:
      fail(
        intent === 'read' ? 'IMAGE_UNREADABLE' : 'IMAGE_READ_ONLY',
        `${file} cannot be ${intent === 'read' ? 'read' : 'written'}: ${code ?? detail}.`,
        'Check the disk holding the image (an I/O error may mean a failing drive or a disconnected network share), then try again.',
        { detail },
      );
  }
}

async function danglingLinkTarget(file: string): Promise<string | undefined> {
  try {
    const lst = await fsp.lstat(file);
    if (!lst.isSymbolicLink()) return undefined;
    return await fsp.readlink(file);
  } catch {
    return undefined;
  }
}

function readOnly(file: string, why: 'eacces' | 'eperm' | 'erofs' | 'mode', detail?: string, isFolder = false): never {
  const extra = detail === undefined ? {} : { detail };
  const commitNote = isFolder
    ? 'Guestprep needs to write in the folder that holds the image (and writes the image in place).'
    : 'Guestprep writes the changes into the image in place, so it needs write access.';
  switch (why) {
    case 'erofs':
      fail(
        'IMAGE_READ_ONLY',
        `${file} is on a read-only file system. ${commitNote}`,
        'Remount that file system read-write (mount -o remount,rw MOUNTPOINT), or copy the image to a writable disk and prepare the copy.',
        extra,
      );
    case 'eperm':
      fail(
        'IMAGE_READ_ONLY',
        `${file} cannot be written: the system refuses it even to this user (usually the immutable attribute; see lsattr). ${commitNote}`,
        `If the file is meant to be modified, remove the attribute: chattr -i "${file}".`,
        extra,
      );
    case 'eacces':
      fail(
        'IMAGE_READ_ONLY',
        `${file} cannot be written: permission denied. ${commitNote}`,
        `Run Guestprep as the image's owner, or give yourself write access: chmod u+w "${file}" (or use sudo).`,
        extra,
      );
    case 'mode':
      fail(
        'IMAGE_READ_ONLY',
        `${file} is marked read-only (no write permission for anyone). ${commitNote} ` +
          'Running as root would override the mark, but Guestprep takes it as a sign the file must not change.',
        `If it is meant to be modified, make it writable first: chmod u+w "${file}".`,
        extra,
      );
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Refuses (IMAGE_READ_ONLY) when the image or its folder cannot be written: the commit writes the
 * image in place.
 *
 * access(W_OK) catches a missing permission for ordinary users, a read-only mount (EROFS) and the
 * immutable attribute (EPERM) even for root. It cannot catch mode bits for root, who may write a
 * 0444 file regardless; so when running as root a file or folder with no write bit at all is
 * treated as read-only on purpose. Someone made it so, and silently overriding that is not ours to do.
 */
export async function checkWritable(file: string): Promise<void> {
  const st = await statImage(file);
  await checkOne(file, st, false);
  let real: string;
  try {
    real = await fsp.realpath(file);
  } catch (err) {
    return fsError(file, err, 'read');
  }
  const dir = path.dirname(real);
  let dst: Stats;
  try {
    dst = await fsp.stat(dir);
  } catch (err) {
    return fsError(dir, err, 'read');
  }
  await checkOne(dir, dst, true);
}

async function checkOne(file: string, st: Stats, isFolder: boolean): Promise<void> {
  try {
    await fsp.access(file, fsc.W_OK);
  } catch (err) {
    return fsError(file, err, 'write', isFolder);
  }
  if (isRoot() && (st.mode & 0o222) === 0) readOnly(file, 'mode', undefined, isFolder);
}
