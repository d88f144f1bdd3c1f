// The format of an image file, read from its own bytes. Never from libguestfs or QEMU probing:
// probing a raw image whose guest wrote a qcow2 header into its first sector would make us treat
// guest data as image metadata (the reason libguestfs wants an explicit format), and a header we
// read ourselves also tells us what QEMU would not (VirtualBox parent UUIDs, compressed VMDK grains).

import { DISK_FILES_TEXT } from '../../rules/formats';
import type { ImageFileInfo } from '../types';
import { fail } from '../errors';
import { ByteSource, readExact } from './byte-source';
import { damaged } from './header-util';
import { openImageFile } from './image-file';
import { refuseKnownNonDisks } from './not-a-disk';
import { parseQcow2, isQcowFamily } from './qcow2';
import { RAW_PROBE_BYTES, rawDiskKind } from './raw';
import { isVdi, parseVdi } from './vdi';
import { isVhdFooter, parseVhd } from './vhd';
import { isVhdx, parseVhdx } from './vhdx';
import { isVmdkDescriptor, isVmdkSparse, parseVmdkDescriptorFile, parseVmdkSparse } from './vmdk';

/** Reads the header of the image at `file` (following symlinks) and says what it is. */
export async function readImageHeader(file: string): Promise<ImageFileInfo> {
  const img = await openImageFile(file);
  try {
    return await readImageHeaderFrom(img.source, file);
  } finally {
    await img.close();
  }
}

/** Same, from any byte source (`file` is only used in messages and to resolve VMDK extents). */
export async function readImageHeaderFrom(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const info = await identify(src, file);
  // Sizes come from untrusted header fields: anything a JS number cannot hold exactly is garbage.
  if (!Number.isSafeInteger(info.virtualSize) || info.virtualSize < 0) damaged(file, info.format, 'the virtual disk size is out of range');
  return info;
}

async function identify(src: ByteSource, file: string): Promise<ImageFileInfo> {
  if (src.size === 0) {
    fail(
      'IMAGE_NOT_A_DISK',
      `${file} is empty (0 bytes), so it is not a disk image.`,
      'An empty file is usually a failed copy or a placeholder. Choose the VM\'s actual disk file, or copy it again from its source.',
    );
  }
  const head = await src.read(0, RAW_PROBE_BYTES);

  if (isVdi(head)) return parseVdi(src, file);
  if (isVmdkSparse(head)) return parseVmdkSparse(src, file);
  if (isVmdkDescriptor(head)) return parseVmdkDescriptorFile(src, file);
  if (isQcowFamily(head)) return parseQcow2(src, file);
  if (isVhdx(head)) return parseVhdx(src, file);
  if (isVhdFooter(head)) return parseVhd(src, file, head.subarray(0, 512).length === 512 ? head.subarray(0, 512) : await tooShort(file));

  refuseKnownNonDisks(file, head);

  // Fixed VHDs are raw data followed by a footer: check the end before calling the file raw.
  if (src.size >= 1024) {
    const tail = await readExact(src, src.size - 512, 512);
    if (isVhdFooter(tail)) return parseVhd(src, file, tail);
  }

  const kind = rawDiskKind(head);
  if (kind !== undefined) return { path: file, format: 'raw', subformat: kind, virtualSize: src.size, fileSize: src.size };

  return fail(
    'IMAGE_NOT_A_DISK',
    `${file} is not a disk image: it has no VDI, VMDK, VHD, VHDX or qcow2 header, and as a raw image it starts with ` +
      'neither a partition table (MBR or GPT) nor a file system.',
    `Choose the virtual disk file of the VM (${DISK_FILES_TEXT}). If this is a raw disk whose ` +
      'first sectors were wiped, Guestprep cannot find an operating system on it anyway.',
  );
}

function tooShort(file: string): never {
  return fail('IMAGE_UNREADABLE', `${file} is incomplete: it ends inside its VHD footer.`, 'Copy the image again from its source.');
}
