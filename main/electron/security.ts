// Every security restriction of the desktop app in one place (the shape of podman-desktop's
// security-restrictions): the page is our own bundled renderer and nothing else, so anything that would let
// it become something else — navigating away, opening windows, embedding webviews, asking for permissions,
// loading scripts from elsewhere — is refused. The pure helpers are exported so they can be tested without
// Electron running; `applySecurityRestrictions` wires them to the real objects.

import { pathToFileURL } from 'node:url';
import type { App, Session, WebContents, WebPreferences } from 'electron';
import { cspHeaderValue, cspMetaTag as electronMetaTag, cspPolicy, type CspDirectives } from '../contract/csp';

/**
 * The Content-Security-Policy of the app's window (contract/csp.ts, mode 'electron'): scripts and styles
 * only from the app's own files (no inline code, no eval), no network at all (the page talks to the backend
 * over IPC), no plugins, no <base> tricks, and the page cannot be framed. The built index.html carries the
 * same policy as a <meta> (written by the renderer build from the same source), because file:// responses
 * have no headers to rewrite.
 */
export const CSP_DIRECTIVES: CspDirectives = cspPolicy('electron');

export function cspHeader(): string {
  return cspHeaderValue('electron');
}

/** The <meta> the built index.html carries (without frame-ancestors, which only works as a header). */
export function cspMetaTag(): string {
  return electronMetaTag('electron');
}

/** The file:// URL of the app's page, the only URL the window may show and the only trusted IPC sender. */
export function appUrlFor(indexHtmlPath: string): string {
  return pathToFileURL(indexHtmlPath).href;
}

/**
 * True only for the app's own index page. The fragment is ignored (a client-side router may use it); the
 * query is not, and neither is any other scheme, host or path: a file:// URL of another local file is as
 * foreign as a web page.
 */
export function isAllowedNavigation(url: string, appUrl: string): boolean {
  let target: URL;
  let app: URL;
  try {
    target = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  return (
    target.protocol === app.protocol &&
    target.host === app.host &&
    target.pathname === app.pathname &&
    target.search === app.search &&
    target.username === '' &&
    target.password === ''
  );
}

/** webPreferences of every window: isolated, sandboxed, no Node in the page, web security on. */
export function webPreferencesFor(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    // Spell-check dictionaries are downloaded from Google on first use: no network for a local tool.
    spellcheck: false,
  };
}

/** Response headers with our CSP replacing whatever the response said (any letter case). */
export function withCspHeader(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [cspHeader()];
  return out;
}

// ---------------------------------------------------------------- wiring to Electron

/** Sessions already hardened: many webContents share the default session, one set of handlers is enough. */
const hardenedSessions = new WeakSet<Session>();

export function hardenSession(session: Session): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCspHeader(details.responseHeaders) });
  });
  // The app needs no camera, notifications-from-page, geolocation, clipboard read... Desktop notifications
  // are shown by the main process, which needs no permission.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function hardenWebContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  hardenSession(contents.session);
}

/**
 * Applies the restrictions to every webContents the app will ever create (windows, devtools, anything a
 * future feature adds), so no code path can forget them. Call before the first window is created.
 */
export function applySecurityRestrictions(app: App, appUrl: string): void {
  // Forces the sandbox on every renderer even if some webPreferences were to forget it. Must run before ready.
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, appUrl));
}
