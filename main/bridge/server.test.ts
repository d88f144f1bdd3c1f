// The bridge server on a random port with fake handlers that record their calls, driven by the `ws` client
// and raw HTTP requests: who gets in (token, Origin, Host), what the API answers, what the static side serves.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBridge, type Bridge } from './server';
import { cspHeaderValue, cspMetaContents } from '../contract/csp';
import { GuestprepError } from '../engine/errors';
import type { Handlers } from '../contract/contract';

let root: string;
let bridge: Bridge;
const calls: Array<{ name: string; req: unknown }> = [];
const logged: string[] = [];

function fakeHandlers(): Handlers {
  const h: Record<string, (req: unknown) => Promise<unknown>> = {};
  const record = (name: string, answer: (req: unknown) => unknown) => {
    h[name] = async (req) => {
      calls.push({ name, req });
      return answer(req);
    };
  };
  record('presets.list', () => [{ name: 'Lab', data: { settings: { rmUrl: 'pnp://rm' } }, createdAt: 't', updatedAt: 't' }]);
  record('run.cancel', (req) => ({ cancelled: (req as { runId: string }).runId === 'r1' }));
  record('vbox.list', () => {
    throw new TypeError("Cannot read properties of undefined (reading 'disks')");
  });
  record('history.list', (req) => [req]);
  record('history.get', () => {
    throw new GuestprepError({ code: 'RUN_NOT_FOUND', message: 'No run x.', fix: 'Refresh.' });
  });
  return new Proxy(h, {
    get: (t, name: string) => t[name] ?? (async () => assert.fail(`unexpected call ${name}`)),
  }) as unknown as Handlers;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp bridge (test) '));
  const dist = join(root, 'dist', 'renderer');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Guestprep</title><script type="module" src="./assets/app.js"></script>\n');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("app");\n');
  writeFileSync(join(dist, 'assets', 'app.css'), 'body{}\n');
  writeFileSync(join(root, 'dist', 'secret.txt'), 'SECRET outside the static folder\n');
  symlinkSync(join(root, 'dist', 'secret.txt'), join(dist, 'assets', 'link.txt'));
  bridge = await startBridge({ handlers: fakeHandlers(), port: 0, staticDir: dist, log: (l) => logged.push(l) });
});

after(async () => {
  await bridge.close();
  rmSync(root, { recursive: true, force: true });
});

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: bridge.port, path, method, headers: { Host: `127.0.0.1:${bridge.port}`, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end();
  });
}

const own = () => `http://127.0.0.1:${bridge.port}`;

function connect(opts: { token?: string; origin?: string | null; cookie?: string } = {}): Promise<WebSocket> {
  const q = opts.token === undefined ? '' : `?token=${encodeURIComponent(opts.token)}`;
  const headers: Record<string, string> = opts.cookie ? { Cookie: opts.cookie } : {};
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api${q}`, { ...(opts.origin === null ? {} : { origin: opts.origin ?? own() }), headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

async function refusedWith(p: Promise<WebSocket>, status: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => (e as { status?: number }).status === status);
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

async function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise((r) => {
    ws.once('close', r);
    ws.close();
  });
}

test('the URL carries a 32-byte base64url token on 127.0.0.1', () => {
  assert.match(bridge.url, new RegExp(`^http://127\\.0\\.0\\.1:${bridge.port}/\\?token=[A-Za-z0-9_-]{43}$`));
  assert.equal(Buffer.from(bridge.token, 'base64url').length, 32);
});

test('the WebSocket refuses a wrong or missing token (401), and a wrong or missing Origin (403)', async () => {
  await refusedWith(connect({ token: 'x'.repeat(43) }), 401);
  await refusedWith(connect({}), 401);
  await refusedWith(connect({ token: bridge.token, origin: 'http://evil.example' }), 403);
  await refusedWith(connect({ token: bridge.token, origin: `http://localhost:${bridge.port}` }), 403);
  await refusedWith(connect({ token: bridge.token, origin: null }), 403);
});

