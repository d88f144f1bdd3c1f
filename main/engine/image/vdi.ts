// VirtualBox VDI header (layout: VirtualBox src/VBox/Storage/VDICore.h, VDIPREHEADER followed by
// VDIHEADER1PLUS; QEMU's block/vdi.c reads the same fields). All integers are little-endian.
//
//   0x000 text "<<< ... >>>\n"      0x040 u32 signature 0xbeda107f   0x044 u32 version (major<<16|minor)
//   0x048 u32 header size           0x04C u32 image type              0x154 u32 block map offset
//   0x158 u32 data offset           0x168 u32 sector size             0x170 u64 disk size
//   0x178 u32 block size            0x17C u32 block extra             0x180 u32 blocks in image
//   0x184 u32 blocks allocated      0x188 uuid create   0x198 uuid modify
//   0x1A8 uuid linkage (the parent's UUID, differencing images)   0x1B8 uuid parent-modify

import type { ImageFileInfo } from '../types';
import { ByteSource, readExact } from './byte-source';
import { damaged, guidString, isAllZero, truncated, u64, unsupportedVariant } from './header-util';

export const VDI_SIGNATURE = 0xbeda107f;
export const VDI_OFFSETS = {
  signature: 0x40,
  version: 0x44,
  headerSize: 0x48,
  imageType: 0x4c,
  blockMapOffset: 0x154,
  dataOffset: 0x158,
  sectorSize: 0x168,
  diskSize: 0x170,
  blockSize: 0x178,
  blockExtra: 0x17c,
  blocks: 0x180,
  blocksAllocated: 0x184,
  uuidCreate: 0x188,
  uuidModify: 0x198,
  uuidLinkage: 0x1a8,
  uuidParentModify: 0x1b8,
} as const;
/** End of the last field we read (VDIHEADER1 without the optional LCHS geometry). */
const HEADER_END = 0x1c8;

const TYPES: Record<number, string> = { 1: 'dynamic', 2: 'fixed', 3: 'undo', 4: 'differencing' };

export interface VdiUuids {
  create: string;
  modify: string;
  linkage: string;
  parentModify: string;
}

export function isVdi(head: Buffer): boolean {
  return head.length >= 0x44 && head.readUInt32LE(VDI_OFFSETS.signature) === VDI_SIGNATURE;
}

/** The four header UUIDs, in VirtualBox's text form. */
export function vdiUuids(header: Buffer): VdiUuids {
  const at = (o: number) => guidString(header.subarray(o, o + 16));
  return {
    create: at(VDI_OFFSETS.uuidCreate),
    modify: at(VDI_OFFSETS.uuidModify),
    linkage: at(VDI_OFFSETS.uuidLinkage),
    parentModify: at(VDI_OFFSETS.uuidParentModify),
  };
}

export async function parseVdi(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const h = await readExact(src, 0, HEADER_END);
  if (!h) truncated(file, 'vdi', 'header', HEADER_END, src.size);
  const version = h.readUInt32LE(VDI_OFFSETS.version);
  const major = version >>> 16;
  if (major !== 1) {
    unsupportedVariant(
      file,
      `a VDI image with header version ${major}.${version & 0xffff} (from a very old VirtualBox)`,
      `Let VirtualBox rewrite it in the current format: VBoxManage clonemedium disk "${file}" new.vdi --format VDI`,
    );
  }
  if (h.readUInt32LE(VDI_OFFSETS.headerSize) < HEADER_END - 0x48) damaged(file, 'vdi', 'the header size is too small');

  const type = h.readUInt32LE(VDI_OFFSETS.imageType);
  const subformat = TYPES[type];
  if (subformat === undefined) damaged(file, 'vdi', `unknown image type ${type}`);

  const sectorSize = h.readUInt32LE(VDI_OFFSETS.sectorSize);
  const diskSize = u64(h.readBigUInt64LE(VDI_OFFSETS.diskSize));
  const blockSize = h.readUInt32LE(VDI_OFFSETS.blockSize);
  const blockExtra = h.readUInt32LE(VDI_OFFSETS.blockExtra);
  const blocks = h.readUInt32LE(VDI_OFFSETS.blocks);
  const allocated = h.readUInt32LE(VDI_OFFSETS.blocksAllocated);
  const mapOffset = h.readUInt32LE(VDI_OFFSETS.blockMapOffset);
  const dataOffset = h.readUInt32LE(VDI_OFFSETS.dataOffset);

  if (sectorSize !== 512) damaged(file, 'vdi', `sector size ${sectorSize} (VDI uses 512)`);
  if (blockSize === 0 || (blockSize & (blockSize - 1)) !== 0) damaged(file, 'vdi', `block size ${blockSize} is not a power of two`);
  if (!Number.isFinite(diskSize) || blocks * blockSize < diskSize) damaged(file, 'vdi', `disk size ${diskSize} does not fit in ${blocks} blocks`);
  if (allocated > blocks) damaged(file, 'vdi', `${allocated} blocks allocated out of ${blocks}`);

  // The block map and the allocated data must lie inside the file, else it was cut short.
  const mapEnd = mapOffset + blocks * 4;
  if (mapEnd > src.size) truncated(file, 'vdi', 'block map', mapEnd, src.size);
  const dataBlocks = subformat === 'fixed' ? blocks : allocated;
  const dataEnd = dataOffset + dataBlocks * (blockSize + blockExtra);
  if (dataEnd > src.size) truncated(file, 'vdi', subformat === 'fixed' ? 'preallocated data' : 'allocated data', dataEnd, src.size);

  const info: ImageFileInfo = { path: file, format: 'vdi', subformat, virtualSize: diskSize, fileSize: src.size };
  // A differencing (or undo) image depends on its parent: QEMU refuses a non-null linkage or
  // parent-modify UUID, and writing the child alone would never reach the base disk anyway.
  const linkage = h.subarray(VDI_OFFSETS.uuidLinkage, VDI_OFFSETS.uuidLinkage + 16);
  const parentModify = h.subarray(VDI_OFFSETS.uuidParentModify, VDI_OFFSETS.uuidParentModify + 16);
  if (!isAllZero(linkage)) info.vdiParentUuid = guidString(linkage);
  else if (!isAllZero(parentModify)) info.vdiParentUuid = guidString(parentModify);
  return info;
}
