import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { App, WebContents } from 'electron';
import {
  appUrlFor,
  applySecurityRestrictions,
  cspHeader,
  cspMetaTag,
  hardenWebContents,
  isAllowedNavigation,
  webPreferencesFor,
  withCspHeader,
} from './security';

const APP = appUrlFor('/opt/Guestprep/resources/app.asar/dist/renderer/index.html');

test('cspHeader is the strict policy, one directive each', () => {
  assert.equal(
    cspHeader(),
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'none'; " +
      "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  assert.doesNotMatch(cspHeader(), /unsafe-(inline|eval)/);
});

test('cspMetaTag carries the same policy minus frame-ancestors (ignored in a meta)', () => {
  const meta = cspMetaTag();
  assert.match(meta, /^<meta http-equiv="Content-Security-Policy" content="[^"]+">$/);
  assert.ok(meta.includes("default-src 'self'; script-src 'self'"));
  assert.ok(meta.includes("base-uri 'none'"));
  assert.ok(!meta.includes('frame-ancestors'));
});

test('appUrlFor encodes spaces and parentheses like Chromium does', () => {
  assert.equal(appUrlFor('/home/a b/(x)/index.html'), 'file:///home/a%20b/(x)/index.html');
});

test('isAllowedNavigation: only the app page itself', () => {
  assert.equal(isAllowedNavigation(APP, APP), true);
  assert.equal(isAllowedNavigation(`${APP}#/history`, APP), true, 'fragment changes are in-page');
  assert.equal(isAllowedNavigation('https://example.org/', APP), false);
  assert.equal(isAllowedNavigation('http://127.0.0.1:8080/index.html', APP), false);
  assert.equal(isAllowedNavigation('file:///etc/passwd', APP), false);
  assert.equal(isAllowedNavigation(APP.replace('index.html', 'other.html'), APP), false);
  assert.equal(isAllowedNavigation(`${APP}?x=1`, APP), false);
  assert.equal(isAllowedNavigation('file://evil.host/opt/Guestprep/resources/app.asar/dist/renderer/index.html', APP), false);
  assert.equal(isAllowedNavigation('javascript:alert(1)', APP), false);
  // Pages made on the spot are as foreign as remote ones.
  assert.equal(isAllowedNavigation('data:text/html,<script>alert(1)</script>', APP), false);
  assert.equal(isAllowedNavigation('blob:file:///0f0e-4c1a', APP), false);
  assert.equal(isAllowedNavigation('about:blank', APP), false);
  assert.equal(isAllowedNavigation(`view-source:${APP}`, APP), false);
  assert.equal(isAllowedNavigation('not a url', APP), false);
  assert.equal(isAllowedNavigation('', APP), false);
});

test('webPreferencesFor: isolated, sandboxed, no node, web security, our preload', () => {
  const p = webPreferencesFor('/x/preload.js');
  assert.equal(p.preload, '/x/preload.js');
  assert.equal(p.contextIsolation, true);
  assert.equal(p.sandbox, true);
  assert.equal(p.nodeIntegration, false);
  assert.equal(p.nodeIntegrationInSubFrames, false);
  assert.equal(p.nodeIntegrationInWorker, false);
  assert.equal(p.webSecurity, true);
  assert.equal(p.allowRunningInsecureContent, false);
  assert.equal(p.webviewTag, false);
});

test('withCspHeader replaces any CSP header whatever its case and keeps the others', () => {
  const h = withCspHeader({ 'content-security-policy': ["script-src 'unsafe-eval'"], 'Content-Type': ['text/html'] });
  assert.deepEqual(h, { 'Content-Type': ['text/html'], 'Content-Security-Policy': [cspHeader()] });
  assert.deepEqual(withCspHeader(undefined), { 'Content-Security-Policy': [cspHeader()] });
});

// ---------------------------------------------------------------- wiring, with fakes

function fakeSession() {
  const s = {
    headersListener: undefined as undefined | ((d: unknown, cb: (r: unknown) => void) => void),
    requestHandler: undefined as undefined | ((...a: unknown[]) => void),
    checkHandler: undefined as undefined | ((...a: unknown[]) => boolean),
    headerRegistrations: 0,
    webRequest: {
      onHeadersReceived(listener: (d: unknown, cb: (r: unknown) => void) => void) {
        s.headerRegistrations++;
        s.headersListener = listener;
      },
    },
    setPermissionRequestHandler(h: (...a: unknown[]) => void) {
      s.requestHandler = h;
    },
    setPermissionCheckHandler(h: (...a: unknown[]) => boolean) {
      s.checkHandler = h;
    },
  };
  return s;
}

function fakeContents(session: ReturnType<typeof fakeSession>) {
  const c = Object.assign(new EventEmitter(), {
    session,
    openHandler: undefined as undefined | ((d: unknown) => { action: string }),
    setWindowOpenHandler(h: (d: unknown) => { action: string }) {
      c.openHandler = h;
    },
  });
  return c;
}

function fire(c: EventEmitter, name: string, ...args: unknown[]): boolean {
  let prevented = false;
  c.emit(name, { preventDefault: () => (prevented = true) }, ...args);
  return prevented;
}

test('hardenWebContents refuses foreign navigation, windows, webviews and permissions', () => {
  const session = fakeSession();
  const contents = fakeContents(session);
  hardenWebContents(contents as unknown as WebContents, APP);

  assert.equal(fire(contents, 'will-navigate', 'https://example.org/'), true);
  assert.equal(fire(contents, 'will-navigate', APP), false);
  assert.equal(fire(contents, 'will-redirect', 'file:///etc/passwd'), true);
  assert.equal(fire(contents, 'will-attach-webview', {}, {}), true);
  assert.deepEqual(contents.openHandler?.({ url: APP }), { action: 'deny' });

  let granted: boolean | undefined;
  session.requestHandler?.({}, 'notifications', (g: boolean) => (granted = g), {});
  assert.equal(granted, false);
  assert.equal(session.checkHandler?.({}, 'clipboard-read', 'file://', {}), false);

  let response: { responseHeaders?: Record<string, string[]> } | undefined;
  session.headersListener?.({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (response = r as typeof response));
  assert.deepEqual(response?.responseHeaders?.['Content-Security-Policy'], [cspHeader()]);
});

test('a session shared by several webContents gets its handlers once', () => {
  const session = fakeSession();
  hardenWebContents(fakeContents(session) as unknown as WebContents, APP);
  hardenWebContents(fakeContents(session) as unknown as WebContents, APP);
  assert.equal(session.headerRegistrations, 1);
});

test('applySecurityRestrictions enables the sandbox and hardens every webContents created', () => {
  let sandbox = false;
  const app = Object.assign(new EventEmitter(), { enableSandbox: () => (sandbox = true) });
  applySecurityRestrictions(app as unknown as App, APP);
  assert.equal(sandbox, true);
  const contents = fakeContents(fakeSession());
  app.emit('web-contents-created', {}, contents);
  assert.equal(fire(contents, 'will-navigate', 'https://example.org/'), true);
  assert.deepEqual(contents.openHandler?.({ url: 'https://example.org/' }), { action: 'deny' });
});

