// `guestprep serve`: the app in a browser. Starts the backend and the bridge on 127.0.0.1, prints the address
// with its access token, optionally opens it, and stops on Ctrl-C / SIGTERM, cancelling the runs under way
// (the engine leaves their images untouched). The caller owns the store: it opens it and closes it after.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fail } from '../engine/api';
import { createBackend } from '../backend/backend';
import type { Store } from '../backend/store-types';
import { startBridge } from '../bridge/server';
import type { EventName, Events } from '../contract/contract';

export interface ServeOptions {
  store: Store;
  port?: number;
  host?: string;
  /** Open the address in the default browser. */
  open?: boolean;
  log: (line: string) => void;
  /** The built renderer (default: dist/renderer next to this compiled file's dist/). */
  staticDir?: string;
  /** Stop on SIGINT/SIGTERM (default true; tests drive `stop()` instead). */
  handleSignals?: boolean;
}

export interface ServeHandle {
  url: string;
  port: number;
  /** Resolves once stopped (by a signal or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/** dist/main/cli/serve.js -> dist/renderer */
export function defaultStaticDir(): string {
  return join(__dirname, '..', '..', 'renderer');
}

function openInBrowser(url: string, log: (line: string) => void): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore', windowsHide: true });
    child.on('error', () => log(`Could not open a browser (${cmd}); open the address above yourself.`));
    child.unref();
  } catch {
    log(`Could not open a browser (${cmd}); open the address above yourself.`);
  }
}

export async function runServe(opts: ServeOptions): Promise<ServeHandle> {
  const host = opts.host ?? '127.0.0.1';
  // No TLS and the token in the URL: reachable from other machines it would be an open door.
  if (host !== '127.0.0.1') {
    fail('SETTING_INVALID', `--host ${host}: guestprep serve listens on 127.0.0.1 only.`, 'Leave out --host. To use it from another machine, forward the port over SSH: ssh -L PORT:127.0.0.1:PORT this-machine.');
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('SETTING_INVALID', `--port ${String(opts.port)} is not a port number.`, 'Give a port between 1 and 65535, or leave out --port to pick a free one.');

  // The backend needs the bridge's emit and the bridge needs the backend's handlers: late-bind the sink.
  let sink: (<E extends EventName>(name: E, payload: Events[E]) => void) | undefined;
  // Unexpected errors (bugs) are written with their stack here, in the terminal; the page gets a plain INTERNAL.
  const backend = createBackend({ store: opts.store, emit: (name, payload) => sink?.(name, payload), log: opts.log });
  let bridge;
  try {
    bridge = await startBridge({ handlers: backend, port, host: '127.0.0.1', staticDir: opts.staticDir ?? defaultStaticDir(), log: opts.log });
  } catch (err) {
    await backend.dispose();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail('SETTING_INVALID', `Port ${port} is already in use.`, 'Choose another --port, or leave it out to pick a free one.');
    throw err;
  }
  sink = bridge.emit;
  const b = bridge;

  opts.log(`Guestprep is served at ${b.url}`);
  opts.log('Open this address in a browser on this machine (it carries the access token). Ctrl-C stops.');
  if (opts.open) openInBrowser(b.url, opts.log);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const onSignal = () => {
    opts.log('Stopping: cancelling the runs under way (their images stay unchanged)...');
    void stop();
  };
  const stop = () =>
    (stopping ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await backend.dispose();
      } finally {
        await b.close();
        resolveStopped();
      }
    })());
  if (opts.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return { url: b.url, port: b.port, stopped, stop };
}
