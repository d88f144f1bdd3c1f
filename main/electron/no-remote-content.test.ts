// The app shows no remote content: its page (renderer/index.html, and the built copy under dist/renderer when
// there is one) names only files of its own, and the Content-Security-Policy it carries, like the header the
// Electron session adds, lets nothing be loaded, run or contacted beyond the app's own files (and, for the
// page `guestprep serve` serves, its loopback WebSocket).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cspHeader } from './security';
import { cspHeaderValue, cspMetaContents, withCspMeta } from '../contract/csp';

const repo = path.resolve(__dirname, '..', '..', '..');
const sourcePage = path.join(repo, 'renderer', 'index.html');
const builtDir = path.join(repo, 'dist', 'renderer');

// ---------------------------------------------------------------- helpers

/** Directive name -> its sources. */
function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

// Sources that stay on this machine: the app's own files, inline data and blobs it made, nothing at all, and the
// bridge's WebSocket on the loopback address (the bridge page talks to `guestprep serve` through it).
const LOCAL_SOURCES = new Set(["'self'", "'none'", 'data:', 'blob:']);
const LOOPBACK_WS = /^ws:\/\/(?:127\.0\.0\.1|localhost):(?:\*|\d+)$/;

/** Every source of the policy that is not local (a host, a scheme such as https:, a wildcard, 'unsafe-*'). */
function nonLocalSources(policy: string): string[] {
  const out: string[] = [];
  for (const [name, sources] of parseCsp(policy)) {
    for (const s of sources) if (!LOCAL_SOURCES.has(s.toLowerCase()) && !LOOPBACK_WS.test(s)) out.push(`${name} ${s}`);
  }
  return out;
}

/** The checks every policy of the app must pass; fetch directives left out fall back to default-src. */
function assertStrictPolicy(policy: string, where: string): void {
  const csp = parseCsp(policy);
  assert.deepEqual(csp.get('default-src'), ["'self'"], `${where}: default-src`);
  assert.deepEqual(csp.get('script-src') ?? ["'self'"], ["'self'"], `${where}: script-src`);
  assert.deepEqual(csp.get('object-src'), ["'none'"], `${where}: object-src`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${where}: base-uri`);
  assert.deepEqual(nonLocalSources(policy), [], `${where}: sources beyond this machine`);
}

const CSP_META = /<meta\b[^>]*\bhttp-equiv\s*=\s*["']Content-Security-Policy["'][^>]*>/gi;

function metaPolicy(html: string): { policy: string; at: number } {
  const metas = [...html.matchAll(CSP_META)];
  assert.equal(metas.length, 1, 'one CSP <meta>');
  const content = /\bcontent\s*=\s*"([^"]*)"/i.exec(metas[0][0]);
  assert.ok(content, 'the CSP <meta> has a content attribute');
  return { policy: content[1], at: metas[0].index ?? 0 };
}

/** src= and href= values that are not relative to the page (a scheme, or a //host). */
function absoluteReferences(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]).filter((v) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(v));
}

function assertLocalPage(html: string, where: string): void {
  const { policy, at } = metaPolicy(html);
  assertStrictPolicy(policy, where);
  // A <meta> policy governs only what comes after it.
  const firstLoad = html.search(/<(?:script|link)\b/i);
  if (firstLoad !== -1) assert.ok(at < firstLoad, `${where}: the CSP <meta> precedes every <script> and <link>`);
  assert.deepEqual(absoluteReferences(html), [], `${where}: src/href that leave the app`);
  assert.doesNotMatch(html, /https?:\/\//i, `${where}: names an http(s) address`);
}

// ---------------------------------------------------------------- the helpers can fail

test('the checks see remote sources, wildcards, unsafe keywords and absolute references', () => {
  assert.deepEqual(nonLocalSources("default-src 'self' https://cdn.example; script-src * 'unsafe-eval'; connect-src wss://x.example ws://127.0.0.1:*"), [
    'default-src https://cdn.example',
    'script-src *',
    "script-src 'unsafe-eval'",
    'connect-src wss://x.example',
  ]);
  assert.deepEqual(nonLocalSources("img-src 'self' data: blob:; connect-src 'self' ws://localhost:4000"), []);
  assert.throws(() => assertStrictPolicy("default-src 'self'; object-src 'none'", 'p'), /base-uri/);
  assert.deepEqual(absoluteReferences('<script src="./a.js"></script><link href="https://x/a.css"><img src="//cdn/x.png"><a href="#top">'), ['https://x/a.css', '//cdn/x.png']);
  const meta = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; object-src 'none'; base-uri 'none'">`;
  assertLocalPage(`${meta}<script src="./a.js"></script>`, 'p');
  assert.throws(() => assertLocalPage(`<script src="./a.js"></script>${meta}`, 'p'), /precedes/);
});

// ---------------------------------------------------------------- the app's policies and page

test("the Electron session's CSP header allows nothing beyond the app's own files", () => {
  assertStrictPolicy(cspHeader(), 'security.cspHeader');
  assert.deepEqual(parseCsp(cspHeader()).get('frame-ancestors'), ["'none'"]);
});

test('renderer/index.html loads nothing from elsewhere and leaves its CSP to the build (one source)', () => {
  const html = fs.readFileSync(sourcePage, 'utf8');
  // A policy written here by hand would be a second source, and drift (it did: wider than the header).
  assert.deepEqual(cspMetaContents(html), [], 'no CSP <meta> of its own');
  // What the build makes of it: the desktop window's policy, before anything the page loads.
  assertLocalPage(withCspMeta(html, 'electron'), 'renderer/index.html as built');
});

test("the built page's CSP <meta> is exactly the Electron session's header, minus frame-ancestors", (t) => {
  const page = path.join(builtDir, 'index.html');
  if (!fs.existsSync(page)) return t.skip('the renderer is not built (vite build --config renderer/vite.config.ts)');
  const header = cspHeader();
  assert.deepEqual(cspMetaContents(fs.readFileSync(page, 'utf8')), [header.replace(/; frame-ancestors 'none'$/, '')]);
  assert.equal(header, cspHeaderValue('electron'));
  // The window talks to the backend over IPC only: no network source at all.
  assert.deepEqual(parseCsp(header).get('connect-src'), ["'none'"]);
});

test('the built page (dist/renderer) loads nothing from elsewhere: html, module imports, stylesheets', (t) => {
  const page = path.join(builtDir, 'index.html');
  if (!fs.existsSync(page)) return t.skip('the renderer is not built (vite build --config renderer/vite.config.ts)');
  const html = fs.readFileSync(page, 'utf8');
  assertLocalPage(html, 'dist/renderer/index.html');
  assert.match(html, /<script\b[^>]*\bsrc="\.\/assets\/[^"]+\.js"/, 'the bundle is referenced relatively (vite base ./)');

  const assets = path.join(builtDir, 'assets');
  const files = fs.readdirSync(assets);
  assert.ok(files.some((f) => f.endsWith('.js')), 'the bundle was found');
  for (const f of files) {
    const text = fs.readFileSync(path.join(assets, f), 'utf8');
    if (f.endsWith('.js')) {
      // A static or dynamic import of an absolute URL would fetch code from elsewhere.
      assert.doesNotMatch(text, /(?:\bimport\s*\(|\bfrom)\s*["'`](?:[a-z][a-z0-9+.-]*:)?\/\//i, `${f}: imports a module by URL`);
    } else if (f.endsWith('.css')) {
      assert.doesNotMatch(text, /@import\b/i, `${f}: @import`);
      assert.doesNotMatch(text, /url\(\s*["']?(?!data:)(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `${f}: url() outside the app`);
    }
  }
});
