// Verification before the commit: read back from the overlay, in the same session, that every file the
// plan meant to create is there with the intended type, owner and mode, that links point where they
// should, and that generated files carry what they must. Only a fully verified overlay is committed.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expectation } from '../types';
import type { GuestfishSession } from '../guestfish/session';
import { compareRegValues, findRegKey, parseRegText } from '../quote/reg';
import { readGuestFile } from '../inspect/queries';

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
  const work = mkdtempSync(join(tmpdir(), 'guestprep-verify-'));
  try {
    // Each hive is downloaded once, however many keys of it are checked (a download is a file transfer:
    // 130 ms here for a small hive, seconds for a real one).
    const hives = new Map<string, Promise<Downloaded>>();
    const hive = (guestPath: string): Promise<Downloaded> => {
      let d = hives.get(guestPath);
      if (!d) {
        const host = join(work, `hive-${hives.size}`);
        d = s.exec(['download', guestPath, host], { tolerate: true }).then((r) => ({ host, error: r.ok ? undefined : r.error ?? 'download failed' }));
        hives.set(guestPath, d);
      }
      return d;
    };
    // Pipelined: every query is sent at once; answers come back in order.
    const results = await Promise.all(
      expectations.map((e) =>
        e.kind === 'registry' ? checkRegistry(e, hive(e.hivePath)) : e.kind === 'registry-absent' ? checkRegistryAbsent(e, hive(e.hivePath)) : checkOne(s, e),
      ),
    );
    return { checked: expectations.length, failures: results.filter((r): r is string => r !== undefined) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A hive downloaded from the guest to `host`, or why it could not be. */
interface Downloaded {
  host: string;
  error?: string;
}

/** Runs a host program without a shell; resolves with its exit code and output (never rejects). */
export function runHost(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A registry expectation: the hive is downloaded from the overlay and exported on the host. Reading it with
 * the guestfish hivex commands would work too, but hivexregedit is what wrote it, and its export is one
 * exact, typed text to compare with (guestfish prints binary values raw).
 */
async function checkRegistry(e: Extract<Expectation, { kind: 'registry' }>, downloaded: Promise<Downloaded>): Promise<string | undefined> {
  const where = `${e.hivePath} ${e.prefix}\\${e.key}`;
  const d = await downloaded;
  if (d.error !== undefined) return `${where}: the hive could not be read (${d.error})`;
  const x = await runHost('hivexregedit', ['--export', '--prefix', e.prefix, d.host, e.key]);
  if (x.code !== 0) return `${where}: the key could not be exported (${x.stderr.trim().split('\n')[0] || `exit ${String(x.code)}`})`;
  let problems: string[];
  try {
    problems = compareRegValues(e.values, findRegKey(parseRegText(x.stdout), `${e.prefix}\\${e.key}`));
  } catch (err) {
    problems = [`the export could not be read: ${(err as Error).message}`];
  }
  return problems.length ? `${where}: ${problems.join('; ')}` : undefined;
}

/** A key that must be gone: exporting it must fail with hivexregedit's "path not found" (any other failure is not proof). */
async function checkRegistryAbsent(e: Extract<Expectation, { kind: 'registry-absent' }>, downloaded: Promise<Downloaded>): Promise<string | undefined> {
  const where = `${e.hivePath} ${e.prefix}\\${e.key}`;
  const d = await downloaded;
  if (d.error !== undefined) return `${where}: the hive could not be read (${d.error})`;
  const x = await runHost('hivexregedit', ['--export', '--prefix', e.prefix, d.host, e.key]);
  if (x.code === 0) return `${where}: the key should not exist`;
  if (/path not found/i.test(x.stderr)) return undefined;
  return `${where}: the hive could not be checked (${x.stderr.trim().split('\n')[0] || `exit ${String(x.code)}`})`;
}

async function checkOne(s: GuestfishSession, e: Exclude<Expectation, { kind: 'registry' | 'registry-absent' }>): Promise<string | undefined> {
  const st = await s.exec(['lstatns', e.path], { tolerate: true });
  const stat = st.ok ? parseStat(st.output) : undefined;
  if (e.kind === 'absent') return stat ? `${e.path} should not exist` : undefined;
  if (!stat) return `${e.path} is missing`;
  const type = stat.mode & S_IFMT;
  if (e.kind === 'present') {
    // NTFS through ntfs-3g: modes and owners are synthesised, so only the type and the text are checked.
    if (type !== (e.type === 'file' ? S_IFREG : S_IFDIR)) return `${e.path} is not a ${e.type === 'file' ? 'regular file' : 'directory'}`;
    if (e.type === 'file' && e.contains !== undefined) {
      const text = (await readGuestFile(s, e.path))?.toString('utf8');
      if (text === undefined || !text.includes(e.contains)) return `${e.path}: does not contain ${JSON.stringify(e.contains)}`;
    }
    return undefined;
  }
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
  if (e.kind === 'file' && (e.contains !== undefined || e.lacks !== undefined)) {
    const text = (await readGuestFile(s, e.path))?.toString('utf8');
    if (text === undefined) problems.push('could not be read');
    else {
      if (e.contains !== undefined && !text.includes(e.contains)) problems.push(`does not contain ${JSON.stringify(e.contains)}`);
      if (e.lacks !== undefined && text.includes(e.lacks)) problems.push(`still contains ${JSON.stringify(e.lacks)}`);
    }
  }
  if (e.kind === 'file' && e.sha256 !== undefined) {
    const c = await s.exec(['checksum', 'sha256', e.path], { tolerate: true });
    if (!c.ok || c.output.trim() !== e.sha256) problems.push('its content is not the expected one (sha256 differs)');
  }
  return problems.length ? `${e.path}: ${problems.join('; ')}` : undefined;
}
