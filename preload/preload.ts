// The preload: the only code with a foot in both worlds. It exposes exactly one object to the page,
// `window.guestprep`, implementing GuestprepClient (main/contract/contract.ts) over IPC, and nothing else: no
// ipcRenderer, no require, no Electron objects (listeners get the payload, never the IPC event, whose
// `sender` would be an ipcRenderer handle).
//
// The window is sandboxed, and a sandboxed preload's `require` loads only 'electron' and a few built-ins,
// never a sibling file. So this file is self-contained: it imports the contract for types only, and carries
// its own copy of the channel names (preload.test.ts asserts they equal CALL_NAMES and EVENT_NAMES).

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { CallName, CallReq, CallRes, ErrorData, EventName, Events, GuestprepClient, Result } from '../main/contract/contract';

export const PRELOAD_CALL_NAMES: readonly CallName[] = [
  'image.inspect',
  'archive.detect',
  'settings.validate',
  'plan.preview',
  'run.start',
  'run.retarget',
  'run.remove',
  'run.cancel',
  'presets.list',
  'presets.save',
  'presets.rename',
  'presets.delete',
  'presets.export',
  'presets.import',
  'history.list',
  'history.get',
  'vbox.list',
  'shell.showInFolder',
  'recovery.status',
  'image.release',
  'run.startBatch',
  'engine.capabilities',
];

export const PRELOAD_EVENT_NAMES: readonly EventName[] = ['run.event', 'run.result'];

function refusal(message: string): ErrorData {
  return { code: 'INTERNAL', message, fix: 'This is a bug in the Guestprep page. Please report it.' };
}

export function createClient(): GuestprepClient {
  return {
    kind: 'electron',

    async call<C extends CallName>(name: C, req: CallReq<C>): Promise<Result<CallRes<C>>> {
      // Checked here too (main checks again): an unknown name never reaches IPC at all.
      if (!PRELOAD_CALL_NAMES.includes(name)) {
        return { ok: false, error: refusal(`Unknown call "${String(name)}".`) };
      }
      try {
        return (await ipcRenderer.invoke(`guestprep:${name}`, req)) as Result<CallRes<C>>;
      } catch (err) {
        // Main answers every call with a Result; a rejection means IPC itself failed (or main refused us).
        return { ok: false, error: refusal(err instanceof Error ? err.message : String(err)) };
      }
    },

    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
      if (!PRELOAD_EVENT_NAMES.includes(name) || typeof listener !== 'function') {
        return () => undefined;
      }
      const channel = `guestprep:event:${name}`;
      const wrapped = (_event: IpcRendererEvent, payload: Events[E]): void => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },

    pathForFile(file: File): string | undefined {
      // Electron 32 removed File.path. getPathForFile returns '' for a File not backed by a host file
      // (e.g. one built in script): the contract says undefined then.
      try {
        const p = webUtils.getPathForFile(file);
        return p === '' ? undefined : p;
      } catch {
        return undefined;
      }
    },
  };
}

contextBridge.exposeInMainWorld('guestprep', createClient());
