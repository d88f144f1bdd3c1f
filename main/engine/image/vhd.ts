// Microsoft VHD ("vpc" to QEMU), big-endian. Every VHD ends with a 512-byte footer starting with
// "conectix"; dynamic and differencing disks also keep a copy of it at offset 0, followed by a
// "cxsparse" dynamic header that locates the block allocation table (BAT).
//
// Footer: 0 cookie, 16 u64 data offset (dynamic header; all ones for fixed disks), 28 creator app,
// 48 u64 current size, 56 u16 cylinders, 58 u8 heads, 59 u8 sectors/track, 60 u32 disk type
// (2 fixed, 3 dynamic, 4 differencing).
// Dynamic header: 0 cookie, 16 u64 BAT offset, 28 u32 BAT entries, 32 u32 block size,
// 64 parent name (512 bytes, UTF-16BE; differencing disks).

import type { ImageFileInfo } from '../types';
import { ByteSource, readExact } from './byte-source';
import { damaged, truncated, u64, utf16be } from './header-util';

export const VHD_COOKIE = 'conectix';
const FOOTER = 512;
const TYPES: Record<number, string> = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

export function isVhdFooter(b: Buffer | null): b is Buffer {
  return b !== null && b.length >= 8 && b.toString('latin1', 0, 8) === VHD_COOKIE;
}

/**
 * The disk size QEMU will present. Virtual PC and old QEMU ("vpc ", "qemu") size a disk by its
 * CHS geometry, everybody else by the current-size field; a maxed-out geometry means the geometry
 * cannot express the size, so current size wins. Same rule as QEMU's vpc_ignore_current_size().
 */
export function vhdVirtualSize(footer: Buffer): number {
  const current = u64(footer.readBigUInt64BE(48));
  const app = footer.toString('latin1', 28, 32);
  const cyl = footer.readUInt16BE(56);
  const heads = footer.readUInt8(58);
  const spt = footer.readUInt8(59);
  const maxGeometry = cyl === 65535 && heads === 16 && spt === 255;
  if ((app === 'vpc ' || app === 'qemu') && !maxGeometry) return cyl * heads * spt * 512;
  return current;
}

/** `footer` is the copy at offset 0 (dynamic disks) or the one in the last 512 bytes (fixed). */
export async function parseVhd(src: ByteSource, file: string, footer: Buffer): Promise<ImageFileInfo> {
  const type = footer.readUInt32BE(60);
  const subformat = TYPES[type];
  if (subformat === undefined) damaged(file, 'vpc', `unknown disk type ${type}`);
  const virtualSize = vhdVirtualSize(footer);
  const info: ImageFileInfo = { path: file, format: 'vpc', subformat, virtualSize, fileSize: src.size };

  if (subformat === 'fixed') {
    // A fixed disk is the raw data followed by the footer.
    const needed = u64(footer.readBigUInt64BE(48)) + FOOTER;
    if (needed > src.size) truncated(file, 'vpc', 'fixed-size data', needed, src.size);
    return info;
  }

  const dynOffset = u64(footer.readBigUInt64BE(16));
  const dyn = await readExact(src, dynOffset, 1024);
  if (!dyn) truncated(file, 'vpc', 'dynamic disk header', dynOffset + 1024, src.size);
  if (dyn.toString('latin1', 0, 8) !== 'cxsparse') damaged(file, 'vpc', 'the dynamic disk header is missing');
  const batOffset = u64(dyn.readBigUInt64BE(16));
  const batEntries = dyn.readUInt32BE(28);
  const batEnd = batOffset + batEntries * 4;
  if (batEnd > src.size) truncated(file, 'vpc', 'block allocation table', batEnd, src.size);
  if (subformat === 'differencing') {
    const parent = utf16be(dyn.subarray(64, 64 + 512));
    info.backingFile = parent !== '' ? parent : '(unnamed parent disk)';
  }
  return info;
}
