// Microsoft VHDX ([MS-VHDX]), little-endian. The virtual size lives in the metadata region, found
// through the region table; we read it ourselves so the header reader never needs qemu-img.
//
//   0x00000 "vhdxfile" file identifier
//   0x30000 region table ("regi", u32 checksum, u32 entry count, u32 reserved; 32-byte entries:
//           GUID, u64 file offset, u32 length, u32 required); a backup copy at 0x40000
//   metadata region: "metadata", u16 reserved, u16 entry count, 20 reserved; 32-byte entries:
//           item GUID, u32 offset (from the region start), u32 length, u32 flags, u32 reserved

import type { ImageFileInfo } from '../types';
import { ByteSource, readExact } from './byte-source';
import { damaged, guidString, truncated, u64, utf16le } from './header-util';

const REGION_TABLES = [0x30000, 0x40000];
const TABLE_SIZE = 0x10000;
const METADATA_REGION = '8b7ca206-4790-4b9a-b8fe-575f050f886e';
const ITEM_FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
const ITEM_VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
const ITEM_PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';
const FILE_PARAM_LEAVE_ALLOCATED = 1;
const FILE_PARAM_HAS_PARENT = 2;

export function isVhdx(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 8) === 'vhdxfile';
}

interface Item {
  offset: number;
  length: number;
}

export async function parseVhdx(src: ByteSource, file: string): Promise<ImageFileInfo> {
  const region = await findMetadataRegion(src, file);
  const table = await readExact(src, region.offset, Math.min(TABLE_SIZE, region.length));
  if (!table) truncated(file, 'vhdx', 'metadata table', region.offset + TABLE_SIZE, src.size);
  if (table.toString('latin1', 0, 8) !== 'metadata') damaged(file, 'vhdx', 'the metadata table signature is missing');
  const count = table.readUInt16LE(10);
  const items = new Map<string, Item>();
  for (let i = 0; i < count; i++) {
    const e = 32 + i * 32;
    if (e + 32 > table.length) damaged(file, 'vhdx', 'the metadata table has more entries than fit in it');
    items.set(guidString(table.subarray(e, e + 16)), { offset: table.readUInt32LE(e + 16), length: table.readUInt32LE(e + 20) });
  }

  const item = async (id: string, name: string, min: number): Promise<Buffer> => {
    const it = items.get(id);
    if (!it) damaged(file, 'vhdx', `the ${name} metadata item is missing`);
    if (it.length < min || it.offset + it.length > region.length) damaged(file, 'vhdx', `the ${name} metadata item is malformed`);
    const b = await readExact(src, region.offset + it.offset, it.length);
    if (!b) truncated(file, 'vhdx', `${name} metadata`, region.offset + it.offset + it.length, src.size);
    return b;
  };

  const size = await item(ITEM_VIRTUAL_DISK_SIZE, 'virtual disk size', 8);
  const params = await item(ITEM_FILE_PARAMETERS, 'file parameters', 8);
  const paramFlags = params.readUInt32LE(4);
  const hasParent = (paramFlags & FILE_PARAM_HAS_PARENT) !== 0 || items.has(ITEM_PARENT_LOCATOR);

  const info: ImageFileInfo = {
    path: file,
    format: 'vhdx',
    subformat: hasParent ? 'differencing' : (paramFlags & FILE_PARAM_LEAVE_ALLOCATED) !== 0 ? 'fixed' : 'dynamic',
    virtualSize: u64(size.readBigUInt64LE(0)),
    fileSize: src.size,
  };
  if (hasParent) {
    info.backingFile = items.has(ITEM_PARENT_LOCATOR)
      ? parentPath(await item(ITEM_PARENT_LOCATOR, 'parent locator', 20)) ?? '(parent disk)'
      : '(parent disk)';
  }
  return info;
}

async function findMetadataRegion(src: ByteSource, file: string): Promise<Item> {
  // The two copies are updated one after the other; either one is valid on its own.
  for (const at of REGION_TABLES) {
    const t = await readExact(src, at, TABLE_SIZE);
    if (!t) truncated(file, 'vhdx', 'region table', at + TABLE_SIZE, src.size);
    if (t.toString('latin1', 0, 4) !== 'regi') continue;
    const count = t.readUInt32LE(8);
    for (let i = 0; i < count && 16 + (i + 1) * 32 <= t.length; i++) {
      const e = 16 + i * 32;
      if (guidString(t.subarray(e, e + 16)) !== METADATA_REGION) continue;
      const offset = u64(t.readBigUInt64LE(e + 16));
      const length = t.readUInt32LE(e + 24);
      if (offset + length > src.size) truncated(file, 'vhdx', 'metadata region', offset + length, src.size);
      return { offset, length };
    }
  }
  return damaged(file, 'vhdx', 'no region table lists a metadata region');
}

/** Parent locator: key/value pairs in UTF-16LE; the relative path is what a user recognises. */
function parentPath(loc: Buffer): string | undefined {
  const count = loc.readUInt16LE(18);
  const values = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const e = 20 + i * 12;
    if (e + 12 > loc.length) break;
    const keyOff = loc.readUInt32LE(e);
    const valOff = loc.readUInt32LE(e + 4);
    const keyLen = loc.readUInt16LE(e + 8);
    const valLen = loc.readUInt16LE(e + 10);
    if (keyOff + keyLen > loc.length || valOff + valLen > loc.length) break;
    values.set(utf16le(loc.subarray(keyOff, keyOff + keyLen)), utf16le(loc.subarray(valOff, valOff + valLen)));
  }
  return values.get('relative_path') ?? values.get('absolute_win32_path') ?? values.get('volume_path');
}
