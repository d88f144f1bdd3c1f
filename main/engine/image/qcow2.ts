// QEMU qcow2 (docs/interop/qcow2.txt), big-endian:
//   0 "QFI\xfb"  4 u32 version  8 u64 backing file offset  16 u32 backing file name size
//   20 u32 cluster bits  24 u64 virtual size  32 u32 encryption method  36 u32 L1 entries
//   40 u64 L1 table offset  48 u64 refcount table offset
//   version 3 only: 72 u64 incompatible features (bit 0 dirty, 1 corrupt, 2 external data file,
//   3 compression type, 4 extended L2), 100 u32 header length

import type { ImageFileInfo } from '../types';
import { ByteSource, readExact } from './byte-source';
import { truncated, u64, unsupportedVariant, damaged } from './header-util';
import { fail } from '../errors';

const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
/** Bits this code knows and QEMU 7+ handles: dirty, corrupt, data file, compression type, extended L2. */
const INCOMPAT_KNOWN = 0x1fn;

export function isQcowFamily(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === 0x514649fb;
}

export async function parseQcow2(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const v = await readExact(src, 0, 8);
  if (!v) truncated(file, 'qcow2', 'header', 8, src.size);
  const version = v.readUInt32BE(4);
  if (version === 1) {
    unsupportedVariant(file, 'an image in the old qcow (version 1) format', `Convert it to qcow2 first: qemu-img convert -f qcow -O qcow2 "${file}" disk.qcow2`);
  }
  if (version !== 2 && version !== 3) damaged(file, 'qcow2', `unknown version ${version}`);
  const len = version === 3 ? 104 : 72;
  const h = await readExact(src, 0, len);
  if (!h) truncated(file, 'qcow2', 'header', len, src.size);

  const clusterBits = h.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) damaged(file, 'qcow2', `cluster size 2^${clusterBits} is out of range`);
  if (h.readUInt32BE(32) !== 0) {
    unsupportedVariant(
      file,
      'an encrypted qcow2 image',
      `Decrypt it into a new image first (qemu-img convert with --object secret,...,file=KEYFILE and -O qcow2), and prepare that copy.`,
    );
  }
  if (version === 3) {
    const incompat = h.readBigUInt64BE(72);
    if (incompat & INCOMPAT_CORRUPT) {
      fail(
        'IMAGE_UNREADABLE',
        `${file} is marked corrupt by QEMU (it found inconsistent metadata while writing it).`,
        `Repair it first: qemu-img check -r all "${file}" (keep a copy of the file before repairing).`,
      );
    }
    if (incompat & INCOMPAT_DATA_FILE) {
      unsupportedVariant(file, 'a qcow2 image whose data lives in a separate data file', `Convert it into a self-contained image: qemu-img convert -O qcow2 "${file}" disk.qcow2`);
    }
    if (incompat & ~INCOMPAT_KNOWN) {
      unsupportedVariant(file, 'a qcow2 image that uses features newer than this QEMU knows', 'Convert it with the QEMU that made it (qemu-img convert -O qcow2 -o compat=1.1 ...).');
    }
  }

  const l1Entries = h.readUInt32BE(36);
  const l1End = u64(h.readBigUInt64BE(40)) + l1Entries * 8;
  if (l1End > src.size) truncated(file, 'qcow2', 'L1 table', l1End, src.size);
  const refcountTable = u64(h.readBigUInt64BE(48));
  if (refcountTable >= src.size) truncated(file, 'qcow2', 'refcount table', refcountTable + 1, src.size);

  const info: ImageFileInfo = {
    path: file,
    format: 'qcow2',
    subformat: `v${version}`,
    virtualSize: u64(h.readBigUInt64BE(24)),
    fileSize: src.size,
  };
  const backingOffset = u64(h.readBigUInt64BE(8));
  const backingLen = h.readUInt32BE(16);
  if (backingOffset !== 0 && backingLen > 0) {
    if (backingLen > 1023) damaged(file, 'qcow2', 'the backing file name is too long');
    const name = await readExact(src, backingOffset, backingLen);
    if (!name) truncated(file, 'qcow2', 'backing file name', backingOffset + backingLen, src.size);
    info.backingFile = name.toString('utf8');
  }
  return info;
}
