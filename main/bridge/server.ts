// The browser bridge (`guestprep serve`): the same app as the desktop one, in any browser, talking to the same
// backend over a WebSocket instead of Electron IPC. HTTP serves the built renderer; `/api` is a WebSocket
// carrying `{id, call, req}` -> `{id, result}` and pushing `{event, payload}` to every connected page.
// Loopback only, and every request must carry the token (see access.ts for why each check exists).

import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, resolve, sep } from 'node:path';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { CALL_NAMES, EVENT_NAMES, type CallName, type EventSink, type Handlers, type Result } from '../contract/contract';
import { dispatchCall, type LogFn } from '../backend/dispatch';
import { withCspMeta } from '../contract/csp';
import { cspHeader, hostAllowed, httpOriginAllowed, newToken, origin, requestToken, tokenCookie, tokenMatches } from './access';

export interface BridgeOptions {
  handlers: Handlers;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Only loopback: the bridge has no TLS and trusts the local user. */
  host?: '127.0.0.1';
  /** The built renderer (dist/renderer). Without it the API still works and pages answer 404. */
  staticDir?: string;
  /** Where unexpected errors are logged (default: stderr); the page only gets a generic INTERNAL error. */
  log?: LogFn;
}

export interface Bridge {
  /** The URL to open: http://127.0.0.1:PORT/?token=... */
  url: string;
  token: string;
  port: number;
  /** Pushes an event to every connected page. */
  emit: EventSink;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Requests can be large only for presets.import; 8 MiB is far above any real presets file. */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

function callError(message: string, fix: string): Result<never> {
  return { ok: false, error: { code: 'INTERNAL', message, fix } };
}

const VERSION_FIX = 'The page and `guestprep serve` do not match: reload the page, or restart `guestprep serve`.';

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`the bridge listens on 127.0.0.1 only, not ${String(host)}`);
  const token = newToken();
  const staticRoot = opts.staticDir ? resolve(opts.staticDir) : undefined;
  let port = 0;

  const baseHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': cspHeader(port),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    // Everything here is behind the token: no cache should keep it.
    'Cache-Control': 'no-store',
  });

  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
    res.end(body);
  };

  /** The file under staticRoot that a URL path names, or undefined when it would leave staticRoot. */
  async function staticFile(pathname: string): Promise<string | undefined> {
    if (!staticRoot) return undefined;
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (rel.includes('\0') || rel.includes('\\')) return undefined;
    if (rel.endsWith('/')) rel += 'index.html';
    const candidate = resolve(staticRoot, `.${rel.startsWith('/') ? rel : `/${rel}`}`);
    if (candidate !== staticRoot && !candidate.startsWith(staticRoot + sep)) return undefined;
    try {
      // A symlink inside the folder must not lead out of it either.
      const [real, realRoot] = await Promise.all([realpath(candidate), realpath(staticRoot)]);
      if (!real.startsWith(realRoot + sep)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port)) return text(res, 403, 'Open the address printed by `guestprep serve` (http://127.0.0.1:PORT/...).\n');
    // Even with the token: a request another page makes carries the cookie when that page is on 127.0.0.1 too.
    if (!httpOriginAllowed(req.headers.origin, port)) return text(res, 403, 'Access denied: requests made by other pages are refused. Open the address printed by `guestprep serve`.\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin(port));
    } catch {
      return text(res, 400, 'Bad request.\n');
    }
    if (!tokenMatches(requestToken(url, req.headers.cookie, port), token)) {
      return text(res, 403, 'Access denied: open the full address printed by `guestprep serve` (it carries the access token).\n');
    }
    if (url.searchParams.has('token')) {
      // Move the token into the cookie and out of the address bar (and out of history and Referer headers).
      url.searchParams.delete('token');
      res.writeHead(303, { ...baseHeaders(), 'Set-Cookie': tokenCookie(port, token), Location: `${url.pathname}${url.search}` });
      res.end();
      return;
    }
    if (url.pathname === '/api') return text(res, 426, 'This address is the WebSocket API.\n', { Upgrade: 'websocket' });
    const file = await staticFile(url.pathname);
    if (!file) return text(res, 404, staticRoot ? 'Not found.\n' : 'The app is not built: run the renderer build (vite) first.\n');
    if (extname(file).toLowerCase() === '.html') {
      // The built page carries the desktop window's policy as a <meta> (no network at all): served here, it
      // gets the served policy instead, the same as the header, or the two would intersect and block the API.
      const body = Buffer.from(withCspMeta(await readFile(file, 'utf8'), 'served', port));
      res.writeHead(200, { ...baseHeaders(), 'Content-Type': CONTENT_TYPES['.html'], 'Content-Length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const info = await stat(file);
    res.writeHead(200, {
      ...baseHeaders(),
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) text(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const refuse = (socket: Duplex, status: 401 | 403 | 404, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`);
    socket.destroy();
  };

  server.on('upgrade', (req, socket, head) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin(port));
    } catch {
      return refuse(socket, 404, 'Not Found');
    }
    if (url.pathname !== '/api') return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req.headers.host, port)) return refuse(socket, 403, 'Forbidden');
    if (!tokenMatches(requestToken(url, req.headers.cookie, port), token)) return refuse(socket, 401, 'Unauthorized');
    // Checked even with a valid token: a foreign page's WebSocket would carry our cookie.
    if (req.headers.origin !== origin(port)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const handle = async (raw: RawData, isBinary: boolean): Promise<{ id: unknown; result: Result<unknown> }> => {
    if (isBinary) return { id: null, result: callError('The bridge takes text messages only.', VERSION_FIX) };
    let msg: unknown;
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return { id: null, result: callError('The message is not JSON.', VERSION_FIX) };
    }
    const m = (msg && typeof msg === 'object' ? msg : {}) as { id?: unknown; call?: unknown; req?: unknown };
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    if (id === null) return { id: null, result: callError('The message has no id.', VERSION_FIX) };
    if (typeof m.call !== 'string' || !(CALL_NAMES as readonly string[]).includes(m.call)) {
      return { id, result: callError(`Unknown call ${JSON.stringify(m.call)}.`, VERSION_FIX) };
    }
    const call = m.call as CallName;
    const fn = opts.handlers[call] as (req: unknown) => Promise<unknown>;
    // Checked and answered in the one place the Electron IPC uses too (dispatchCall): schema first, errors as data.
    return { id, result: await dispatchCall(call, m.req ?? {}, (checked) => fn.call(opts.handlers, checked) as Promise<never>, opts.log) };
  };

  wss.on('connection', (ws) => {
    ws.on('message', (raw, isBinary) => {
      handle(raw, isBinary).then((reply) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(reply));
      });
    });
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((done, failed) => {
    server.once('error', failed);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', failed);
      done();
    });
  });
  port = (server.address() as AddressInfo).port;

  const emit: EventSink = (name, payload) => {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) return;
    const data = JSON.stringify({ event: name, payload });
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(data);
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    })());

  return { url: `${origin(port)}/?token=${token}`, token, port, emit, close };
}
