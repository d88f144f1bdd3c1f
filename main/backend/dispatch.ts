// The one door from a page into the backend: the Electron IPC handlers and the browser bridge both answer a
// call through `dispatchCall`. The request is checked against its call's schema first (contract/schemas.ts),
// so a handler only ever sees a bounded, well-formed request; whatever the handler throws comes back as
// error data. An unexpected exception (a bug) reaches the page as a plain INTERNAL error: its stack, which
// shows the backend's code and paths, goes to the log, not to the page.

import type { CallName, CallReq, CallRes, Result } from '../contract/contract';
import { parseCallRequest } from '../contract/schemas';
import { GuestprepError, type ErrorData } from '../engine/api';

/** Where unexpected errors are written (the terminal of `guestprep serve`, the app's stderr). */
export type LogFn = (line: string) => void;

export const defaultLog: LogFn = (line) => console.error(line);

/**
 * Error data fit for a page: a GuestprepError as it is (its message, fix and detail are meant for the user);
 * anything else is a bug, logged with its stack and answered with a generic INTERNAL error.
 */
export function pageError(err: unknown, context: string, log: LogFn = defaultLog): ErrorData {
  if (err instanceof GuestprepError) return err.toData();
  const e = err instanceof Error ? err : new Error(String(err));
  try {
    log(`Guestprep: unexpected error in ${context}: ${e.stack ?? e.message}`);
  } catch {
    /* a broken log must not turn an answer into a second failure */
  }
  return {
    code: 'INTERNAL',
    message: `Guestprep met an unexpected error in ${context}.`,
    fix: 'This is a bug in Guestprep. Please report it with what you were doing; the details are in the log of the Guestprep app or of `guestprep serve`.',
  };
}

/** Checks a call's request, runs its handler, and answers with a Result (never throws). */
export async function dispatchCall<C extends CallName>(
  name: C,
  req: unknown,
  handler: (req: CallReq<C>) => Promise<CallRes<C>> | CallRes<C>,
  log: LogFn = defaultLog,
): Promise<Result<CallRes<C>>> {
  try {
    const checked = parseCallRequest(name, req);
    return { ok: true, value: await handler(checked) };
  } catch (err) {
    return { ok: false, error: pageError(err, name, log) };
  }
}
