// Small read-only queries shared by the Linux and Windows inspections. Each is sent with guestfish's `-`
// prefix, so a missing file or an inspection field libguestfs cannot answer does not end the session.

import type { GuestfishSession } from '../guestfish/session';

/** One trimmed answer of `cmd arg`, or '' when the command fails. */
export async function one(s: GuestfishSession, cmd: string, arg: string): Promise<string> {
  const r = await s.exec([cmd, arg], { tolerate: true });
  return r.ok ? r.output.trim() : '';
}

/** is-file following symlinks, so /sbin/useradd -> /usr/sbin/useradd counts (no effect on NTFS). */
export async function isFile(s: GuestfishSession, path: string): Promise<boolean> {
  const r = await s.exec(['is-file', path, 'followsymlinks:true'], { tolerate: true });
  return r.ok && r.output.trim() === 'true';
}
