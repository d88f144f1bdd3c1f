import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions } from 'electron';
import { appFiles, createMainWindow, mainWindowOptions, type BrowserWindowCtor } from './window';
import { appUrlFor, isAllowedNavigation, webPreferencesFor } from './security';

test('appFiles points at dist/renderer, dist/preload and resources, relative to the compiled file', () => {
  const dir = path.join(path.sep, 'app', 'res', 'app.asar', 'dist', 'main', 'electron');
  const f = appFiles(dir);
  assert.equal(f.indexHtml, path.join(path.sep, 'app', 'res', 'app.asar', 'dist', 'renderer', 'index.html'));
  assert.equal(f.preload, path.join(path.sep, 'app', 'res', 'app.asar', 'dist', 'preload', 'preload.js'));
  assert.equal(f.icon, path.join(path.sep, 'app', 'res', 'app.asar', 'resources', 'icon.png'));
});

test('appFiles by default finds the compiled preload next to this build', () => {
  // This test runs from dist/main/electron, so the default must resolve to the real compiled preload.
  assert.equal(appFiles().preload, path.resolve(__dirname, '..', '..', 'preload', 'preload.js'));
  assert.ok(fs.existsSync(appFiles().preload), 'dist/preload/preload.js is built by the root tsc');
});

test('mainWindowOptions: hidden until painted, secure webPreferences with our preload', () => {
  const o = mainWindowOptions(appFiles('/d/dist/main/electron'));
  assert.equal(o.show, false);
  assert.equal(o.title, 'Guestprep');
  assert.equal(o.webPreferences?.preload, path.resolve('/d/dist/preload/preload.js'));
  assert.equal(o.webPreferences?.sandbox, true);
  assert.equal(o.webPreferences?.contextIsolation, true);
  assert.equal(o.webPreferences?.nodeIntegration, false);
});

test('the window takes the hardened webPreferences as they are: nothing added, nothing loosened', () => {
  const files = appFiles('/d/dist/main/electron');
  const prefs = mainWindowOptions(files).webPreferences;
  assert.deepEqual(prefs, webPreferencesFor(files.preload));
  assert.equal(prefs?.webSecurity, true);
  assert.equal(prefs?.allowRunningInsecureContent, false);
  assert.equal(prefs?.webviewTag, false);
  assert.equal(prefs?.nodeIntegrationInSubFrames, false);
});

function fakeWindowClass(load: () => Promise<void>) {
  const made: FakeWindow[] = [];
  class FakeWindow extends EventEmitter {
    loaded: string[] = [];
    urls: string[] = [];
    shown = 0;
    constructor(public options: BrowserWindowConstructorOptions) {
      super();
      made.push(this);
    }
    loadFile(p: string): Promise<void> {
      this.loaded.push(p);
      return load();
    }
    loadURL(url: string): Promise<void> {
      this.urls.push(url);
      return load();
    }
    show(): void {
      this.shown++;
    }
  }
  return { Ctor: FakeWindow as unknown as BrowserWindowCtor, made };
}

test('createMainWindow loads the index over loadFile and shows the window when ready', async () => {
  const { Ctor, made } = fakeWindowClass(() => Promise.resolve());
  const files = appFiles('/d/dist/main/electron');
  const failures: unknown[] = [];
  createMainWindow(Ctor, files, (e) => failures.push(e));
  assert.equal(made.length, 1);
  assert.deepEqual(made[0].loaded, [files.indexHtml]);
  assert.equal(made[0].shown, 0);
  made[0].emit('ready-to-show');
  assert.equal(made[0].shown, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(failures, []);
});

test('the window shows only the packaged page, as a local file, never a URL', async () => {
  const { Ctor, made } = fakeWindowClass(() => Promise.resolve());
  const files = appFiles(path.join(path.sep, 'opt', 'Guestprep', 'resources', 'app.asar', 'dist', 'main', 'electron'));
  createMainWindow(Ctor, files, () => {});
  assert.deepEqual(made[0].urls, [], 'loadURL is never used');
  assert.deepEqual(made[0].loaded, [files.indexHtml]);
  const shown = appUrlFor(files.indexHtml);
  assert.match(shown, /^file:\/\/\/.*\/app\.asar\/dist\/renderer\/index\.html$/);
  assert.equal(isAllowedNavigation(shown, shown), true, 'the page it shows is the one navigation is pinned to');
});

test('createMainWindow reports a page that fails to load', async () => {
  const boom = new Error('ERR_FILE_NOT_FOUND');
  const { Ctor } = fakeWindowClass(() => Promise.reject(boom));
  const failures: unknown[] = [];
  createMainWindow(Ctor, appFiles('/d/dist/main/electron'), (e) => failures.push(e));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(failures, [boom]);
});
