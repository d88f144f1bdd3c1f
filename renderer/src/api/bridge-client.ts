// The GuestprepClient of the browser bridge (`guestprep serve`): the contract's calls and events over one
// WebSocket to /api on the server that served the page. The access token travels in the HttpOnly cookie the
// server set on first load (or in ?token= when a URL is given, e.g. in tests). Runs in the browser: no Node
// imports; the WebSocket implementation can be injected so the client can be tested under Node.
//
// When the connection drops, pending calls end with BRIDGE_DISCONNECTED and the client reconnects once; if
// that fails, every later call answers BRIDGE_DISCONNECTED (the fix says to restart the server and reload).
// Events pushed while disconnected are lost: after a reconnect the page should re-read what it shows.

import { CALL_NAMES, EVENT_NAMES } from '../../../main/contract/contract';
import type { CallName, CallReq, CallRes, ErrorData, EventName, Events, GuestprepClient, Result } from '../../../main/contract/contract';

/** What the client needs of a WebSocket: the browser's, or the `ws` package's under Node. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

export type SocketConstructor = new (url: string) => SocketLike;

export interface BridgeClientOptions {
  /** Default: the browser's WebSocket. */
  WebSocket?: SocketConstructor;
}

export interface BridgeClient extends GuestprepClient {
  /** Closes the connection for good (no reconnect). */
  close(): void;
}

const OPEN = 1;

const DISCONNECTED: ErrorData = {
  code: 'BRIDGE_DISCONNECTED',
  message: 'The connection to `guestprep serve` was lost.',
  fix: 'Check that `guestprep serve` is still running (start it again if not), then open the address it prints.',
};

/** ws://host/api for the page's own http://host/... address, keeping a ?token= it carries. */
export function apiUrlFor(pageUrl: string): string {
  const u = new URL(pageUrl);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`The bridge is reached over http, not ${u.protocol}`);
  const token = u.searchParams.get('token');
  const api = new URL('/api', u);
  api.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  api.search = token ? `?token=${encodeURIComponent(token)}` : '';
  api.hash = '';
  return api.toString();
}

function defaultPageUrl(): string {
  const loc = (globalThis as { location?: { href: string } }).location;
  if (!loc) throw new Error('connectBridge needs a URL outside a browser page');
  return loc.href;
}

export async function connectBridge(url?: string, opts: BridgeClientOptions = {}): Promise<BridgeClient> {
  const Socket = opts.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (!Socket) throw new Error('No WebSocket implementation available');
  const apiUrl = apiUrlFor(url ?? defaultPageUrl());

  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextId = 1;
  let socket: SocketLike | undefined;
  let reconnecting: Promise<void> | undefined;
  let closedByUser = false;
  let dead = false;

  const open = () =>
    new Promise<SocketLike>((resolve, reject) => {
      const s = new Socket(apiUrl);
      s.onopen = () => resolve(s);
      // A refused upgrade (bad token, server gone) ends in error + close before open.
      s.onerror = () => reject(new Error(`Cannot reach guestprep serve at ${apiUrl.replace(/\?.*$/, '')}`));
      s.onclose = () => reject(new Error(`Cannot reach guestprep serve at ${apiUrl.replace(/\?.*$/, '')}`));
    });

  const onMessage = (ev: { data: unknown }) => {
    let msg: { id?: unknown; result?: Result<unknown>; event?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of listeners.get(msg.event as EventName) ?? []) {
        try {
          (l as (p: unknown) => void)(msg.payload);
        } catch {
          /* one listener's bug must not starve the others */
        }
      }
      return;
    }
    if (typeof msg.id === 'number' && msg.result) {
      const done = pending.get(msg.id);
      pending.delete(msg.id);
      done?.(msg.result);
    }
  };

  const attach = (s: SocketLike) => {
    socket = s;
    s.onmessage = onMessage;
    s.onerror = () => undefined;
    s.onclose = () => {
      if (socket !== s) return;
      socket = undefined;
      for (const done of pending.values()) done({ ok: false, error: DISCONNECTED });
      pending.clear();
      if (closedByUser) return;
      reconnecting = open().then(
        (again) => {
          reconnecting = undefined;
          if (closedByUser) again.close();
          else attach(again);
        },
        () => {
          reconnecting = undefined;
          dead = true;
        },
      );
    };
  };

  attach(await open());

  const client: BridgeClient = {
    kind: 'bridge',

    async call<C extends CallName>(name: C, req: CallReq<C>): Promise<Result<CallRes<C>>> {
      if (!(CALL_NAMES as readonly string[]).includes(name)) {
        return { ok: false, error: { code: 'INTERNAL', message: `Unknown call ${JSON.stringify(name)}.`, fix: 'This is a bug in the page. Please report it.' } };
      }
      if (reconnecting) await reconnecting;
      const s = socket;
      if (dead || closedByUser || !s || s.readyState !== OPEN) return { ok: false, error: DISCONNECTED };
      const id = nextId++;
      return new Promise<Result<CallRes<C>>>((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        try {
          s.send(JSON.stringify({ id, call: name, req }));
        } catch {
          pending.delete(id);
          resolve({ ok: false, error: DISCONNECTED });
        }
      });
    },

    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
      if (!(EVENT_NAMES as readonly string[]).includes(name)) return () => undefined;
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const l = listener as (payload: never) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },

    // A browser never reveals where a dropped file lives on disk: the page asks for a typed path instead.
    pathForFile: () => undefined,

    close() {
      closedByUser = true;
      socket?.close();
    },
  };
  return client;
}
