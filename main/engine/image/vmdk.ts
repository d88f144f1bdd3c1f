// VMDK: either a binary sparse extent ("KDMV", VMware's "Virtual Disk Format 1.1", the layout QEMU's
// block/vmdk.c calls VMDK4Header) that usually embeds its text descriptor, or a plain-text
// descriptor file ("# Disk DescriptorFile") that names separate extent files.
//
// Sparse header, little-endian: 0 magic, 4 u32 version, 8 u32 flags, 12 u64 capacity (sectors),
// 20 u64 grain size (sectors), 28 u64 descriptor offset (sectors), 36 u64 descriptor size (sectors),
// 44 u32 grain-table entries per table, 48 u64 redundant GD offset, 56 u64 GD offset,
// 64 u64 overhead, 72 u8 unclean shutdown, 73..76 "\n \r\n" check bytes, 77 u16 compression.

import * as path from 'node:path';
import type { ImageFileInfo } from '../types';
import { ByteSource, readExact } from './byte-source';
import { cString, damaged, truncated, u64, unsupportedVariant } from './header-util';

const SECTOR = 512;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
/** streamOptimized images may put the grain directory at the end (GD_AT_END). */
const GD_AT_END = 0xffffffffffffffffn;
/** Descriptors are a few hundred bytes; this bounds what we read from a damaged header. */
const MAX_DESCRIPTOR = 1 << 20;

export const DESCRIPTOR_MAGIC = '# Disk DescriptorFile';

export interface VmdkExtent {
  access: string;
  sectors: number;
  type: string;
  file?: string;
}

export interface VmdkDescriptor {
  createType?: string;
  parentFileNameHint?: string;
  extents: VmdkExtent[];
  /** The first line that starts like an extent but does not parse (the image is refused). */
  unreadable?: string;
}

/** Extent types QEMU can open. VMFSRDM/VMFSRAW point at a physical disk, not a file. */
const SUPPORTED_EXTENTS = new Set(['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'SESPARSE']);

export function isVmdkSparse(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === 'KDMV';
}

export function isVmdkDescriptor(head: Buffer): boolean {
  return head.toString('latin1', 0, DESCRIPTOR_MAGIC.length) === DESCRIPTOR_MAGIC;
}

export function parseDescriptor(text: string): VmdkDescriptor {
  const d: VmdkDescriptor = { extents: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^(RW|RDONLY|NOACCESS)(\s|$)/.test(line)) {
      // QEMU reads extent lines with sscanf, which also takes forms this strict pattern does not (a signed
      // sector count, no space before a 10-letter type or its quote...). Every line that starts like an
      // extent must therefore parse here, or the image is refused: an extent we skipped is one we did not check.
      const ext = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Z]+)(?:\s+"([^"]*)"(?:\s+\d+)?)?$/.exec(line);
      if (!ext) {
        d.unreadable = line;
        continue;
      }
      const e: VmdkExtent = { access: ext[1], sectors: Number(ext[2]), type: ext[3] };
      if (ext[4] !== undefined) e.file = ext[4];
      d.extents.push(e);
      continue;
    }
    const kv = /^([A-Za-z0-9_.]+)\s*=\s*(?:"([^"]*)"|(\S+))/.exec(line);
    if (!kv) continue;
    const value = kv[2] ?? kv[3];
    if (kv[1] === 'createType') d.createType = value;
    else if (kv[1] === 'parentFileNameHint') d.parentFileNameHint = value;
  }
  return d;
}