test('a call round-trips, errors come back as Results, unknown calls are refused without reaching a handler', async () => {
  const ws = await connect({ token: bridge.token });
  try {
    calls.length = 0;
    ws.send(JSON.stringify({ id: 1, call: 'run.cancel', req: { runId: 'r1' } }));
    assert.deepEqual(await nextMessage(ws), { id: 1, result: { ok: true, value: { cancelled: true } } });
    assert.deepEqual(calls, [{ name: 'run.cancel', req: { runId: 'r1' } }]);

    ws.send(JSON.stringify({ id: 'b', call: 'history.get', req: { id: 'x' } }));
    assert.deepEqual(await nextMessage(ws), { id: 'b', result: { ok: false, error: { code: 'RUN_NOT_FOUND', message: 'No run x.', fix: 'Refresh.' } } });

    for (const call of ['shell.exec', '__proto__', 'constructor', 42]) {
      ws.send(JSON.stringify({ id: 7, call, req: {} }));
      const m = (await nextMessage(ws)) as { id: number; result: { ok: boolean; error: { message: string; fix: string } } };
      assert.equal(m.id, 7);
      assert.equal(m.result.ok, false);
      assert.match(m.result.error.message, /Unknown call/);
    }
    ws.send('not json');
    assert.equal(((await nextMessage(ws)) as { result: { ok: boolean } }).result.ok, false);
    assert.equal(calls.length, 2, 'only the two real calls reached handlers');
  } finally {
    await closed(ws);
  }
});

test('requests are checked against their call\'s schema before any handler; a bug answers INTERNAL without its stack', async () => {
  const ws = await connect({ token: bridge.token });
  try {
    calls.length = 0;
    ws.send(JSON.stringify({ id: 1, call: 'history.list', req: { limit: 1e300 } }));
    const refused = (await nextMessage(ws)) as { result: { ok: false; error: { code: string; field: string; message: string } } };
    assert.equal(refused.result.error.code, 'SETTING_INVALID');
    assert.equal(refused.result.error.field, 'limit');
    assert.deepEqual(calls, [], 'the handler never saw the request');

    ws.send(JSON.stringify({ id: 2, call: 'history.list', req: { limit: 5, text: 'lab' } }));
    assert.deepEqual(await nextMessage(ws), { id: 2, result: { ok: true, value: [{ limit: 5, text: 'lab' }] } });

    ws.send(JSON.stringify({ id: 3, call: 'vbox.list', req: {} }));
    const bug = (await nextMessage(ws)) as { result: { ok: false; error: Record<string, string> } };
    assert.equal(bug.result.error.code, 'INTERNAL');
    assert.equal(bug.result.error.detail, undefined);
    assert.doesNotMatch(JSON.stringify(bug), /reading 'disks'|TypeError|\bat /);
    assert.match(logged.join('\n'), /vbox\.list: TypeError: Cannot read properties of undefined \(reading 'disks'\)\n\s+at /);
  } finally {
    await closed(ws);
  }
});

test("the built page served by the bridge carries the served policy in its <meta>, the same as the header", async (t) => {
  const built = join(__dirname, '..', '..', 'renderer');
  if (!existsSync(join(built, 'index.html'))) return t.skip('the renderer is not built (vite build --config renderer/vite.config.ts)');
  const served = await startBridge({ handlers: fakeHandlers(), port: 0, staticDir: built });
  try {
    const page = await new Promise<Reply>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: served.port, path: `/?token=${served.token}`, headers: { Host: `127.0.0.1:${served.port}` }, agent: false }, (res) => {
        const cookie = String(res.headers['set-cookie']).split(';')[0];
        res.resume();
        request({ host: '127.0.0.1', port: served.port, path: '/', headers: { Host: `127.0.0.1:${served.port}`, Cookie: cookie }, agent: false }, (res2) => {
          const chunks: Buffer[] = [];
          res2.on('data', (c: Buffer) => chunks.push(c));
          res2.on('end', () => resolve({ status: res2.statusCode ?? 0, headers: res2.headers, body: Buffer.concat(chunks).toString() }));
        }).on('error', reject).end();
      });
      r.on('error', reject);
      r.end();
    });
    assert.equal(page.status, 200);
    const header = String(page.headers['content-security-policy']);
    assert.equal(header, cspHeaderValue('served', served.port));
    assert.deepEqual(cspMetaContents(page.body), [header.replace(/; frame-ancestors 'none'$/, '')], 'one <meta>, the header\'s policy');
    assert.equal(Number(page.headers['content-length']), Buffer.byteLength(page.body));
  } finally {
    await served.close();
  }
});

