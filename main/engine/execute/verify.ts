// Verification before the commit: read back from the overlay, in the same session, that every file the
// plan meant to create is there with the intended type, owner and mode, that links point where they
// should, and that generated files carry what they must. Only a fully verified overlay is committed.

import type { Expectation } from '../types';
import type { GuestfishSession } from '../guestfish/session';

export interface VerifyResult {
  checked: number;
  failures: string[];
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export function parseStat(text: string): { mode: number; uid: number; gid: number } | undefined {
  const get = (k: string): number | undefined => {
    const m = new RegExp(`^${k}: (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const mode = get('st_mode');
  const uid = get('st_uid');
  const gid = get('st_gid');
  if (mode === undefined || uid === undefined || gid === undefined) return undefined;
  return { mode, uid, gid };
}

function octal(n: number): string {
  return '0' + (n & 0o7777).toString(8).padStart(3, '0');
}

export async function verifyExpectations(s: GuestfishSession, expectations: Expectation[]): Promise<VerifyResult> {
  // Pipelined: every query is sent at once; answers come back in order.
  const results = await Promise.all(expectations.map((e) => checkOne(s, e)));
  return { checked: expectations.length, failures: results.filter((r): r is string => r !== undefined) };
}

async function checkOne(s: GuestfishSession, e: Expectation): Promise<string | undefined> {
  const st = await s.exec(['lstatns', e.path], { tolerate: true });
  const stat = st.ok ? parseStat(st.output) : undefined;
  if (e.kind === 'absent') return stat ? `${e.path} should not exist` : undefined;
  if (!stat) return `${e.path} is missing`;
  const type = stat.mode & S_IFMT;
  if (e.kind === 'symlink') {
    if (type !== S_IFLNK) return `${e.path} is not a symbolic link`;
    const t = await s.exec(['readlink', e.path], { tolerate: true });
    const target = t.output.trim();
    return target === e.target ? undefined : `${e.path} points to ${target}, expected ${e.target}`;
  }
  const wantType = e.kind === 'file' ? S_IFREG : S_IFDIR;
  if (type !== wantType) return `${e.path} is not a ${e.kind === 'file' ? 'regular file' : 'directory'}`;
  const problems: string[] = [];
  if ((stat.mode & 0o7777) !== e.mode) problems.push(`mode ${octal(stat.mode)}, expected ${octal(e.mode)}`);
  if (stat.uid !== e.uid || stat.gid !== e.gid) problems.push(`owner ${stat.uid}:${stat.gid}, expected ${e.uid}:${e.gid}`);
  if (e.kind === 'file' && e.contains !== undefined) {
    const c = await s.exec(['cat', e.path], { tolerate: true });
    if (!c.ok || !c.output.includes(e.contains)) problems.push(`does not contain ${JSON.stringify(e.contains)}`);
  }
  return problems.length ? `${e.path}: ${problems.join('; ')}` : undefined;
}
