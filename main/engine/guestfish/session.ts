// One guestfish child per run, driven through its stdin.
//
// Why this shape (facts checked on our machines): `guestfish --listen/--remote` exits on the first failed
// command and hides errors; a single child fed line by line keeps order, names the failing script line,
// and flushes each command's output. We merge stderr into stdout in the child itself (`exec ... 2>&1`) so
// errors arrive in order with the output, and we put an `echo MARKER` after every command: the text
// between two markers is that command's output. In non-interactive mode guestfish exits on the first
// failing command, so a command either reaches its marker or the process ends with the error text.

import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { GuestprepError, fail } from '../errors';
import { gfQuote } from '../quote/guestfish';
import { classifyLaunchFailure, hypervisorEnv, Hypervisor } from './hypervisor';

export interface Drive {
  path: string;
  /** Always given: probing is unsafe (a raw image could claim to be qcow2). */
  format: string;
  /**
   * Read-only drives only: libguestfs's drive label (letters only), which the appliance also names the disk
   * by (/dev/disk/guestfs/LABEL). Scripts run in the appliance need it: the kernel's sdX names there need
   * not follow the order the drives were added in (guestfsd translates the API's names, a script cannot).
   */
  label?: string;
}

export interface SessionOptions {
  drives: Drive[];
  /** guestfish's --ro/--rw apply to the whole handle. Runs write only into overlays, so they open rw. */
  readonly: boolean;
  hypervisor: Hypervisor;
  /** Every line guestfish prints, for the run log. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra environment (tests). */
  env?: NodeJS.ProcessEnv;
  /**
   * Disks added read-only after `drives` (devices after theirs): the archives, unpacked on the host into
   * one squashfs image each (archive-disks.ts), which a run copies from instead of streaming them.
   */
  readonlyDrives?: Drive[];
}

export interface CommandResult {
  ok: boolean;
  output: string;
  /** The libguestfs error message, when ok is false. */
  error?: string;
}

interface Pending {
  marker: string;
  /** The command line (without the marker), and when it was sent: for the command trace. */
  line: string;
  sentAt: number;
  lines: string[];
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
}

/** Lines guestfish prints for a failing command: `*stdin*:12: libguestfs: error: mkdir: /x: File exists`. */
const ERROR_LINE = /^(?:\*stdin\*:\d+: )?libguestfs: error: (.*)$/;

export class GuestfishSession {
  private child: ChildProcess;
  private queue: Pending[] = [];
  private partial = '';
  private seq = 0;
  private readonly nonce = randomBytes(6).toString('hex');
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private exitWaiters: Array<() => void> = [];
  private tail: string[] = [];
  private closed = false;
  /** kill() was needed (the session did not end by `quit`). */
  private killed = false;
  /** The appliance's processes found when killing guestfish, waited for until they are gone. */
  private appliancePids: number[] = [];
  /** When the last command finished: a pipelined command starts in the appliance only then. */
  private lastDoneAt = 0;
  /**
   * GUESTPREP_TRACE_COMMANDS=<file>: each command's time in the appliance and its line are appended to
   * that file (performance work: which queries a run pays for). Off by default.
   */
  private readonly traceFile = process.env.GUESTPREP_TRACE_COMMANDS;

