import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GuestprepError } from '../engine/errors';
import { CALL_NAMES } from '../contract/contract';
import type { Handlers } from '../contract/contract';
import { appUrlFor } from './security';
import {
  callChannel,
  createEmitter,
  eventChannel,
  isTrustedSender,
  registerIpcHandlers,
  showInFolderHandler,
  type IpcEventLike,
  type IpcMainLike,
} from './ipc';

const APP = appUrlFor('/opt/Guestprep/dist/renderer/index.html');

function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcEventLike, ...args: any[]) => unknown>();
  const ipc: IpcMainLike = {
    handle(channel, listener) {
      assert.ok(!handlers.has(channel), `second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler(channel) {
      handlers.delete(channel);
    },
  };
  // What ipcRenderer.invoke would get back: the handler's promise.
  const invoke = async (event: IpcEventLike, channel: string, ...args: unknown[]) => {
    const h = handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h(event, ...args);
  };
  return { ipc, handlers, invoke };
}

/** Handlers that record their calls and answer with the request (or throw, per call name). */
function recordingHandlers(behaviour: Partial<Record<string, (req: any) => unknown>> = {}) {
  const calls: Array<[string, unknown]> = [];
  const h: Record<string, (req: unknown) => Promise<unknown>> = {};
  for (const name of CALL_NAMES) {
    h[name] = async (req: unknown) => {
      calls.push([name, req]);
      const b = behaviour[name];
      return b ? b(req) : { echoed: req };
    };
  }
  return { handlers: h as unknown as Handlers, calls };
}

const mainContents = { id: 1 };
const trustedEvent = (): IpcEventLike => ({ sender: mainContents, senderFrame: { url: APP, parent: null } });
const trusted = () => ({ webContents: mainContents, appUrl: APP });

test('one invoke channel per contract call, all removed by the returned function', () => {
  const { ipc, handlers: registered } = fakeIpcMain();
  const { handlers } = recordingHandlers();
  const unregister = registerIpcHandlers({ ipcMain: ipc, handlers, trusted });
  assert.deepEqual([...registered.keys()].sort(), CALL_NAMES.map((n) => `guestprep:${n}`).sort());
  unregister();
  assert.equal(registered.size, 0);
});

test('a trusted call reaches the handler and answers ok Result', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers, calls } = recordingHandlers();
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted });
  const res = await invoke(trustedEvent(), callChannel('image.inspect'), { image: '/vms/a b/n.vdi' });
  assert.deepEqual(res, { ok: true, value: { echoed: { image: '/vms/a b/n.vdi' } } });
  assert.deepEqual(calls, [['image.inspect', { image: '/vms/a b/n.vdi' }]]);
});

test('errors cross as data: GuestprepError keeps code and fix, anything else becomes INTERNAL', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers } = recordingHandlers({
    'image.inspect': () => {
      throw new GuestprepError({ code: 'IMAGE_LOCKED', message: 'locked by VirtualBox', fix: 'power off the VM' });
    },
    'vbox.list': () => {
      throw new TypeError('x is undefined');
    },
  });
  const log: string[] = [];
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted, log: (l) => log.push(l) });
  assert.deepEqual(await invoke(trustedEvent(), callChannel('image.inspect'), { image: '/x' }), {
    ok: false,
    error: { code: 'IMAGE_LOCKED', message: 'locked by VirtualBox', fix: 'power off the VM' },
  });
  const r = (await invoke(trustedEvent(), callChannel('vbox.list'), {})) as { ok: false; error: { code: string; message: string; detail?: string } };
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'INTERNAL');
  // The page gets no stack and no internal wording; the log gets both.
  assert.equal(r.error.message, 'Guestprep met an unexpected error in vbox.list.');
  assert.equal(r.error.detail, undefined);
  assert.match(log.join('\n'), /vbox\.list.*TypeError: x is undefined\n\s+at /);
});

test('untrusted senders are rejected and never reach a handler', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers, calls } = recordingHandlers();
  let window: ReturnType<typeof trusted> | undefined = trusted();
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted: () => window });
  const cases: Array<[string, IpcEventLike]> = [
    ['another webContents', { sender: { id: 2 }, senderFrame: { url: APP, parent: null } }],
    ['a page navigated elsewhere', { sender: mainContents, senderFrame: { url: 'https://example.org/', parent: null } }],
    ['another local file', { sender: mainContents, senderFrame: { url: 'file:///tmp/evil.html', parent: null } }],
    ['a subframe', { sender: mainContents, senderFrame: { url: APP, parent: {} } }],
    ['a frame already gone', { sender: mainContents, senderFrame: null }],
  ];
  for (const [why, event] of cases) {
    await assert.rejects(invoke(event, callChannel('run.start'), { image: '/x' }), /did not come from the Guestprep window/, why);
  }
  window = undefined; // the window was closed
  await assert.rejects(invoke(trustedEvent(), callChannel('run.start'), { image: '/x' }), /did not come/);
  assert.deepEqual(calls, []);
});

test('isTrustedSender accepts the app page with a fragment', () => {
  assert.equal(isTrustedSender({ sender: mainContents, senderFrame: { url: `${APP}#/history`, parent: null } }, trusted()), true);
});

test('a request that is not an object is answered with an error, the handler is not called', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers, calls } = recordingHandlers();
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted });
  for (const bad of [undefined, null, 'x', 3, ['a']]) {
    const r = (await invoke(trustedEvent(), callChannel('presets.list'), bad)) as { ok: boolean; error?: { code: string } };
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'SETTING_INVALID');
  }
  assert.deepEqual(calls, []);
});

