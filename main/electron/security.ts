// Every security restriction of the desktop app in one place (the shape of podman-desktop's
// security-restrictions): the page is our own bundled renderer and nothing else, so anything that would let
// it become something else — navigating away, opening windows, embedding webviews, asking for permissions,
// loading scripts from elsewhere — is refused. The pure helpers are exported so they can be tested without
// Electron running; `applySecurityRestrictions` wires them to the real objects.

import { pathToFileURL } from 'node:url';
import type { App, Session, WebContents, WebPreferences } from 'electron';

/**
 * The Content-Security-Policy of the app. Scripts and styles only from the app's own files (no inline code,
 * no eval), no plugins, no <base> tricks, and the page cannot be framed. The renderer's index.html carries
 * the same policy as a <meta> because file:// responses have no headers to rewrite.
 */
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['connect-src', "'self'"],
  ['img-src', "'self' data:"],
  ['style-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
];

export function cspHeader(): string {
  return CSP_DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');
}

/**
 * The <meta> the renderer's index.html must carry. `frame-ancestors` is left out: browsers ignore it (with
 * a console warning) in a <meta>, it only works as a header; the header handler still sends it.
 */
export function cspMetaTag(): string {
  const policy = CSP_DIRECTIVES.filter(([name]) => name !== 'frame-ancestors')
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
  return `<meta http-equiv="Content-Security-Policy" content="${policy}">`;
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
