// The POSIX tar that Guestprep sends to guestfish `tar-in`: ustar headers (pax extended headers only
// for names, link targets or sizes ustar cannot hold), uid/gid 0, owner root, sanitised modes.
// Written by hand rather than with tar-stream's packer so that `totalTarBytes` can predict the stream
// length exactly, by encoding the same headers (byte progress must reach 100 %, not 97 % or 103 %).

import type { ArchiveEntryInfo } from '../types';
import { fail } from '../errors';
import { isUnder, normaliseEntryPath } from './safety';

export interface TarMember {
  /** Path in the output tar, relative, without a trailing '/'. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** Permission bits (already sanitised). */
  mode: number;
  /** Data bytes (files only; 0 otherwise). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;
export const END_OF_ARCHIVE_BYTES = 2 * BLOCK;

/** Bits kept from an archive's mode: no setuid/setgid/sticky, no write for group or others. */
export function sanitiseMode(mode: number): number {
  return mode & 0o755;
}

export function paddingFor(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

function writeString(buf: Buffer, s: string, off: number, len: number): void {
  Buffer.from(s, 'utf8').copy(buf, off, 0, len);
}

function writeOctal(buf: Buffer, value: number, off: number, len: number): void {
  // len-1 octal digits, zero-padded, then NUL.
  const s = Math.max(0, Math.floor(value)).toString(8).padStart(len - 1, '0');
  buf.write(s.slice(-(len - 1)), off, 'latin1');
  buf[off + len - 1] = 0;
}

/** Splits a name into ustar prefix (<= 155 bytes) and name (<= 100 bytes), or undefined. */
export function splitUstarName(full: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(full) <= 100) return { prefix: '', name: full };
  for (let i = full.indexOf('/'); i > 0; i = full.indexOf('/', i + 1)) {
    const prefix = full.slice(0, i);
    const name = full.slice(i + 1);
    if (Buffer.byteLength(prefix) > 155) break;
    if (name !== '' && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let digits = String(bodyLen).length;
  while (String(bodyLen + digits).length !== digits) digits++;
  return `${bodyLen + digits}${body}`;
}

function ustarHeader(m: {
  name: string; prefix: string; mode: number; size: number; mtime: number; typeflag: string; linkname: string;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, m.name, 0, 100);
  writeOctal(h, m.mode, 100, 8);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  writeOctal(h, m.size, 124, 12);
  writeOctal(h, Math.min(Math.max(m.mtime, 0), MAX_OCTAL_11), 136, 12);
  h.write('        ', 148, 'latin1'); // checksum placeholder: 8 spaces
  h.write(m.typeflag, 156, 'latin1');
  writeString(h, m.linkname, 157, 100);
  h.write('ustar\u000000', 257, 'latin1');
  writeString(h, 'root', 265, 32);
  writeString(h, 'root', 297, 32);
  writeOctal(h, 0, 329, 8);
  writeOctal(h, 0, 337, 8);
  writeString(h, m.prefix, 345, 155);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  return h;
}

const TYPEFLAG: Record<TarMember['type'], string> = { file: '0', hardlink: '1', symlink: '2', directory: '5' };

/** The header block(s) of a member: one ustar block, preceded by a pax header when needed. */
export function encodeHeaders(m: TarMember): Buffer {
  const fullName = m.type === 'directory' ? `${m.name}/` : m.name;
  const split = splitUstarName(fullName);
  const linkname = m.linkname ?? '';
  const pax: string[] = [];
  if (!split) pax.push(paxRecord('path', fullName));
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
  if (m.size > MAX_OCTAL_11) pax.push(paxRecord('size', String(m.size)));

  const header = ustarHeader({
    name: split ? split.name : fullName,
    prefix: split ? split.prefix : '',
    mode: m.mode,
    size: m.size > MAX_OCTAL_11 ? 0 : m.size,
    mtime: m.mtime,
    typeflag: TYPEFLAG[m.type],
    linkname,
  });
  if (pax.length === 0) return header;
  const data = Buffer.from(pax.join(''), 'utf8');
  const paxHeader = ustarHeader({
    name: 'PaxHeader', prefix: '', mode: 0o644, size: data.length, mtime: m.mtime, typeflag: 'x', linkname: '',
  });
  return Buffer.concat([paxHeader, data, Buffer.alloc(paddingFor(data.length)), header]);
}

/** Bytes a member takes in the stream: header(s), data, padding. */
export function memberBytes(m: TarMember): number {
  const data = m.type === 'file' ? m.size : 0;
  return encodeHeaders(m).length + data + paddingFor(data);
}

/**
 * Maps archive entries (in archive order) to the members of the output tar: only entries under
 * `stripPrefix`, with it removed; missing parent directories added first (mode 0755); a directory
 * that was already written is not written again (first come wins); the prefix folder itself is not
 * written (the caller creates the target folder). Hard links must point to a file written before.
 */
export class TarLayout {
  private readonly dirs = new Set<string>();
  private readonly files = new Set<string>();

  // The archive's name is required: the refusal of a bad hard link must say which archive it is in.
  constructor(private readonly stripPrefix: string, private readonly archiveName: string) {}

  /** The output path for an archive path, undefined when it is outside the prefix. */
  relative(p: string): string | undefined {
    const prefix = this.stripPrefix;
    if (!isUnder(p, prefix)) return undefined;
    return prefix === '' ? p : p.slice(prefix.length + 1);
  }

  map(e: ArchiveEntryInfo, mtime = 0): TarMember[] {
    const r = this.relative(e.path);
    if (r === undefined || r === '') return [];
    const out: TarMember[] = [];
    const parts = r.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.dirs.has(dir)) {
        this.dirs.add(dir);
        out.push({ name: dir, type: 'directory', mode: 0o755, size: 0, mtime });
      }
    }
    const mode = sanitiseMode(e.mode);
    switch (e.type) {
      case 'directory':
        if (!this.dirs.has(r)) {
          this.dirs.add(r);
          out.push({ name: r, type: 'directory', mode, size: 0, mtime });
        }
        break;
      case 'file':
        this.files.add(r);
        out.push({ name: r, type: 'file', mode, size: e.size, mtime });
        break;
      case 'symlink':
        out.push({ name: r, type: 'symlink', mode, size: 0, mtime, linkname: e.linkTarget ?? '' });
        break;
      case 'hardlink': {
        const target = this.relative(normaliseEntryPath(e.linkTarget ?? ''));
        if (target === undefined || !this.files.has(target)) {
          const where = target === undefined ? `outside the copied folder ${JSON.stringify(this.stripPrefix || '.')}` : 'missing: no file of that name is stored before it';
          fail('ARCHIVE_UNSAFE_ENTRY',
            `${this.archiveName}: the entry "${e.path}" is a hard link to "${e.linkTarget ?? ''}", which is ${where} in the archive.`,
            'Download the archive again from its official site; if it is the official archive, report it to the ' +
              'Guestprep developers.');
        }
        out.push({ name: r, type: 'hardlink', mode, size: 0, mtime, linkname: target });
        break;
      }
      default:
        // 'other' entries are refused by EntryChecker before they get here; never write them.
        break;
    }
    return out;
  }
}

/**
 * The exact length of the tar stream `restreamAsTar` produces for these entries (in archive order)
 * and this prefix: headers, padded data and the 1024-byte end marker.
 */
export function totalTarBytes(entries: Iterable<ArchiveEntryInfo>, stripPrefix: string, archiveName: string): number {
  const layout = new TarLayout(stripPrefix, archiveName);
  let total = END_OF_ARCHIVE_BYTES;
  for (const e of entries) for (const m of layout.map(e)) total += memberBytes(m);
  return total;
}