/** A binary sparse VMDK (monolithicSparse, streamOptimized) with its embedded descriptor. */
export async function parseVmdkSparse(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const h = await readExact(src, 0, 79);
  if (!h) truncated(file, 'vmdk', 'header', 79, src.size);
  const version = h.readUInt32LE(4);
  if (version < 1 || version > 3) damaged(file, 'vmdk', `unknown sparse header version ${version}`);
  const flags = h.readUInt32LE(8);
  const capacity = h.readBigUInt64LE(12);
  const grain = h.readBigUInt64LE(20);
  const descOffset = h.readBigUInt64LE(28);
  const descSize = h.readBigUInt64LE(36);
  const gtes = h.readUInt32LE(44);
  const gdOffset = h.readBigUInt64LE(56);
  const compression = h.readUInt16LE(77);

  if (grain === 0n || gtes === 0) damaged(file, 'vmdk', 'grain size or grain-table size is zero');
  let desc: VmdkDescriptor = { extents: [] };
  if (descOffset !== 0n) {
    const dStart = u64(descOffset * BigInt(SECTOR));
    const dLen = Math.min(u64(descSize * BigInt(SECTOR)), MAX_DESCRIPTOR);
    const descBuf = await readExact(src, dStart, dLen);
    if (!descBuf) truncated(file, 'vmdk', 'embedded descriptor', dStart + dLen, src.size);
    desc = parseDescriptor(cString(descBuf, 'latin1'));
    // QEMU (vmdk_open_vmdk4) treats a sparse header of capacity 0 as a wrapper: it opens the embedded
    // descriptor's extents instead of this file's grains. Those are files named by the header, like a
    // descriptor file's.
    if (capacity === 0n) return descriptorInfo(desc, file, src.size);
  }
  if (desc.createType === undefined) {
    // Split disks (twoGbMaxExtentSparse) keep the descriptor in a separate small file; their
    // -s001, -s002 ... extents have no descriptor (or an empty one) and are each a slice of the disk.
    unsupportedVariant(
      file,
      'one extent of a VMDK disk split over several files (it has no descriptor of its own)',
      'Choose the small descriptor .vmdk file that lists this extent (the one without -s001/-f001 in its name).',
    );
  }

  if (gdOffset !== GD_AT_END) {
    const coverage = grain * BigInt(gtes);
    const gdBytes = ((capacity + coverage - 1n) / coverage) * 4n;
    const gdEnd = u64(gdOffset * BigInt(SECTOR) + gdBytes);
    if (gdEnd > src.size) truncated(file, 'vmdk', 'grain directory', gdEnd, src.size);
  }

  // Compressed grains are what makes an image "streamOptimized", whatever createType claims:
  // QEMU can read them but cannot rewrite a grain in place.
  const compressed = (flags & FLAG_COMPRESSED) !== 0 || (flags & FLAG_MARKERS) !== 0 || compression !== 0;
  const info: ImageFileInfo = {
    path: file,
    format: 'vmdk',
    subformat: compressed ? 'streamOptimized' : desc.createType ?? 'monolithicSparse',
    virtualSize: u64(capacity * BigInt(SECTOR)),
    fileSize: src.size,
  };
  if (desc.parentFileNameHint !== undefined) info.backingFile = desc.parentFileNameHint;
  return info;
}

/** A text descriptor file; its extents are resolved next to it, like QEMU and VMware do. */
export async function parseVmdkDescriptorFile(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const buf = await src.read(0, Math.min(src.size, MAX_DESCRIPTOR));
  return descriptorInfo(parseDescriptor(cString(buf, 'latin1')), file, src.size);
}

/** What a descriptor (a file of its own, or embedded in a sparse header QEMU reads as one) says. */
function descriptorInfo(desc: VmdkDescriptor, file: string, fileSize: number): ImageFileInfo {
  if (desc.createType === undefined) damaged(file, 'vmdk', 'the descriptor has no createType');
  if (desc.unreadable !== undefined) damaged(file, 'vmdk', `the descriptor has an extent line Guestprep cannot read: ${JSON.stringify(desc.unreadable.slice(0, 200))}`);
  if (desc.extents.length === 0) damaged(file, 'vmdk', 'the descriptor lists no extents');
  for (const e of desc.extents) {
    if (!SUPPORTED_EXTENTS.has(e.type)) {
      unsupportedVariant(
        file,
        `a VMDK descriptor with a ${e.type} extent (raw device mapping: the data is on a physical disk or LUN)`,
        'Copy the disk to an ordinary image first, e.g. with vmkfstools -i or qemu-img convert -O vmdk, and prepare the copy.',
      );
    }
    if (e.type !== 'ZERO' && e.file === undefined) damaged(file, 'vmdk', `a ${e.type} extent has no file name`);
  }
  const dir = path.dirname(file);
  const names = desc.extents.filter((e) => e.file !== undefined).map((e) => e.file as string);
  const info: ImageFileInfo = {
    path: file,
    format: 'vmdk',
    subformat: desc.createType,
    virtualSize: desc.extents.reduce((n, e) => n + e.sectors * SECTOR, 0),
    fileSize,
    extentNames: names,
    extentFiles: names.map((n) => path.resolve(dir, n)),
  };
  if (desc.parentFileNameHint !== undefined) info.backingFile = desc.parentFileNameHint;
  return info;
}
