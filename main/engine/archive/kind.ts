// Which kind of archive a file is, read from its first bytes. The file name is never trusted
// (users rename downloads, browsers append "(1)"): it is only used to word the messages.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArchiveKind } from '../types';
import { fail } from '../errors';
import { ARCHIVE_FILES_TEXT } from '../../rules/formats';

/** The kinds taken, for messages (from the one table of formats). */
export const ACCEPTED_ARCHIVES = ARCHIVE_FILES_TEXT;

/** Magic numbers of formats we recognise only to say what the file is when we refuse it. */
const OTHER_FORMATS: Array<{ magic: number[]; name: string }> = [
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2 (.tar.bz2)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd (.tar.zst)' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: '7-Zip (.7z)' },
  { magic: [0x52, 0x61, 0x72, 0x21], name: 'RAR (.rar)' },
  { magic: [0x4d, 0x53, 0x43, 0x46], name: 'Windows cabinet (.cab)' },
  { magic: [0xd0, 0xcf, 0x11, 0xe0], name: 'Windows installer (.msi)' },
  { magic: [0x4d, 0x5a], name: 'Windows program (.exe)' },
  { magic: [0x78, 0x61, 0x72, 0x21], name: 'xar / macOS package (.pkg)' },
  { magic: [0x21, 0x3c, 0x61, 0x72, 0x63, 0x68, 0x3e], name: 'Debian package or ar archive (.deb)' },
  { magic: [0xed, 0xab, 0xee, 0xdb], name: 'RPM package (.rpm)' },
];

function startsWith(buf: Buffer, magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

/** Pure part: the kind for a file's first 512 bytes (or fewer), or undefined. */
export function kindFromHeader(head: Buffer): ArchiveKind | undefined {
  if (startsWith(head, [0x1f, 0x8b])) return 'tar.gz';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'tar.xz';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  // POSIX "ustar\0" and old GNU "ustar  \0" both start with these five bytes at offset 257.
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/** Names the format of an unsupported file when we know it, for the error message. */
export function describeUnsupported(head: Buffer): string | undefined {
  return OTHER_FORMATS.find((f) => startsWith(head, f.magic))?.name;
}

/**
 * Reads the first 512 bytes of `path` and returns its archive kind.
 * Throws ARCHIVE_NOT_FOUND, ARCHIVE_UNREADABLE or ARCHIVE_FORMAT_UNSUPPORTED.
 */
export async function detectArchiveKind(path: string): Promise<ArchiveKind> {
  const name = basename(path);
  let head: Buffer;
  try {
    // O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever (it has no
    // effect on regular files); the pipe is then refused below like any other special file.
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'a device or other special file';
        fail('ARCHIVE_UNREADABLE', `${name} is ${what}, not an archive.`, `Pick the archive file itself (${ACCEPTED_ARCHIVES}).`);
      }
      const buf = Buffer.alloc(512);
      const { bytesRead } = await fh.read(buf, 0, 512, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      fail('ARCHIVE_NOT_FOUND', `The archive ${path} does not exist.`, 'Check the path, or download the archive again.');
    }
    if (code === 'EACCES' || code === 'EPERM') {
      fail('ARCHIVE_UNREADABLE', `The archive ${path} cannot be read (permission denied).`,
        'Make the file readable by the user running Guestprep, or copy it somewhere readable.');
    }
    if (code === 'EISDIR') {
      fail('ARCHIVE_UNREADABLE', `${name} is a folder, not an archive.`, `Pick the archive file itself (${ACCEPTED_ARCHIVES}).`);
    }
    throw err;
  }
  const kind = kindFromHeader(head);
  if (kind) return kind;
  const what = head.length === 0 ? 'an empty file' : describeUnsupported(head);
  fail(
    'ARCHIVE_FORMAT_UNSUPPORTED',
    what ? `${name} is ${what.startsWith('an ') ? what : `a ${what} file`}, not an archive Guestprep can read.`
      : `${name} is not an archive Guestprep can read (its content is not tar, gzip, xz or zip, whatever its name says).`,
    `Use the archive as published, in one of these formats: ${ACCEPTED_ARCHIVES}. ` +
      'Download it again if it may be damaged or incomplete.',
  );
}
