// Loads the compiled main process with a fake 'electron' module (the binary cannot run here) over the REAL
// store and backend, and checks the wiring: security before ready, one secure window on the app page, IPC
// answering our page only, single instance, and quitting that waits for the backend to dispose.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import Module = require('node:module');
import { CALL_NAMES } from '../contract/contract';

type Listener = (event: unknown, ...args: unknown[]) => unknown;

function fakeElectron(opts: { lock: boolean }) {
  const log: string[] = [];
  const ipcHandlers = new Map<string, Listener>();
  const windows: FakeWindow[] = [];
  const errors: string[] = [];

  class FakeContents extends EventEmitter {
    sent: Array<[string, unknown]> = [];
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    isDestroyed() {
      return false;
    }
  }
  class FakeWindow extends EventEmitter {
    webContents = new FakeContents();
    loaded: string[] = [];
    focused = 0;
    constructor(public options: { webPreferences?: Record<string, unknown> }) {
      super();
      windows.push(this);
    }
    loadFile(p: string) {
      this.loaded.push(p);
      return Promise.resolve();
    }
    show() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {
      this.focused++;
    }
    setProgressBar() {}
  }
  const app = Object.assign(new EventEmitter(), {
    setName: (n: string) => log.push(`setName ${n}`),
    setPath: (k: string, v: string) => log.push(`setPath ${k} ${v}`),
    setAppUserModelId: () => undefined,
    enableSandbox: () => log.push('enableSandbox'),
    requestSingleInstanceLock: () => opts.lock,
    whenReady: () => {
      log.push('whenReady');
      return Promise.resolve();
    },
    quit: () => log.push('quit'),
    exit: (code: number) => log.push(`exit ${code}`),
  });
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    dialog: { showErrorBox: (title: string, body: string) => errors.push(`${title}: ${body}`) },
    ipcMain: {
      handle: (ch: string, l: Listener) => ipcHandlers.set(ch, l),
      removeHandler: (ch: string) => ipcHandlers.delete(ch),
    },
    Notification: class {
      static isSupported() {
        return false;
      }
      show() {}
    },
    shell: { showItemInFolder: () => undefined },
  };
  return { electron, app, log, ipcHandlers, windows, errors };
}

function loadMain(fake: ReturnType<typeof fakeElectron>): void {
  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = M._load;
  const modPath = require.resolve('./main');
  delete require.cache[modPath];
  M._load = function (request: string, ...rest: unknown[]) {
    if (request === 'electron') return fake.electron;
    return original.call(this, request, ...rest);
  };
  try {
    require(modPath);
  } finally {
    M._load = original;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 20));

test('main wires security, the store, the backend, IPC and one secure window', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-main-'));
  const saved = process.env.GUESTPREP_DATA_DIR;
  process.env.GUESTPREP_DATA_DIR = data;
  try {
    const fake = fakeElectron({ lock: true });
    loadMain(fake);
    assert.ok(fake.log.includes('setName Guestprep'));
    assert.ok(fake.log.includes(`setPath userData ${data}`), 'Electron data lives in the same folder as the CLI store');
    assert.ok(fake.log.indexOf('enableSandbox') < fake.log.indexOf('whenReady'), 'sandbox enabled before ready');
    await tick();

    assert.equal(fake.windows.length, 1);
    const win = fake.windows[0];
    const prefs = win.options.webPreferences ?? {};
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.preload, path.resolve(__dirname, '..', '..', 'preload', 'preload.js'));
    const indexHtml = path.resolve(__dirname, '..', '..', 'renderer', 'index.html');
    assert.deepEqual(win.loaded, [indexHtml]);
    assert.deepEqual([...fake.ipcHandlers.keys()].sort(), CALL_NAMES.map((n) => `guestprep:${n}`).sort());

    // The store is the real SQLite one in the data folder.
    assert.ok(fs.existsSync(path.join(data, 'guestprep.sqlite')));
    const ours = { sender: win.webContents, senderFrame: { url: pathToFileURL(indexHtml).href, parent: null } };
    const list = fake.ipcHandlers.get('guestprep:presets.list')!;
    assert.deepEqual(await list(ours, {}), { ok: true, value: [] });
    await assert.rejects(async () => list({ ...ours, senderFrame: { url: 'https://example.org/', parent: null } }, {}));

    // web-contents-created hardens every webContents.
    const contents = Object.assign(new EventEmitter(), {
      session: { webRequest: { onHeadersReceived() {} }, setPermissionRequestHandler() {}, setPermissionCheckHandler() {} },
      opened: undefined as unknown,
      setWindowOpenHandler(h: (d: unknown) => unknown) {
        contents.opened = h({ url: 'https://example.org' });
      },
    });
    fake.app.emit('web-contents-created', {}, contents);
    assert.deepEqual(contents.opened, { action: 'deny' });

    // A second launch focuses the window.
    fake.app.emit('second-instance');
    assert.equal(win.focused, 1);

    // Quit: prevented until the backend is disposed and the store closed, then quit again for real.
    let prevented = 0;
    fake.app.emit('before-quit', { preventDefault: () => prevented++ });
    assert.equal(prevented, 1);
    await tick();
    assert.equal(fake.log.filter((l) => l === 'quit').length, 1);
    assert.equal(fake.ipcHandlers.size, 0, 'IPC handlers removed');
    fake.app.emit('before-quit', { preventDefault: () => prevented++ });
    assert.equal(prevented, 1, 'the final quit goes through');
    assert.deepEqual(fake.errors, []);
  } finally {
    if (saved === undefined) delete process.env.GUESTPREP_DATA_DIR;
    else process.env.GUESTPREP_DATA_DIR = saved;
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('a second instance quits at once and opens nothing', async () => {
  const fake = fakeElectron({ lock: false });
  loadMain(fake);
  await tick();
  assert.ok(fake.log.includes('quit'));
  assert.ok(!fake.log.includes('whenReady'));
  assert.equal(fake.windows.length, 0);
});

test('a store that cannot be opened is reported with its fix and the app exits', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-main-'));
  const saved = process.env.GUESTPREP_DATA_DIR;
  // The data folder path is a regular file: the database cannot be created under it.
  const blocker = path.join(data, 'not-a-folder');
  fs.writeFileSync(blocker, '');
  process.env.GUESTPREP_DATA_DIR = blocker;
  try {
    const fake = fakeElectron({ lock: true });
    loadMain(fake);
    await tick();
    assert.equal(fake.windows.length, 0);
    assert.equal(fake.errors.length, 1);
    assert.match(fake.errors[0], /^Guestprep could not start: /);
    assert.ok(fake.log.includes('exit 1'));
  } finally {
    if (saved === undefined) delete process.env.GUESTPREP_DATA_DIR;
    else process.env.GUESTPREP_DATA_DIR = saved;
    fs.rmSync(data, { recursive: true, force: true });
  }
});