test('events are pushed to every connected page; unknown event names are not', async () => {
  const a = await connect({ token: bridge.token });
  const b = await connect({ token: bridge.token });
  try {
    const got = Promise.all([nextMessage(a), nextMessage(b)]);
    (bridge.emit as (n: string, p: unknown) => void)('not.an.event', {});
    bridge.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 42 } });
    for (const m of await got) assert.deepEqual(m, { event: 'run.event', payload: { runId: 'r1', event: { type: 'progress', percent: 42 } } });
  } finally {
    await Promise.all([closed(a), closed(b)]);
  }
});

test('static files: 403 without the token; the token sets an HttpOnly SameSite=Strict cookie and is dropped from the URL', async () => {
  const denied = await get('/');
  assert.equal(denied.status, 403);
  assert.doesNotMatch(denied.body, /Guestprep<\/title>/);
  assert.equal((await get('/assets/app.js')).status, 403);
  assert.equal((await get('/?token=wrong')).status, 403);

  const first = await get(`/?token=${bridge.token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0];

  const page = await get('/', { Cookie: cookie });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.body, /<title>Guestprep<\/title>/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  assert.ok(csp.includes(`connect-src ws://127.0.0.1:${bridge.port};`));
  // The page's <meta> says the same as the header (frame-ancestors only works as a header).
  assert.deepEqual(cspMetaContents(page.body), [csp.replace(/; frame-ancestors 'none'$/, '')]);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  assert.equal((await get('/assets/app.js', { Cookie: cookie })).headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await get('/assets/app.css', { Cookie: cookie })).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await get('/nope.js', { Cookie: cookie })).status, 404);

  // The cookie also opens the WebSocket (what a browser page does).
  const ws = await connect({ cookie });
  await closed(ws);
});

test('path traversal out of the static folder is refused, plain, encoded or through a symlink', async () => {
  const auth = { Cookie: `guestprep_${bridge.port}=${bridge.token}` };
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/link.txt', '/..\\secret.txt', '/%00index.html']) {
    const r = await get(p, auth);
    assert.ok(r.status === 404 || r.status === 400 || r.status === 403, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /SECRET/, p);
  }
});

test('a foreign Host header (DNS rebinding) is refused even with the token', async () => {
  const r = await get(`/?token=${bridge.token}`, { Host: `evil.example:${bridge.port}` });
  assert.equal(r.status, 403);
});

// ---------------------------------------------------------------- refusals, one request at a time

const cookieHeader = () => ({ Cookie: `guestprep_${bridge.port}=${bridge.token}` });

/**
 * A WebSocket upgrade written by hand, so that every header (Host included, which the `ws` client derives from
 * the URL) is the test's choice. Resolves with the status: 101 when the bridge took the connection.
 */
function upgrade(opts: { path?: string; host?: string; origin?: string; cookie?: string }): Promise<number> {
  const headers: Record<string, string> = {
    Host: opts.host ?? `127.0.0.1:${bridge.port}`,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
  };
  if (opts.origin !== undefined) headers.Origin = opts.origin;
  if (opts.cookie !== undefined) headers.Cookie = opts.cookie;
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: bridge.port, path: opts.path ?? '/api', headers, agent: false });
    r.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    r.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.end();
  });
}

