// Loads the compiled preload with a fake 'electron' module (Electron cannot run here) and checks what it
// exposes to the page and what reaches ipcRenderer.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module = require('node:module');
import { CALL_NAMES, EVENT_NAMES } from '../main/contract/contract';
import type { GuestprepClient } from '../main/contract/contract';

interface FakeElectron {
  exposed: Array<[string, unknown]>;
  invoked: Array<[string, unknown]>;
  listeners: Map<string, Set<(...a: unknown[]) => void>>;
  invokeImpl: (channel: string, req: unknown) => Promise<unknown>;
  pathImpl: (file: unknown) => string;
}

function loadPreload(): { fake: FakeElectron; client: GuestprepClient; exports: Record<string, unknown> } {
  const fake: FakeElectron = {
    exposed: [],
    invoked: [],
    listeners: new Map(),
    invokeImpl: async () => ({ ok: true, value: 'answer' }),
    pathImpl: () => '',
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => fake.exposed.push([key, api]) },
    ipcRenderer: {
      invoke: (channel: string, req: unknown) => {
        fake.invoked.push([channel, req]);
        return fake.invokeImpl(channel, req);
      },
      on: (channel: string, l: (...a: unknown[]) => void) => {
        if (!fake.listeners.has(channel)) fake.listeners.set(channel, new Set());
        fake.listeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: (...a: unknown[]) => void) => {
        fake.listeners.get(channel)?.delete(l);
      },
    },
    webUtils: { getPathForFile: (f: unknown) => fake.pathImpl(f) },
  };
  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = M._load;
  const modPath = require.resolve('./preload');
  delete require.cache[modPath];
  M._load = function (request: string, ...rest: unknown[]) {
    if (request === 'electron') return electron;
    return original.call(this, request, ...rest);
  };
  let exports: Record<string, unknown>;
  try {
    exports = require(modPath) as Record<string, unknown>;
  } finally {
    M._load = original;
  }
  assert.equal(fake.exposed.length, 1, 'exactly one exposeInMainWorld');
  return { fake, client: fake.exposed[0][1] as GuestprepClient, exports };
}

test('the preload exposes window.guestprep and nothing else', () => {
  const { fake, client } = loadPreload();
  assert.equal(fake.exposed[0][0], 'guestprep');
  assert.deepEqual(Object.keys(client).sort(), ['call', 'kind', 'on', 'pathForFile']);
  assert.equal(client.kind, 'electron');
  for (const v of Object.values(client)) {
    assert.ok(typeof v === 'function' || typeof v === 'string', 'only functions and the kind string: no Electron objects');
  }
});

test('the preload name lists equal the contract CALL_NAMES and EVENT_NAMES', () => {
  const { exports } = loadPreload();
  assert.deepEqual([...(exports.PRELOAD_CALL_NAMES as string[])].sort(), [...CALL_NAMES].sort());
  assert.deepEqual([...(exports.PRELOAD_EVENT_NAMES as string[])].sort(), [...EVENT_NAMES].sort());
});

test('call: a known name is invoked on guestprep:<name> and its Result returned as is', async () => {
  const { fake, client } = loadPreload();
  fake.invokeImpl = async () => ({ ok: false, error: { code: 'IMAGE_LOCKED', message: 'm', fix: 'f' } });
  const r = await client.call('image.inspect', { image: '/vms/n.vdi' });
  assert.deepEqual(r, { ok: false, error: { code: 'IMAGE_LOCKED', message: 'm', fix: 'f' } });
  assert.deepEqual(fake.invoked, [['guestprep:image.inspect', { image: '/vms/n.vdi' }]]);
});

test('call: unknown names never reach ipcRenderer', async () => {
  const { fake, client } = loadPreload();
  const loose = client.call as unknown as (n: string, r: unknown) => Promise<{ ok: boolean; error?: { code: string; fix: string } }>;
  for (const bad of ['fs.readFile', 'guestprep:event:run.event', '__proto__', 'constructor', '']) {
    const r = await loose(bad, {});
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'INTERNAL');
    assert.ok(r.error?.fix);
  }
  assert.deepEqual(fake.invoked, []);
});

test('call: a rejected invoke (main refused, IPC broken) becomes an error Result', async () => {
  const { fake, client } = loadPreload();
  fake.invokeImpl = async () => {
    throw new Error('Guestprep refused the call');
  };
  const r = await client.call('presets.list', {});
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error.message, /refused/);
});

test('on: listeners get the payload only, and unsubscribe removes them', () => {
  const { fake, client } = loadPreload();
  const got: unknown[][] = [];
  const off = client.on('run.event', (...args: unknown[]) => got.push(args));
  const ls = fake.listeners.get('guestprep:event:run.event');
  assert.equal(ls?.size, 1);
  const payload = { runId: 'r', event: { type: 'progress', percent: 3 } };
  for (const l of ls!) l({ sender: 'ipcRenderer-handle' }, payload);
  assert.deepEqual(got, [[payload]], 'the IPC event (with its sender) is never passed to the page');
  off();
  assert.equal(fake.listeners.get('guestprep:event:run.event')?.size, 0);
});

test('on: unknown events subscribe to nothing', () => {
  const { fake, client } = loadPreload();
  const loose = client.on as unknown as (n: string, l: unknown) => () => void;
  const off = loose('guestprep:image.inspect', () => undefined);
  loose('run.event', 'not a function');
  assert.equal(fake.listeners.size, 0);
  off(); // harmless
});

test('pathForFile: the host path, or undefined for a File without one', () => {
  const { fake, client } = loadPreload();
  const file = {} as File;
  fake.pathImpl = () => '/home/u/VirtualBox VMs/n (1)/n.vdi';
  assert.equal(client.pathForFile(file), '/home/u/VirtualBox VMs/n (1)/n.vdi');
  fake.pathImpl = () => '';
  assert.equal(client.pathForFile(file), undefined);
  fake.pathImpl = () => {
    throw new TypeError('not a File');
  };
  assert.equal(client.pathForFile(file), undefined);
});

test('the compiled preload requires nothing but electron (a sandboxed preload cannot load other files)', () => {
  const src = fs.readFileSync(path.join(__dirname, 'preload.js'), 'utf8');
  const required = [...src.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
  assert.deepEqual(required, ['electron']);
  assert.doesNotMatch(src, /\bimport\(/, 'no dynamic import either');
});