  private constructor(private readonly opts: SessionOptions) {
    const args: string[] = [opts.readonly ? '--ro' : '--rw'];
    for (const d of opts.drives) args.push(`--format=${d.format}`, '-a', d.path);
    const env = { ...process.env, ...hypervisorEnv(opts.hypervisor), ...opts.env };
    this.child = spawn('sh', ['-c', 'exec guestfish "$@" 2>&1', 'guestfish', ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env,
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stdin!.on('error', () => {
      /* EPIPE after the child died: reported through the exit path */
    });
    this.child.on('error', (err) => this.onExit(null, null, err));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    if (opts.signal) {
      if (opts.signal.aborted) this.kill();
      else opts.signal.addEventListener('abort', () => this.kill(), { once: true });
    }
  }

  /**
   * Spawns guestfish and launches the appliance (`run`). Throws APPLIANCE_LAUNCH_FAILED (or a more specific
   * code) with the libguestfs text when the launch fails; the caller decides whether to retry under TCG.
   */
  static async launch(opts: SessionOptions): Promise<GuestfishSession> {
    const s = new GuestfishSession(opts);
    for (const d of opts.readonlyDrives ?? []) {
      await s.exec(['add-drive', d.path, `format:${d.format}`, 'readonly:true', ...(d.label ? [`label:${d.label}`] : [])], { tolerate: false }).catch((e: unknown) => {
        s.kill();
        throw e;
      });
    }
    const r = await s.exec(['run'], { tolerate: false }).catch((e: unknown) => {
      s.kill();
      throw e;
    });
    if (!r.ok) {
      s.kill();
      throw launchError(r.output);
    }
    return s;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still usable: guestfish has not exited and nobody asked it to quit. */
  get alive(): boolean {
    return !this.exited && !this.closed;
  }

  /**
   * Sends one command. With `tolerate`, the command is sent with guestfish's `-` prefix so a failure
   * does not end the session; the result then carries ok=false and the error. Without it, a failure ends
   * guestfish and this rejects with STEP_FAILED carrying the libguestfs message.
   */
  async exec(argv: string[], opts: { tolerate?: boolean } = {}): Promise<CommandResult> {
    const line = argv.map((a, i) => (i === 0 ? a : gfQuote(a))).join(' ');
    const r = await this.execRaw(line, opts.tolerate ?? false);
    if (!r.ok && !opts.tolerate) {
      throw new GuestprepError({
        code: 'STEP_FAILED',
        message: r.error ?? `guestfish ended while running: ${argv[0]}`,
        fix: 'See the details; the image was not changed.',
        detail: r.output,
      });
    }
    return r;
  }

  /** Sends an already rendered command line (the executor renders plan commands itself). */
  execRaw(line: string, tolerate: boolean): Promise<CommandResult> {
    if (line.includes('\n')) fail('INTERNAL', 'A guestfish command line contains a newline.', 'This is a bug in Guestprep.');
    if (this.exited || this.closed) {
      return Promise.resolve({ ok: false, output: this.tail.join('\n'), error: this.exitReason() });
    }
    const marker = `__GUESTPREP_${this.nonce}_${++this.seq}__`;
    return new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({ marker, line, sentAt: Date.now(), lines: [], resolve, reject });
      this.child.stdin!.write(`${tolerate ? '-' : ''}${line}\necho ${marker}\n`);
    });
  }

  /**
   * Ends the session cleanly (`quit`: the appliance unmounts, syncs and powers off) and waits for guestfish
   * to exit. Returns false when it had to be killed after the grace period: what the appliance wrote may
   * then not all be in the overlay, so a caller about to commit must not (transaction.ts fails the run).
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<boolean> {
    if (this.exited) return this.exited.code === 0 && !this.killed;
    this.closed = true;
    // The appliance's processes, so that close returns only once they are gone too: the caller's next
    // step (the commit) opens the files they hold.
    if (this.child.pid !== undefined) this.appliancePids = descendants(this.child.pid);
    this.child.stdin!.end('quit\n');
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.waitExit();
    clearTimeout(timer);
    await this.applianceGone();
    return !this.killed;
  }

  /**
   * Kills guestfish and its appliance. guestfish normally takes its qemu down with it (checked: SIGTERM and
   * SIGKILL both), but a qemu that outlived it would keep the overlay and the image's files open, so the
   * appliance's processes (guestfish's descendants) are found first and killed too.
   */
  kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    this.killed = true;
    const pid = this.child.pid;
    this.appliancePids = descendants(pid);
    this.child.kill('SIGTERM');
    for (const p of this.appliancePids) signal(p, 'SIGKILL');
    setTimeout(() => {
      if (!this.exited) signal(pid, 'SIGKILL');
    }, 5000).unref();
  }

