// Helpers shared by the benchmarks: medians, host programs with a wall clock, the libguestfs environment a
// run ends up using (so the seed procedures run under the same accelerator as Guestprep), read-only
// guestfish for checking results outside the timed part, and a peak-RSS sampler.

import { spawn } from 'node:child_process';
import { chooseHypervisor, hypervisorEnv, Hypervisor } from '../main/engine/guestfish/hypervisor';

export const MB = 1024 * 1024;

/** BENCH_RUNS (default 3): rounds per benchmark. */
export function benchRuns(): number {
  const n = Number(process.env.BENCH_RUNS ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
  return n;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const seconds = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
export const megabytes = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

export function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/**
 * The hypervisor Guestprep's own launches use on this host (the remembered KVM verdict) and the environment
 * that selects it, for programs the benchmark starts itself (seed procedures, read-back checks).
 */
export function libguestfsEnv(): { hypervisor: Hypervisor; env: NodeJS.ProcessEnv } {
  const hypervisor = chooseHypervisor().hypervisor;
  return { hypervisor, env: { ...process.env, ...hypervisorEnv(hypervisor) } };
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall clock from spawn to exit. */
  ms: number;
}

/** Runs a program (no shell), optionally feeding stdin; resolves when it exits, whatever the code. */
export function runProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdin.on('error', () => { /* the program exited without reading its input: reported by its exit */ });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    child.stdin.end(opts.input ?? '');
  });
}

export function describeFailure(what: string, r: ProcessResult): Error {
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  return new Error(`${what} ${how}\n${[r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n')}`);
}

/**
 * Read-only guestfish on an image, mounting `device` on / without inspection (cheaper than -i), running
 * `lines` as a script. Rejects when guestfish fails; resolves with its stdout.
 */
export async function guestfishReadOnly(image: string, format: string, device: string, lines: string[]): Promise<string> {
  const r = await runProcess('guestfish', ['--ro', `--format=${format}`, '-a', image, '-m', `${device}:/:ro`], {
    env: libguestfsEnv().env,
    input: lines.join('\n') + '\n',
  });
  if (r.code !== 0) throw describeFailure(`read-only guestfish on ${image}`, r);
  return r.stdout;
}

/** Samples this process's resident set size every `intervalMs` (child processes are not included). */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 100) {}

  /** Starts (or restarts) sampling; the peak is counted from here. */
  start(): void {
    if (this.timer) clearInterval(this.timer);
    this.peak = process.memoryUsage().rss;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, process.memoryUsage().rss);
    }, this.intervalMs);
  }

  /** Stops sampling and returns the peak seen since start(). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    return this.peak;
  }
}
