// @vitest-environment node
// The bridge client under Node against the real bridge server and the real backend (in-memory store), with
// the `ws` package injected as the WebSocket: calls, errors as Results, events, one reconnect, then giving up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../../../main/bridge/server';
import { createBackend } from '../../../main/backend/backend';
import { createMemoryStore } from '../../../main/backend/memory-store';
import { apiUrlFor, connectBridge, type SocketConstructor } from './bridge-client';

let bridge: Bridge;
let backend: ReturnType<typeof createBackend>;

/** `ws` sends no Origin by itself; a browser sends the page's, which is the server's own. */
function wsWithOrigin(origin: string): SocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  } as unknown as SocketConstructor;
}

beforeAll(async () => {
  let emit: (n: never, p: never) => void = () => undefined;
  backend = createBackend({ store: createMemoryStore(), emit: (n, p) => emit(n as never, p as never) });
  bridge = await startBridge({ handlers: backend });
  emit = bridge.emit as typeof emit;
});

afterAll(async () => {
  await backend.dispose();
  await bridge.close();
});

describe('apiUrlFor', () => {
  it('maps the page address to the WebSocket API, keeping only the token', () => {
    expect(apiUrlFor('http://127.0.0.1:4000/index.html?token=a_b-c&x=1#step')).toBe('ws://127.0.0.1:4000/api?token=a_b-c');
    expect(apiUrlFor('http://127.0.0.1:4000/')).toBe('ws://127.0.0.1:4000/api');
    expect(apiUrlFor('https://host:8443/app/')).toBe('wss://host:8443/api');
    expect(() => apiUrlFor('file:///x/index.html')).toThrow(/http/);
  });
});

describe('connectBridge against the real server', () => {
  it('calls the backend, gets errors as Results, refuses unknown calls locally, and receives events', async () => {
    const client = await connectBridge(bridge.url, { WebSocket: wsWithOrigin(`http://127.0.0.1:${bridge.port}`) });
    try {
      expect(client.kind).toBe('bridge');
      expect(client.pathForFile({} as File)).toBeUndefined();
      const saved = await client.call('presets.save', { name: 'Lab', data: { settings: { rmUrl: 'pnp://rm.example.org' } } });
      expect(saved.ok && saved.value.name).toBe('Lab');
      const list = await client.call('presets.list', {});
      expect(list.ok && list.value.map((p) => p.name)).toEqual(['Lab']);
      const missing = await client.call('history.get', { id: 'nope' });
      expect(missing.ok).toBe(false);
      expect(!missing.ok && missing.error.code).toBe('RUN_NOT_FOUND');
      const unknown = await client.call('shell.exec' as 'presets.list', {});
      expect(!unknown.ok && unknown.error.message).toMatch(/Unknown call/);

      const got: unknown[] = [];
      let first!: () => void;
      const firstArrived = new Promise<void>((r) => (first = r));
      const off = client.on('run.event', (p) => {
        got.push(p);
        first();
      });
      client.on('no.such' as 'run.event', () => got.push('wrong'));
      const arrived = new Promise<void>((r) => client.on('run.result', () => r()));
      bridge.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 10 } });
      await firstArrived;
      off();
      bridge.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 20 } });
      bridge.emit('run.result', { runId: 'r1', result: { ok: false, error: { code: 'CANCELLED', message: 'm', fix: 'f' } } });
      await arrived;
      expect(got).toEqual([{ runId: 'r1', event: { type: 'progress', percent: 10 } }]);
    } finally {
      client.close();
    }
  });

  it('a wrong Origin or token is refused at connect time', async () => {
    await expect(connectBridge(bridge.url, { WebSocket: wsWithOrigin('http://evil.example') })).rejects.toThrow(/Cannot reach/);
    await expect(connectBridge(`http://127.0.0.1:${bridge.port}/?token=wrong`, { WebSocket: wsWithOrigin(`http://127.0.0.1:${bridge.port}`) })).rejects.toThrow(/Cannot reach/);
  });

  it('a dropped connection fails the pending call with BRIDGE_DISCONNECTED, then reconnects once', async () => {
    const client = await connectBridge(bridge.url, { WebSocket: wsWithOrigin(`http://127.0.0.1:${bridge.port}`) });
    try {
      // A message over the server's size limit makes it close the connection (1009).
      const big = await client.call('presets.import', { json: 'x'.repeat(9 * 1024 * 1024) });
      expect(!big.ok && big.error.code).toBe('BRIDGE_DISCONNECTED');
      const after = await client.call('presets.list', {});
      expect(after.ok).toBe(true);
    } finally {
      client.close();
    }
  });

  it('gives up after one failed reconnect: calls answer BRIDGE_DISCONNECTED with a fix', async () => {
    const own = await startBridge({ handlers: backend });
    const client = await connectBridge(own.url, { WebSocket: wsWithOrigin(`http://127.0.0.1:${own.port}`) });
    await own.close();
    await new Promise((r) => setTimeout(r, 100));
    const r = await client.call('presets.list', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('BRIDGE_DISCONNECTED');
    expect(!r.ok && r.error.fix).toMatch(/guestprep serve/);
    client.close();
  });
});
