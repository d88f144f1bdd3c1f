// Electron main process: one window, one backend, one store. Everything that can be decided without
// Electron lives in the sibling modules (security, ipc, notify, window) and is tested there; this file only
// wires them to the real Electron objects, in the order Electron requires.

import { app, BrowserWindow, dialog, ipcMain, Notification, shell } from 'electron';
import { toErrorData } from '../engine/api';
import { createBackend } from '../backend/backend';
import { openStore } from '../backend/store';
import { defaultDbPath, userDataDir } from '../backend/paths';
import type { Store } from '../backend/store-types';
import { applySecurityRestrictions, appUrlFor } from './security';
import { appFiles, createMainWindow } from './window';
import { createEmitter, registerIpcHandlers, showInFolderHandler } from './ipc';
import { createRunFeedback, electronNotifier } from './notify';

/** How long quitting waits for running runs to cancel (the engine deletes its overlay) before giving up. */
const DISPOSE_TIMEOUT_MS = 30_000;

app.setName('Guestprep');
// The CLI and the app share one data folder (presets, history): Electron's own files (cache, local storage)
// go there too instead of a second folder named after the package. Must be set before ready.
app.setPath('userData', userDataDir());
if (process.platform === 'win32') app.setAppUserModelId('org.guestprep.app'); // notifications need it on Windows

const files = appFiles();
const appUrl = appUrlFor(files.indexHtml);
applySecurityRestrictions(app, appUrl); // before ready: it enables the sandbox for every renderer

function fatal(title: string, err: unknown): void {
  const e = toErrorData(err);
  dialog.showErrorBox(title, `${e.message}\n\n${e.fix}`);
}

// A second launch would open a second store on the same database and could start a second run on an image
// the first instance is writing: it only brings the existing window forward.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | undefined;
  let store: Store | undefined;
  let backend: { dispose(): Promise<void> } | undefined;
  let unregister: (() => void) | undefined;

  const liveWindow = (): BrowserWindow | undefined => (win && !win.isDestroyed() ? win : undefined);
  const feedback = createRunFeedback({ target: liveWindow, notifier: electronNotifier(Notification) });
  const emit = createEmitter({ target: () => liveWindow()?.webContents, feedback });

  const openWindow = (): void => {
    const w = createMainWindow(BrowserWindow, files, (err) => fatal('Guestprep could not load its window', err));
    w.on('closed', () => {
      if (win === w) win = undefined;
    });
    win = w;
  };

  app.on('second-instance', () => {
    const w = liveWindow();
    if (!w) return;
    if (w.isMinimized()) w.restore();
    w.focus();
  });

  app
    .whenReady()
    .then(() => {
      store = openStore(defaultDbPath());
      for (const n of store.notices ?? []) console.warn(`Guestprep: ${n}`);
      const b = createBackend({ store, emit });
      backend = b;
      unregister = registerIpcHandlers({
        ipcMain,
        handlers: b,
        overrides: { 'shell.showInFolder': showInFolderHandler(shell) },
        trusted: () => {
          const w = liveWindow();
          return w ? { webContents: w.webContents, appUrl } : undefined;
        },
        feedback,
      });
      openWindow();
      app.on('activate', () => {
        if (!liveWindow()) openWindow();
      });
    })
    .catch((err: unknown) => {
      // e.g. a database written by a newer Guestprep (STORE_TOO_NEW): say what to do, then leave.
      fatal('Guestprep could not start', err);
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Quitting cancels the runs and waits for the engine to clean up: a cancelled run leaves the image
  // byte-identical, but only once the engine has removed its overlay. `before-quit` fires again when we
  // call app.quit() at the end, hence the state.
  let shutdown: 'running' | 'disposing' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (shutdown === 'done') return;
    event.preventDefault();
    if (shutdown === 'disposing') return;
    shutdown = 'disposing';
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, DISPOSE_TIMEOUT_MS).unref());
    Promise.race([backend ? backend.dispose() : Promise.resolve(), timeout])
      .catch((err: unknown) => console.error('Guestprep: stopping the runs failed:', toErrorData(err).message))
      .finally(() => {
        unregister?.();
        try {
          store?.close();
        } catch (err) {
          console.error('Guestprep: closing the store failed:', toErrorData(err).message);
        }
        shutdown = 'done';
        app.quit();
      });
  });
}
