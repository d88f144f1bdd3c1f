// Boots a fixture guest under QEMU (TCG) and collects what its test-only watcher reports.
//
// The guest boots on a throw-away qcow2 overlay, so the VDI under test is never written. Its
// watcher (see test/fixtures/build-bootable-guests.sh) copies the fake node's record file and
// `ps` to the serial console between markers, then powers off. The console copy is only for
// diagnostics: the decisive evidence is the record file itself, read back from the overlay with
// guestfish after QEMU has stopped (what the guest really wrote to its disk at boot).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { guestfish, runTool } from './fixtures';

export interface BootableImage {
  vdi: string;
  kernel: string;
  initrd: string;
}

export interface BootOptions {
  /** Wall-clock limit for the boot; QEMU is killed after it. Default 240 000. */
  timeoutMs?: number;
  /** Passed as gp.watch=SECONDS: how long the watcher waits for the record (its default: 150). */
  watchSeconds?: number;
  /** Guest memory, MiB. Default 1024. */
  memoryMb?: number;
}

export interface BootResult {
  /** The watcher started (GUESTPREP-BOOTED seen): the guest reached its boot hooks. */
  booted: boolean;
  /** Record file as printed on the console by the watcher. */
  record?: string;
  /** `ps -eo user,args` as printed by the watcher once the record was there. */
  ps?: string;
  /** The whole serial console (kernel messages, init output, watcher output). */
  console: string;
  /** Record file read back from the overlay disk after power-off (the decisive evidence). */
  overlayRecord?: string;
  /** Guest path(s) of the record file(s) found in the overlay. */
  overlayRecordPaths: string[];
  /** The watcher gave up waiting for a record (GUESTPREP-RECORD-TIMEOUT). */
  watcherTimedOut: boolean;
  /** The watcher's diagnostics after a timeout (between GUESTPREP-RECORD-TIMEOUT and GUESTPREP-DIAG-END). */
  diagnostics?: string;
  /** QEMU exited by itself (the guest powered off) rather than being killed at timeoutMs. */
  poweredOff: boolean;
  /** PID of the QEMU that ran (already exited or killed when this is returned). */
  qemuPid?: number;
  durationMs: number;
}

export interface ConsoleReport {
  booted: boolean;
  record?: string;
  ps?: string;
  watcherTimedOut: boolean;
  diagnostics?: string;
}

// Terminal control sequences the guest's console emits (a getty or the kernel resets the
// terminal: ESC c, ESC [ ? 7 l, ESC [ 2 J ...) can land on the same line as a marker.
const ESCAPES = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b[@-Z\\-_c]/g;

function markerAt(lines: string[], marker: string, from = 0): number {
  for (let i = from; i < lines.length; i++) if (lines[i].replace(ESCAPES, '').trim() === marker) return i;
  return -1;
}

function between(lines: string[], begin: string, end: string): string | undefined {
  const b = markerAt(lines, begin);
  if (b < 0) return undefined;
  const e = markerAt(lines, end, b + 1);
  if (e < 0) return undefined;
  const body = lines.slice(b + 1, e);
  return body.length ? `${body.join('\n')}\n` : '';
}

/** Parses the watcher's markers out of a serial console capture (CRLF line ends, noise between). */
export function parseConsole(text: string): ConsoleReport {
  const lines = text.split('\n').map((l) => l.replace(/\r+$/, ''));
  const r: ConsoleReport = {
    booted: markerAt(lines, 'GUESTPREP-BOOTED') >= 0,
    watcherTimedOut: markerAt(lines, 'GUESTPREP-RECORD-TIMEOUT') >= 0,
  };
  const record = between(lines, 'GUESTPREP-RECORD-BEGIN', 'GUESTPREP-RECORD-END');
  if (record !== undefined) r.record = record;
  const ps = between(lines, 'GUESTPREP-PS-BEGIN', 'GUESTPREP-PS-END');
  if (ps !== undefined) r.ps = ps;
  const diag = between(lines, 'GUESTPREP-RECORD-TIMEOUT', 'GUESTPREP-DIAG-END');
  if (diag !== undefined) r.diagnostics = diag;
  return r;
}

