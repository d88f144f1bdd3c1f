// Who may talk to the bridge. The bridge serves the app on 127.0.0.1, where every local program and every web
// page the user opens can reach it, so each request must prove it comes from the page we served:
//   - a token (32 random bytes, new per start) that only the printed URL carries; the first load moves it into
//     an HttpOnly, SameSite=Strict cookie so later requests and the WebSocket carry it without script access;
//   - for the WebSocket, an Origin equal to our own origin: a page from another site can open a WebSocket to
//     127.0.0.1 (WebSockets are not covered by the same-origin policy) and the browser would attach our cookie;
//   - a Host header naming 127.0.0.1:PORT, against DNS rebinding (evil.example resolving to 127.0.0.1);
//   - on plain HTTP requests, no Origin other than ours: browsers send one when a page makes the request (fetch,
//     a module script, a form post), and a page of another port of 127.0.0.1 counts as the same site, so the
//     SameSite cookie alone would ride along with its requests.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { cspHeaderValue } from '../contract/csp';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first makes the lengths equal, so the length does not leak either). */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The cookie is named after the port: cookies are per host, not per port, so two bridges must not clash. */
export function cookieName(port: number): string {
  return `guestprep_${port}`;
}

export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export function origin(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * For plain HTTP: no Origin (a navigation, the printed URL opened from a terminal, curl) or our own. The
 * WebSocket is stricter and requires our own Origin (see the upgrade handler).
 */
export function httpOriginAllowed(header: string | undefined, port: number): boolean {
  return header === undefined || header === origin(port);
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}`;
}

/** The token a request carries: `?token=` first (the printed URL, or a non-browser client), else the cookie. */
export function requestToken(url: URL, cookieHeader: string | undefined, port: number): string | undefined {
  return url.searchParams.get('token') ?? parseCookies(cookieHeader).get(cookieName(port));
}

/**
 * The served page's Content-Security-Policy (contract/csp.ts, mode 'served'): only our own scripts and
 * styles, and no connection but our own WebSocket. No 'unsafe-inline', no 'unsafe-eval'.
 */
export function cspHeader(port: number): string {
  return cspHeaderValue('served', port);
}
