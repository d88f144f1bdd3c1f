// Bootable fixture guests for the *.boot.test.ts files, built once per machine by
// test/fixtures/build-bootable-guests.sh (debootstrap, a few minutes) and cached OUTSIDE the repo,
// keyed by the hash of that script, so editing the script rebuilds them and nothing else does.
//
//   cache root: $GUESTPREP_FIXTURE_CACHE or ~/.cache/guestprep-fixtures
//   guests:     <root>/<sha256(script)[0..16]>/...
//
// Test files run in parallel (two at a time): the first to need the guests builds them under a
// lock file; the others wait for it and then reuse the result.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export type GuestName = 'systemd' | 'sysvinit' | 'rclocal';

export interface Guest {
  name: GuestName;
  /** A dynamic VDI under `.../VirtualBox VMs/Node (<name>)/node.vdi`. */
  vdi: string;
  /** The guest's own kernel and initrd, for QEMU -kernel/-initrd (the disk has no boot loader). */
  kernel: string;
  initrd: string;
  /** What /etc/hostname says: gp-systemd, gp-sysvinit, gp-rclocal. */
  hostname: string;
}

export type BootableGuests = Record<GuestName, Guest>;

export const GUEST_NAMES: readonly GuestName[] = ['systemd', 'sysvinit', 'rclocal'];
const BUILD_SCRIPT = path.join('test', 'fixtures', 'build-bootable-guests.sh');
const LOCK_POLL_MS = 2000;

/** The repository's build script, found from this file's place in src or dist. */
export function buildScriptPath(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, BUILD_SCRIPT);
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find ${BUILD_SCRIPT} above ${__dirname}`);
    dir = up;
  }
}

export function fixtureCacheRoot(): string {
  return process.env.GUESTPREP_FIXTURE_CACHE || path.join(os.homedir(), '.cache', 'guestprep-fixtures');
}

/** First 16 hex digits of the sha256 of the build script: the cache key. */
export function buildScriptKey(script = buildScriptPath()): string {
  return createHash('sha256').update(fs.readFileSync(script)).digest('hex').slice(0, 16);
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Where each guest's files are inside a build output directory (the layout the script writes). */
export function guestsIn(dir: string): BootableGuests {
  const one = (name: GuestName): Guest => ({
    name,
    vdi: path.join(dir, 'VirtualBox VMs', `Node (${name})`, 'node.vdi'),
    kernel: path.join(dir, name, 'vmlinuz'),
    initrd: path.join(dir, name, 'initrd.img'),
    hostname: `gp-${name}`,
  });
  return { systemd: one('systemd'), sysvinit: one('sysvinit'), rclocal: one('rclocal') };
}

function complete(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'ready'))) return false;
  const g = guestsIn(dir);
  return GUEST_NAMES.every((n) => [g[n].vdi, g[n].kernel, g[n].initrd].every((f) => fs.existsSync(f)));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Takes the lock (returns true), or returns false once someone else's build has finished. */
async function lockOrWait(lock: string, dir: string): Promise<boolean> {
  let announced = false;
  for (;;) {
    if (complete(dir)) return false;
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(fs.readFileSync(lock, 'utf8').trim(), 10);
    // A lock whose builder died (killed test run) must not block every later run.
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (!announced) {
      process.stderr.write(`# waiting for the fixture guests being built by pid ${holder} (${dir})\n`);
      announced = true;
    }
    await sleep(LOCK_POLL_MS);
  }
}

async function runBuild(script: string, dir: string): Promise<void> {
  const logPath = path.join(dir, 'build.log');
  const log = fs.openSync(logPath, 'w');
  const started = Date.now();
  process.stderr.write(`# building the bootable fixture guests (a few minutes, once per machine); log: ${logPath}\n`);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [script, dir], { stdio: ['ignore', log, log] });
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      const tail = fs.readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`${script} failed (exit ${code}); last lines of ${logPath}:\n${tail}`);
    }
  } finally {
    fs.closeSync(log);
  }
  fs.writeFileSync(path.join(dir, 'ready'), JSON.stringify({ builtAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) }) + '\n');
  process.stderr.write(`# fixture guests built in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/**
 * The three bootable guests, built on first use and cached (see the top of this file).
 * Never modify the returned VDIs: boot them through an overlay or `copyGuest` them first.
 */
export async function ensureBootableGuests(opts: { script?: string; cacheRoot?: string } = {}): Promise<BootableGuests> {
  // The options exist for the helper's own tests (a fake, fast build script and cache).
  const script = opts.script ?? buildScriptPath();
  const root = opts.cacheRoot ?? fixtureCacheRoot();
  const dir = path.join(root, buildScriptKey(script));
  if (complete(dir)) return guestsIn(dir);
  await fsp.mkdir(dir, { recursive: true });
  const lock = `${dir}.lock`;
  if (await lockOrWait(lock, dir)) {
    try {
      if (!complete(dir)) await runBuild(script, dir);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
  if (!complete(dir)) throw new Error(`fixture guests missing in ${dir} after the build`);
  return guestsIn(dir);
}

export interface CopiedGuest extends Guest {
  /** The fresh temporary directory holding the copy; remove it when done. */
  dir: string;
}

/**
 * Copies a guest's VDI to `<fresh temp dir>/VirtualBox VMs/Node (1)/node.vdi` (spaces and
 * parentheses on purpose, as VirtualBox names them) so a test may modify it. The kernel and
 * initrd are shared (read-only). The temp dir is made under destDir, or os.tmpdir().
 */
export async function copyGuest(guest: Guest, destDir?: string): Promise<CopiedGuest> {
  if (destDir) await fsp.mkdir(destDir, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(destDir ?? os.tmpdir(), 'guestprep-guest-'));
  const vdi = path.join(dir, 'VirtualBox VMs', 'Node (1)', 'node.vdi');
  await fsp.mkdir(path.dirname(vdi), { recursive: true });
  const r = await runTool('cp', ['--reflink=auto', '--', guest.vdi, vdi]);
  if (r.code !== 0) throw new Error(`cp of ${guest.vdi} failed: ${r.stderr}`);
  return { ...guest, vdi, dir };
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => { /* the tool may exit before reading all its input */ });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * The environment for guestfish/virt-* calls made by test support: TCG unless the caller set
 * LIBGUESTFS_BACKEND_SETTINGS (nested KVM is broken on the CI machines; the product detects
 * that itself, the test helpers just avoid it).
 */
export function libguestfsEnv(): NodeJS.ProcessEnv {
  return process.env.LIBGUESTFS_BACKEND_SETTINGS === undefined
    ? { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' }
    : process.env;
}

/**
 * Runs one guestfish session: `guestfish <args>` with `script` on stdin (one command a line).
 * Returns stdout and stderr separately; a failing command without a `-` prefix ends the script.
 */
export function guestfish(args: string[], script: string): Promise<ToolResult> {
  return runTool('guestfish', args, { input: script, env: libguestfsEnv() });
}
