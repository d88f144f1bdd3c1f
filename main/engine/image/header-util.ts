// Small helpers shared by the format parsers: the errors they raise and the byte-level decoding
// they have in common.

import { fail } from '../errors';

const FORMAT_NAMES: Record<string, string> = {
  vdi: 'VDI',
  vmdk: 'VMDK',
  vpc: 'VHD',
  vhdx: 'VHDX',
  qcow2: 'qcow2',
};

export function formatName(format: string): string {
  return FORMAT_NAMES[format] ?? format;
}

/** The header promises data beyond the end of the file: a cut-short copy or download. */
export function truncated(file: string, format: string, what: string, needed: number, size: number): never {
  fail(
    'IMAGE_UNREADABLE',
    `${file} is incomplete: its ${formatName(format)} header says the ${what} reaches ` +
      `${Number.isSafeInteger(needed) ? `byte ${needed}` : 'far beyond any real file size'}, ` +
      `but the file has only ${size} bytes.`,
    'The file was probably cut short (an interrupted copy or download, or a full disk). Copy it again from its source; ' +
      `\`qemu-img check -f ${format} "${file}"\` shows the damage.`,
  );
}

/** The header is recognisably of this format but makes no sense. */
export function damaged(file: string, format: string, what: string): never {
  fail(
    'IMAGE_UNREADABLE',
    `${file} looks like a ${formatName(format)} image, but its header is damaged: ${what}.`,
    `Check the image with \`qemu-img check -f ${format} "${file}"\`, or use a good copy of the disk.`,
  );
}

/** A variant of a known format that Guestprep does not write into; `fix` says how to convert it. */
export function unsupportedVariant(file: string, what: string, fix: string): never {
  fail('IMAGE_FORMAT_UNSUPPORTED', `${file} is ${what}, which Guestprep cannot prepare.`, fix);
}

/** A u64 field as a JS number. Disk sizes stay far below 2^53 bytes (8 PiB); bigger means garbage. */
export function u64(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}

/**
 * A 16-byte GUID as Microsoft and VirtualBox store it (first three fields little-endian) in the
 * usual text form, so it reads like the UUID VBoxManage shows.
 */
export function guidString(b: Buffer): string {
  const rev = (s: number, e: number) => Buffer.from(b.subarray(s, e)).reverse().toString('hex');
  const fwd = (s: number, e: number) => b.subarray(s, e).toString('hex');
  return `${rev(0, 4)}-${rev(4, 6)}-${rev(6, 8)}-${fwd(8, 10)}-${fwd(10, 16)}`;
}

export function isAllZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** Text up to the first NUL byte. */
export function cString(b: Buffer, encoding: 'latin1' | 'utf8' = 'utf8'): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString(encoding);
}

export function utf16be(b: Buffer): string {
  const le = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  le.swap16();
  return utf16le(le);
}

export function utf16le(b: Buffer): string {
  const even = b.length - (b.length % 2);
  const s = b.subarray(0, even).toString('utf16le');
  const nul = s.indexOf('\u0000');
  return nul === -1 ? s : s.slice(0, nul);
}
