// A GuestprepClient for tests: answers calls from per-channel handlers, records every call, and lets
// the test push backend events. Unhandled calls answer with an error, so a test that forgets one sees it.

import { engineCapabilities } from '../../../main/engine/capabilities';
import type { CallName, CallReq, CallRes, ErrorData, EventName, Events, GuestprepClient, Result } from '../../../main/contract/contract';

export type FakeHandler<C extends CallName> = (req: CallReq<C>) => Result<CallRes<C>> | CallRes<C> | Promise<Result<CallRes<C>> | CallRes<C>>;
export type FakeHandlers = { [C in CallName]?: FakeHandler<C> };

export interface FakeClient extends GuestprepClient {
  calls: Array<{ name: CallName; req: unknown }>;
  callsOf<C extends CallName>(name: C): Array<CallReq<C>>;
  emit<E extends EventName>(name: E, payload: Events[E]): void;
  listenerCount(name: EventName): number;
  handlers: FakeHandlers;
  paths: Map<File, string>;
}

function isResult(x: unknown): x is Result<unknown> {
  return typeof x === 'object' && x !== null && 'ok' in x && typeof (x as { ok: unknown }).ok === 'boolean' && ('value' in x || 'error' in x);
}

export function err(code: ErrorData['code'], message: string, fix: string, extra: Partial<ErrorData> = {}): Result<never> {
  return { ok: false, error: { code, message, fix, ...extra } };
}

export function createFakeClient(handlers: FakeHandlers = {}, opts: { kind?: 'electron' | 'bridge' } = {}): FakeClient {
  // Every app start asks what recovery did; tests about other things should not have to answer it.
  if (!handlers['recovery.status']) handlers['recovery.status'] = async () => ({ running: false, outcomes: [] });
  // The page lets go of warm appliances in many flows (another image, start over): recorded, answered.
  if (!handlers['image.release']) handlers['image.release'] = async (r) => ({ released: r.image === undefined ? 0 : 1 });
  // What the engine supports: what the real backend announces for this build.
  if (!handlers['engine.capabilities']) handlers['engine.capabilities'] = async () => engineCapabilities();
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  const calls: FakeClient['calls'] = [];
  const paths = new Map<File, string>();
  const client: FakeClient = {
    kind: opts.kind ?? 'electron',
    calls,
    handlers,
    paths,
    async call<C extends CallName>(name: C, req: CallReq<C>): Promise<Result<CallRes<C>>> {
      calls.push({ name, req });
      const h = handlers[name] as FakeHandler<C> | undefined;
      if (!h) return err('INTERNAL', `fake client: no handler for ${name}`, 'Add a handler in the test.');
      const out = await h(req);
      return isResult(out) ? (out as Result<CallRes<C>>) : { ok: true, value: out as CallRes<C> };
    },
    on<E extends EventName>(name: E, listener: (p: Events[E]) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => void set!.delete(listener as (p: never) => void);
    },
    pathForFile(file: File) {
      // Electron resolves real paths; the bridge cannot (undefined), as in the real clients.
      return client.kind === 'electron' ? paths.get(file) ?? `/images/${file.name}` : undefined;
    },
    callsOf<C extends CallName>(name: C) {
      return calls.filter((c) => c.name === name).map((c) => c.req as CallReq<C>);
    },
    emit(name, payload) {
      for (const l of [...(listeners.get(name) ?? [])]) (l as (p: typeof payload) => void)(payload);
    },
    listenerCount(name) {
      return listeners.get(name)?.size ?? 0;
    },
  };
  return client;
}