  /** Waits (30 s at most) until the appliance's processes are really gone: close() only, the commit comes next. */
  private async applianceGone(): Promise<void> {
    for (let i = 0; i < 300 && this.appliancePids.some(isRunning); i++) await new Promise((r) => setTimeout(r, 100));
  }

  waitExit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((r) => this.exitWaiters.push(r));
  }

  private trace(done: Pending): void {
    const now = Date.now();
    const started = Math.max(done.sentAt, this.lastDoneAt);
    this.lastDoneAt = now;
    if (!this.traceFile) return;
    try {
      appendFileSync(this.traceFile, `${now - started}\t${done.line}\n`);
    } catch {
      /* a trace that cannot be written is not worth failing a run for */
    }
  }

  private onData(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    const head = this.queue[0];
    // A command whose output lacks a final newline (`cat` of such a file) puts the marker on its last line.
    if (head && line.endsWith(head.marker)) {
      const before = line.slice(0, line.length - head.marker.length);
      if (before) head.lines.push(before);
      this.queue.shift();
      this.trace(head);
      const errLine = head.lines.map((l) => ERROR_LINE.exec(l)).find((m) => m !== null);
      head.resolve({ ok: !errLine, output: head.lines.join('\n'), error: errLine ? errLine[1] : undefined });
      return;
    }
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    this.opts.onLine?.(line);
    if (head) head.lines.push(line);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.exited) return;
    if (this.partial) {
      this.onLine(this.partial);
      this.partial = '';
    }
    this.exited = { code, signal };
    if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      for (const p of this.queue.splice(0)) {
        p.reject(
          new GuestprepError({
            code: 'LIBGUESTFS_MISSING',
            message: 'guestfish was not found.',
            fix: 'Install libguestfs: sudo apt install libguestfs-tools (Debian/Ubuntu) or sudo dnf install guestfs-tools (Fedora).',
          }),
        );
      }
    }
    // Whatever was waiting did not reach its marker: the command failed (guestfish exits on error).
    for (const p of this.queue.splice(0)) {
      const errLine = p.lines.map((l) => ERROR_LINE.exec(l)).find((m) => m !== null);
      p.resolve({ ok: false, output: p.lines.join('\n'), error: errLine ? errLine[1] : this.exitReason() });
    }
    for (const w of this.exitWaiters.splice(0)) w();
  }

  private exitReason(): string {
    if (!this.exited) return 'guestfish is still running';
    if (this.exited.signal) return `guestfish was stopped (${this.exited.signal})`;
    return `guestfish exited with code ${this.exited.code}`;
  }
}

/** How long `quit` may take: unmounting and syncing what a run wrote, under emulation on a busy host. */
export const CLOSE_GRACE_MS = 180_000;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for our purpose). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Every descendant of a process, from /proc (Linux: the only host libguestfs runs on). */
export function descendants(root: number, procDir = '/proc'): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`${procDir}/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* the process ended while we looked */
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function launchError(output: string): GuestprepError {
  const kind = classifyLaunchFailure(output);
  if (kind === 'cache-broken') {
    return new GuestprepError({
      code: 'APPLIANCE_CACHE_BROKEN',
      message: 'The libguestfs appliance cache is broken (it was probably built while packages were being installed).',
      fix: `Delete the cache and try again: rm -rf ${applianceCacheDir()}`,
      detail: output,
    });
  }
  return new GuestprepError({
    code: 'APPLIANCE_LAUNCH_FAILED',
    message: 'The libguestfs appliance did not start.',
    fix: 'Run `libguestfs-test-tool` to see why; `guestprep doctor` checks the usual causes.',
    detail: output,
  });
}

export function applianceCacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return process.env.LIBGUESTFS_CACHEDIR ? `${process.env.LIBGUESTFS_CACHEDIR}/.guestfs-${uid}` : `/var/tmp/.guestfs-${uid}`;
}