test('overrides answer instead of the backend; class-instance handlers keep their `this`', async () => {
  class Backend {
    private readonly prefix = 'from-backend';
    async ['presets.list']() {
      return [this.prefix];
    }
  }
  const { handlers } = recordingHandlers();
  const backend = Object.assign(new Backend(), { ...handlers, 'presets.list': Backend.prototype['presets.list'] }) as unknown as Handlers;
  const { ipc, invoke } = fakeIpcMain();
  registerIpcHandlers({
    ipcMain: ipc,
    handlers: backend,
    overrides: { 'shell.showInFolder': async () => ({ shown: true }) },
    trusted,
  });
  assert.deepEqual(await invoke(trustedEvent(), callChannel('presets.list'), {}), { ok: true, value: ['from-backend'] });
  assert.deepEqual(await invoke(trustedEvent(), callChannel('shell.showInFolder'), { path: '/x' }), { ok: true, value: { shown: true } });
});

test('run.start tells the feedback which image the run prepares', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers } = recordingHandlers({ 'run.start': () => ({ runId: 'run-7' }) });
  const started: Array<[string, string]> = [];
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted, feedback: { runStarted: (id, image) => started.push([id, image]) } });
  await invoke(trustedEvent(), callChannel('run.start'), { image: '/vms/n.vdi', proactive: '/a.zip', settings: { rmUrl: 'pnp://rm' } });
  assert.deepEqual(started, [['run-7', '/vms/n.vdi']]);
});

test('run.retarget and run.remove tell the feedback their image too', async () => {
  const { ipc, invoke } = fakeIpcMain();
  const { handlers } = recordingHandlers({ 'run.retarget': () => ({ runId: 'run-8' }), 'run.remove': () => ({ runId: 'run-9' }) });
  const started: Array<[string, string]> = [];
  registerIpcHandlers({ ipcMain: ipc, handlers, trusted, feedback: { runStarted: (id, image) => started.push([id, image]) } });
  await invoke(trustedEvent(), callChannel('run.retarget'), { image: '/vms/r.vdi', settings: { rmUrl: 'pnp://x' } });
  await invoke(trustedEvent(), callChannel('run.remove'), { image: '/vms/d.vdi' });
  assert.deepEqual(started, [['run-8', '/vms/r.vdi'], ['run-9', '/vms/d.vdi']]);
});

test('createEmitter sends events on their channel and feeds the run feedback', () => {
  const sent: Array<[string, unknown]> = [];
  let destroyed = false;
  const contents = { send: (ch: string, payload: unknown) => sent.push([ch, payload]), isDestroyed: () => destroyed };
  const fed: string[] = [];
  let hasWindow = true;
  const emit = createEmitter({ target: () => (hasWindow ? contents : undefined), feedback: { onEvent: (name) => fed.push(name) } });
  const payload = { runId: 'r', event: { type: 'progress' as const, percent: 5 } };
  emit('run.event', payload);
  assert.deepEqual(sent, [[eventChannel('run.event'), payload]]);
  assert.equal(eventChannel('run.result'), 'guestprep:event:run.result');
  destroyed = true;
  emit('run.event', payload);
  hasWindow = false;
  emit('run.event', payload);
  assert.equal(sent.length, 1, 'nothing sent to a destroyed or absent window');
  assert.deepEqual(fed, ['run.event', 'run.event', 'run.event'], 'the feedback still hears every event');
  (emit as (n: string, p: unknown) => void)('not.an.event', {});
  assert.equal(sent.length, 1);
});

test('showInFolderHandler shows an existing absolute path, refuses relative and missing ones', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-show-'));
  try {
    const file = path.join(dir, 'node (1).vdi');
    fs.writeFileSync(file, 'x');
    const shown: string[] = [];
    const h = showInFolderHandler({ showItemInFolder: (p) => shown.push(p) });
    assert.deepEqual(await h({ path: file }), { shown: true });
    await assert.rejects(h({ path: 'node.vdi' }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
    await assert.rejects(h({ path: '' }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
    await assert.rejects(h({ path: path.join(dir, 'gone.vdi') }), (e: unknown) => e instanceof GuestprepError && e.code === 'IMAGE_NOT_FOUND');
    assert.deepEqual(shown, [file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
