// Small read-only queries shared by the Linux and Windows inspections. Each is sent with guestfish's `-`
// prefix, so a missing file or an inspection field libguestfs cannot answer does not end the session.

import type { GuestfishSession } from '../guestfish/session';

/** One trimmed answer of `cmd arg`, or '' when the command fails. */
export async function one(s: GuestfishSession, cmd: string, arg: string): Promise<string> {
  const r = await s.exec([cmd, arg], { tolerate: true });
  return r.ok ? r.output.trim() : '';
}

/** The trimmed answer of a command, or '' when it fails. */
export async function answer(s: GuestfishSession, argv: string[]): Promise<string> {
  const r = await s.exec(argv, { tolerate: true });
  return r.ok ? r.output.trim() : '';
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
