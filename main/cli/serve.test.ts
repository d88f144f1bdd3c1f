// runServe end to end without an appliance: it prints the tokened address, serves the page and the API over
// it, refuses non-loopback hosts, and stops (disposing the backend) on SIGTERM or stop().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { runServe } from './serve';
import { createMemoryStore } from '../backend/memory-store';
import { GuestprepError } from '../engine/errors';

function status(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.end();
  });
}

test('serves the page and the API at the printed address, then stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp serve (test) '));
  try {
    mkdirSync(join(dir, 'renderer'));
    writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Guestprep</title>\n');
    const lines: string[] = [];
    const store = createMemoryStore();
    store.presets.save('Lab', { settings: { rmUrl: 'pnp://rm' } });
    const s = await runServe({ store, log: (l) => lines.push(l), staticDir: join(dir, 'renderer') });
    assert.ok(lines.some((l) => l.includes(s.url)), 'the URL with its token is printed');
    const token = new URL(s.url).searchParams.get('token') ?? '';
    assert.equal(await status(s.port, '/'), 403);
    assert.equal(await status(s.port, '/', { Cookie: `guestprep_${s.port}=${token}` }), 200);

    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api?token=${token}`, { origin: `http://127.0.0.1:${s.port}` });
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(JSON.stringify({ id: 1, call: 'presets.list', req: {} }));
    assert.equal(JSON.parse(await reply).result.value[0].name, 'Lab');

    const wsClosed = new Promise((r) => ws.once('close', r));
    process.emit('SIGTERM', 'SIGTERM');
    await s.stopped;
    await wsClosed;
    await assert.rejects(status(s.port, '/'), /ECONNREFUSED/);
    assert.equal(process.listenerCount('SIGTERM'), 0, 'signal handlers removed');
    assert.equal(store.closed, false, 'the caller owns the store');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses a non-loopback host and a bad port with a fix; stop() is idempotent', async () => {
  const store = createMemoryStore();
  await assert.rejects(runServe({ store, host: '0.0.0.0', log: () => undefined }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && /ssh -L/.test(e.fix));
  await assert.rejects(runServe({ store, port: 70000, log: () => undefined }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
  const s = await runServe({ store, log: () => undefined, handleSignals: false, staticDir: join(tmpdir(), 'gp-no-such-renderer') });
  const busy = runServe({ store, port: s.port, log: () => undefined, handleSignals: false });
  await assert.rejects(busy, (e: unknown) => e instanceof GuestprepError && /already in use/.test(e.message));
  await Promise.all([s.stop(), s.stop()]);
  await s.stopped;
});