test('without the token nothing is served: the page, an asset, the API address, the WebSocket', async () => {
  for (const p of ['/', '/index.html', '/assets/app.js', '/api', '/api?token=', `/api?token=${bridge.token.slice(1)}`]) {
    const r = await get(p);
    assert.equal(r.status, 403, p);
    assert.doesNotMatch(r.body, /Guestprep<\/title>|console\.log/, p);
  }
  // The cookie of another bridge (another port) is not ours, even with the same value.
  assert.equal((await get('/', { Cookie: `guestprep_${bridge.port + 1}=${bridge.token}` })).status, 403);
  assert.equal((await get('/api', cookieHeader())).status, 426, 'with the cookie, /api says it is the WebSocket');
  assert.equal(await upgrade({ origin: own() }), 401);
  assert.equal(await upgrade({ origin: own(), cookie: `guestprep_${bridge.port}=${'x'.repeat(43)}` }), 401);
  assert.equal(await upgrade({ origin: own(), cookie: cookieHeader().Cookie }), 101, 'the same request with the cookie gets in');
});

test('a request made by another page (another Origin) is refused even with the cookie', async () => {
  // A page on another port of 127.0.0.1 is the same site: the browser attaches our SameSite cookie to its requests.
  const foreign = ['http://evil.example', `http://127.0.0.1:${bridge.port + 1}`, `http://localhost:${bridge.port}`, 'null'];
  for (const origin of foreign) {
    for (const p of ['/', '/assets/app.js', '/api', `/?token=${bridge.token}`]) {
      const r = await get(p, { ...cookieHeader(), Origin: origin });
      assert.equal(r.status, 403, `${origin} ${p}`);
      assert.equal(r.headers['set-cookie'], undefined, `${origin} ${p}: no cookie handed out`);
    }
    assert.equal(await upgrade({ origin, cookie: cookieHeader().Cookie }), 403, `${origin} WebSocket`);
  }
  assert.equal(await upgrade({ cookie: cookieHeader().Cookie }), 403, 'a WebSocket without an Origin');
  // Our own page's requests (module scripts send an Origin) are served.
  assert.equal((await get('/assets/app.js', { ...cookieHeader(), Origin: own() })).status, 200);
});

test('no response lets another page read it: no CORS headers, and preflights and other methods are refused', async () => {
  const page = await get('/', { ...cookieHeader() });
  assert.equal(page.status, 200);
  for (const r of [page, await get('/', { Origin: 'http://evil.example' })]) {
    assert.deepEqual(Object.keys(r.headers).filter((h) => h.startsWith('access-control-')), []);
  }
  const preflight = await get('/api', { ...cookieHeader(), Origin: own(), 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
  assert.equal(preflight.status, 405);
  assert.equal((await get('/api', cookieHeader(), 'POST')).status, 405);
});

test('a foreign Host (DNS rebinding) is refused on every path, the WebSocket included, token or not', async () => {
  for (const host of [`evil.example:${bridge.port}`, `localhost:${bridge.port}`, `127.0.0.1:${bridge.port + 1}`, '127.0.0.1']) {
    for (const p of ['/', '/assets/app.js', '/api']) assert.equal((await get(p, { ...cookieHeader(), Host: host })).status, 403, `${host} ${p}`);
    assert.equal(await upgrade({ host, origin: own(), cookie: cookieHeader().Cookie }), 403, `${host} WebSocket`);
  }
});

test('WebSocket upgrades anywhere but /api are refused', async () => {
  for (const p of ['/', '/index.html', '/api/', '/apix']) assert.equal(await upgrade({ path: p, origin: own(), cookie: cookieHeader().Cookie }), 404, p);
});

test('close() ends open connections and frees the port', async () => {
  const b2 = await startBridge({ handlers: fakeHandlers() });
  const ws = new WebSocket(`ws://127.0.0.1:${b2.port}/api?token=${b2.token}`, { origin: `http://127.0.0.1:${b2.port}` });
  await new Promise((r) => ws.once('open', r));
  const wsClosed = new Promise((r) => ws.once('close', r));
  await b2.close();
  await wsClosed;
  await assert.rejects(connectTo(b2.port), /ECONNREFUSED/);
  assert.equal((await get('/')).status, 403, 'the other bridge is unaffected');
});

function connectTo(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/', agent: false }, () => resolve());
    r.on('error', reject);
    r.end();
  });
}
