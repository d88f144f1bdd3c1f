// The IPC adapter between the page (through the preload) and the backend Handlers. One `invoke` channel per
// contract call, answered with a Result (errors as data: the page never has to catch), one `send` channel
// per event. Every call is checked to come from our own window showing our own page: IPC is the one door
// from web content into a process that can write disk images, so nothing else may knock on it.
//
// Written against ipcMain-like and webContents-like interfaces so the logic is tested with fakes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../engine/api';
import { dispatchCall, type LogFn } from '../backend/dispatch';
import { CALL_NAMES, EVENT_NAMES } from '../contract/contract';
import type { CallName, EventName, EventSink, Events, Handlers, Result } from '../contract/contract';
import { isAllowedNavigation } from './security';
import type { RunFeedback } from './notify';

export const callChannel = (name: CallName): string => `guestprep:${name}`;
export const eventChannel = (name: EventName): string => `guestprep:event:${name}`;

/** What the handlers read from Electron's IpcMainInvokeEvent. */
export interface IpcEventLike {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}

/** The part of Electron's ipcMain used here (method syntax: Electron's listener types stay assignable). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** Who may call: the main window's webContents, showing the app's own page. */
export interface TrustedSender {
  webContents: unknown;
  appUrl: string;
}

/**
 * Trusted only when the call comes from the expected webContents AND from its top frame AND that frame
 * shows the app's index page: a navigation we failed to block, or a subframe, would change the URL or the
 * frame and be refused. A frame already gone (senderFrame null) is refused too.
 */
export function isTrustedSender(event: IpcEventLike, trusted: TrustedSender | undefined): boolean {
  if (!trusted) return false;
  if (event.sender !== trusted.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent) return false;
  return isAllowedNavigation(frame.url, trusted.appUrl);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type AnyHandler = (req: unknown) => Promise<unknown>;

export interface RegisterIpcOptions {
  ipcMain: IpcMainLike;
  handlers: Handlers;
  /** Calls answered here instead of by `handlers` (e.g. shell.showInFolder, which needs Electron's shell). */
  overrides?: Partial<Handlers>;
  /** Read at every call: the window may be re-created (macOS activate) or gone. */
  trusted: () => TrustedSender | undefined;
  /** Told the image of every started run, so notifications can name it. */
  feedback?: Pick<RunFeedback, 'runStarted'>;
  /** Where unexpected errors are logged (default: stderr); the page only gets a generic INTERNAL error. */
  log?: LogFn;
}

/** Registers one handler per contract call; returns a function removing them all. */
export function registerIpcHandlers(opts: RegisterIpcOptions): () => void {
  for (const name of CALL_NAMES) {
    opts.ipcMain.handle(callChannel(name), async (event: IpcEventLike, ...args: unknown[]) => {
      if (!isTrustedSender(event, opts.trusted())) {
        // Rejected, not answered with a Result: an untrusted sender is not our page and gets nothing to read.
        throw new Error(`Guestprep refused the call ${name}: it did not come from the Guestprep window.`);
      }
      return dispatch(opts, name, args[0]);
    });
  }
  return () => {
    for (const name of CALL_NAMES) opts.ipcMain.removeHandler(callChannel(name));
  };
}

async function dispatch(opts: RegisterIpcOptions, name: CallName, req: unknown): Promise<Result<unknown>> {
  const override = opts.overrides?.[name] as AnyHandler | undefined;
  // Checked and answered in the one place the bridge uses too (dispatchCall): schema first, errors as data.
  // Called as a method of its object: the backend may be a class instance that uses `this`.
  const result = await dispatchCall(
    name,
    req,
    (checked) => (override ? override.call(opts.overrides, checked) : (opts.handlers[name] as AnyHandler).call(opts.handlers, checked)) as Promise<never>,
    opts.log,
  );
  const value: unknown = result.ok ? result.value : undefined;
  if ((name === 'run.start' || name === 'run.retarget' || name === 'run.remove') && opts.feedback && isPlainObject(value) && typeof value.runId === 'string') {
    opts.feedback.runStarted(value.runId, String((req as { image: string }).image));
  }
  return result;
}

/**
 * The EventSink the backend is created with: forwards every event to the window (when there is one) and to
 * the run feedback (progress bar, notification), which must work even while the window is closed.
 */
export function createEmitter(opts: { target: () => WebContentsLike | undefined; feedback?: Pick<RunFeedback, 'onEvent'> }): EventSink {
  return <E extends EventName>(name: E, payload: Events[E]) => {
    if (!EVENT_NAMES.includes(name)) return;
    const contents = opts.target();
    if (contents && !contents.isDestroyed()) contents.send(eventChannel(name), payload);
    opts.feedback?.onEvent(name, payload);
  };
}

export interface ShellLike {
  showItemInFolder(fullPath: string): void;
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.promises.stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * shell.showInFolder for Electron. The path comes from the page, so it must be absolute (no resolving
 * against the app's working directory) and exist: the file manager would otherwise open somewhere unrelated.
 */
export function showInFolderHandler(shell: ShellLike, exists: (p: string) => Promise<boolean> = pathExists): Handlers['shell.showInFolder'] {
  return async (req) => {
    const p = req.path;
    if (typeof p !== 'string' || p === '' || !path.isAbsolute(p)) {
      fail('SETTING_INVALID', `Cannot show "${String(p)}": not an absolute path.`, 'Choose the file again; Guestprep shows only files it knows by their full path.');
    }
    if (!(await exists(p))) {
      fail('IMAGE_NOT_FOUND', `${p} does not exist any more.`, 'It was moved, renamed or deleted after the run; look for it where you keep your VM disks.');
    }
    shell.showItemInFolder(p);
    return { shown: true };
  };
}