/** `-drive file=...` takes a comma-separated option list: a comma in the path is written twice. */
function driveFile(p: string): string {
  return p.replace(/,/g, ',,');
}

const RECORD_GLOBS = ['/opt/*/node/logs/guestprep-record.txt', '/usr/local/*/node/logs/guestprep-record.txt'];
const BODY_MARK = '@@GUESTPREP-BODY@@';

/** Reads the record file(s) from a (stopped) guest's qcow2 overlay, read-only. */
export async function readRecordFromOverlay(overlay: string): Promise<{ paths: string[]; content?: string }> {
  // glob-expand lists the matches (none is not an error); `-glob download P -` then writes the
  // bytes exactly (guestfish's `cat` appends a newline). `-` keeps going when a glob matches nothing.
  const script = [
    ...RECORD_GLOBS.map((g) => `glob-expand "${g}"`),
    `echo ${BODY_MARK}`,
    ...RECORD_GLOBS.map((g) => `-glob download "${g}" -`),
    '',
  ].join('\n');
  const r = await guestfish(['--ro', '--format=qcow2', '-a', overlay, '-m', '/dev/sda1'], script);
  const at = r.stdout.indexOf(`${BODY_MARK}\n`);
  if (at < 0) throw new Error(`guestfish could not read the overlay ${overlay} (exit ${r.code}):\n${r.stderr}`);
  const paths = r.stdout.slice(0, at).split('\n').filter((l) => l.startsWith('/'));
  const body = r.stdout.slice(at + BODY_MARK.length + 1);
  return paths.length ? { paths, content: body } : { paths };
}

/**
 * Boots the image on a temporary qcow2 overlay and returns what the watcher reported plus the
 * record read back from the overlay. The image itself is opened only as the overlay's read-only
 * backing file. QEMU is always killed (by its PID) and the overlay deleted before returning.
 */
export async function bootAndCollect(guest: BootableImage, opts: BootOptions = {}): Promise<BootResult> {
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const started = Date.now();
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'guestprep-boot-'));
  const overlay = path.join(work, 'ov.qcow2');
  const consolePath = path.join(work, 'console.log');
  try {
    const c = await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', path.resolve(guest.vdi), '-F', 'vdi', overlay]);
    if (c.code !== 0) throw new Error(`qemu-img create of the overlay failed: ${c.stderr}`);

    const append = ['root=/dev/sda1', 'console=ttyS0', 'rw', 'quiet'];
    if (opts.watchSeconds !== undefined) append.push(`gp.watch=${Math.max(1, Math.round(opts.watchSeconds))}`);
    // The default i440fx machine puts an IDE disk on the PIIX controller (ata_piix, in the
    // initrd): the kernel names it /dev/sda. No NIC: the tests need no network.
    const args = [
      '-machine', 'accel=tcg', '-m', String(opts.memoryMb ?? 1024), '-nographic', '-no-reboot', '-nic', 'none',
      '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', append.join(' '),
      '-drive', `file=${driveFile(overlay)},format=qcow2,if=ide`,
    ];
    // The console goes to a file: a pipe nobody drains could fill and stall the guest.
    const out = fs.openSync(consolePath, 'w');
    let poweredOff = false;
    let qemuPid: number | undefined;
    let child: ReturnType<typeof spawn> | undefined;
    try {
      child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', out, out] });
      qemuPid = child.pid;
      const proc = child;
      poweredOff = await new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        proc.on('error', (err) => { clearTimeout(timer); reject(err); });
        proc.on('exit', () => { clearTimeout(timer); resolve(true); });
      });
    } finally {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const proc = child;
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        try { process.kill(proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
        await exited;
      }
      fs.closeSync(out);
    }

    const consoleText = await fsp.readFile(consolePath, 'utf8');
    const report = parseConsole(consoleText);
    const fromDisk = await readRecordFromOverlay(overlay);
    const result: BootResult = {
      ...report,
      console: consoleText,
      overlayRecordPaths: fromDisk.paths,
      poweredOff,
      durationMs: Date.now() - started,
    };
    if (qemuPid !== undefined) result.qemuPid = qemuPid;
    if (fromDisk.content !== undefined) result.overlayRecord = fromDisk.content;
    return result;
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
