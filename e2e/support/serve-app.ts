// Starts the real app the way a user does, `guestprep serve --port 0`, as a child process, and finds the
// tokened address it prints on stderr. Stopping is by PID: SIGTERM (serve cancels its runs and closes the
// database), then SIGKILL when it has not exited after 10 s.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface AppProcess {
  url: string;
  port: number;
  pid: number;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartAppOptions {
  /** The repository root (bin/guestprep.cjs and the built dist/ live there). */
  repo: string;
  env: NodeJS.ProcessEnv;
  /** How long to wait for the address line (the first start compiles nothing, but opens SQLite). */
  timeoutMs?: number;
}

const KILL_AFTER_MS = 10_000;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startApp(opts: StartAppOptions): Promise<AppProcess> {
  const child = spawn(process.execPath, [path.join(opts.repo, 'bin', 'guestprep.cjs'), 'serve', '--port', '0'], {
    cwd: opts.repo,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitExit(child, KILL_AFTER_MS))) {
      child.kill('SIGKILL');
      await waitExit(child, KILL_AFTER_MS);
    }
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`guestprep serve printed no address within ${opts.timeoutMs ?? 30_000} ms:\n${out}`)), opts.timeoutMs ?? 30_000);
      const look = () => {
        // The token is 32 random bytes in base64url (43 characters). Matched exactly: serve prints its next
        // line right after it without a line break, so "up to the next space" would swallow a word of that line.
        const m = /served at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      child.stderr!.on('data', look);
      child.stdout!.on('data', look);
      child.once('exit', (code, sig) => {
        clearTimeout(t);
        reject(new Error(`guestprep serve exited (${code ?? sig}) before printing its address:\n${out}`));
      });
    });
    return { url, port: Number(new URL(url).port), pid: child.pid!, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
