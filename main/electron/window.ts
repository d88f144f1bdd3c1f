// The one app window. Where its files are, and how it is built: the options are a pure function so the
// security-relevant parts (webPreferences, what is loaded) are tested without Electron.

import * as path from 'node:path';
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { webPreferencesFor } from './security';

export interface AppFiles {
  /** The built renderer (vite, base './'), loaded over file://. */
  indexHtml: string;
  /** The compiled preload (tsc puts preload/ next to main/ under dist/). */
  preload: string;
  icon: string;
}

/**
 * Paths relative to this compiled file (dist/main/electron/), not to the working directory or
 * app.getAppPath(): the same layout holds in the repository, under Playwright's launcher and inside the
 * packaged app's asar.
 */
export function appFiles(compiledDir: string = __dirname): AppFiles {
  const dist = path.resolve(compiledDir, '..', '..');
  return {
    indexHtml: path.join(dist, 'renderer', 'index.html'),
    preload: path.join(dist, 'preload', 'preload.js'),
    icon: path.join(dist, '..', 'resources', 'icon.png'),
  };
}

export function mainWindowOptions(files: AppFiles): BrowserWindowConstructorOptions {
  return {
    title: 'Guestprep',
    width: 1180,
    height: 820,
    minWidth: 760,
    minHeight: 560,
    icon: files.icon,
    // Shown on ready-to-show: no blank white frame before the first paint (and no flash in dark mode).
    show: false,
    webPreferences: webPreferencesFor(files.preload),
  };
}

export type BrowserWindowCtor = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

/** `onLoadFailed`: the page could not load (e.g. the renderer was not built): the window alone would stay blank. */
export function createMainWindow(BW: BrowserWindowCtor, files: AppFiles, onLoadFailed: (err: unknown) => void): BrowserWindow {
  const win = new BW(mainWindowOptions(files));
  win.once('ready-to-show', () => win.show());
  win.loadFile(files.indexHtml).catch(onLoadFailed);
  return win;
}
