// The page's two policies from one source: what each mode allows, and how the <meta> is written into a page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cspHeaderValue, cspMetaContent, cspMetaContents, cspPolicy, withCspMeta } from './csp';

test('the Electron window may connect nowhere; the served page only to its own WebSocket', () => {
  const get = (d: ReturnType<typeof cspPolicy>, name: string) => d.find(([n]) => n === name)?.[1];
  assert.equal(get(cspPolicy('electron'), 'connect-src'), "'none'");
  assert.equal(get(cspPolicy('served', 4000), 'connect-src'), 'ws://127.0.0.1:4000');
  for (const mode of ['electron', 'served'] as const) {
    const p = cspHeaderValue(mode, 4000);
    assert.doesNotMatch(p, /unsafe-|data:|blob:|\*|localhost/, mode);
    assert.match(p, /frame-ancestors 'none'$/);
    assert.equal(cspMetaContent(mode, 4000), p.replace(/; frame-ancestors 'none'$/, ''));
  }
  assert.throws(() => cspPolicy('served'), /port/);
  assert.throws(() => cspPolicy('served', 70000), /port/);
});

test('withCspMeta replaces every CSP <meta> by exactly one, or puts it right after <meta charset>', () => {
  const page = '<!doctype html>\n<html><head><meta charset="utf-8"><title>t</title><script src="./a.js"></script></head></html>';
  const built = withCspMeta(page, 'electron');
  assert.deepEqual(cspMetaContents(built), [cspMetaContent('electron')]);
  assert.ok(built.indexOf('Content-Security-Policy') > built.indexOf('charset') && built.indexOf('Content-Security-Policy') < built.indexOf('<title>'));
  const wide = `<head><meta http-equiv="Content-Security-Policy" content="connect-src *"><meta http-equiv='Content-Security-Policy' content='img-src *'></head>`;
  assert.deepEqual(cspMetaContents(withCspMeta(wide, 'served', 4000)), [cspMetaContent('served', 4000)]);
  assert.deepEqual(cspMetaContents(withCspMeta(withCspMeta(page, 'electron'), 'served', 4000)), [cspMetaContent('served', 4000)]);
  assert.match(withCspMeta('<!doctype html><title>x</title>', 'electron'), /^<!doctype html>\n {4}<meta http-equiv="Content-Security-Policy"/);
});
