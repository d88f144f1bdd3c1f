// Small read-only queries shared by the Linux and Windows inspections. Each is sent with guestfish's `-`
// prefix, so a missing file or an inspection field libguestfs cannot answer does not end the session.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestfishSession } from '../guestfish/session';
import { gfQuote } from '../quote/guestfish';
import { parseOdBytes } from './hivex';

/** One trimmed answer of `cmd arg`, or '' when the command fails. */
export function one(s: GuestfishSession, cmd: string, arg: string): Promise<string> {
  return answer(s, [cmd, arg]);
}

/** The trimmed answer of a command, or '' when it fails. */
export async function answer(s: GuestfishSession, argv: string[]): Promise<string> {
  const r = await s.exec(argv, { tolerate: true });
  return r.ok ? r.output.trim() : '';
}

/** The real-case guest path of a file (case-sensitive-path: NTFS names in any case), or '' when there is none. */
export async function realFile(s: GuestfishSession, path: string): Promise<string> {
  const real = await answer(s, ['case-sensitive-path', path]);
  return real && (await isFile(s, real)) ? real : '';
}

/** is-file following symlinks, so /sbin/useradd -> /usr/sbin/useradd counts (no effect on NTFS). */
export async function isFile(s: GuestfishSession, path: string): Promise<boolean> {
  const r = await s.exec(['is-file', path, 'followsymlinks:true'], { tolerate: true });
  return r.ok && r.output.trim() === 'true';
}

/**
 * Block devices holding an encrypted volume (LUKS, BitLocker), as `device: type` strings. Asked only when
 * inspection found no operating system: libguestfs cannot look into such a volume without its key, and
 * `list-filesystems` leaves LUKS partitions out, so each whole disk, partition and logical volume is
 * asked for its type (blkid's names: crypto_LUKS, BitLocker).
 */
export async function encryptedVolumes(s: GuestfishSession): Promise<string[]> {
  const list = async (cmd: string) => {
    const r = await s.exec([cmd], { tolerate: true });
    return r.ok ? r.output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/dev/')) : [];
  };
  const devices = [...(await list('list-devices')), ...(await list('list-partitions')), ...(await list('lvs'))];
  const found: string[] = [];
  for (const dev of devices) {
    const type = await one(s, 'vfs-type', dev);
    if (/^crypto_LUKS$/i.test(type)) found.push(`${dev}: LUKS`);
    else if (/bitlocker/i.test(type)) found.push(`${dev}: BitLocker`);
  }
  return found;
}

/** Files up to this size are read with one `pread`; bigger ones are downloaded. */
const PREAD_LIMIT = 1 << 20;

/**
 * The exact bytes of a guest file (its first `limit` bytes when given), or undefined when it cannot be
 * read. `pread` answers inside the protocol reply (a few ms), where `cat` and `download` set up a file
 * transfer (120-200 ms each under emulation: measured with GUESTPREP_TRACE_COMMANDS). Its raw output goes
 * through the host's `od`, so every byte (and whether the file ends with a newline) survives.
 */
export async function readGuestFile(s: GuestfishSession, path: string, limit?: number): Promise<Buffer | undefined> {
  const r = await s.execRaw(`pread ${gfQuote(path)} ${limit ?? PREAD_LIMIT} 0 | od -An -tx1 -v`, true);
  if (!r.ok) return undefined;
  const bytes = parseOdBytes(r.output);
  // With a limit, its first `limit` bytes are what the caller asked for.
  if (limit !== undefined || bytes.length < PREAD_LIMIT) return bytes;
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-read-'));
  try {
    const host = join(dir, 'file');
    return (await s.exec(['download', path, host], { tolerate: true })).ok ? readFileSync(host) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
