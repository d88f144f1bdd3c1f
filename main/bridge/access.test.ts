import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieName, cspHeader, hostAllowed, httpOriginAllowed, newToken, parseCookies, requestToken, tokenCookie, tokenMatches } from './access';

test('tokens are 32 random bytes in base64url, new each time', () => {
  const a = newToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newToken());
});

test('tokenMatches accepts only the exact token', () => {
  const t = newToken();
  assert.equal(tokenMatches(t, t), true);
  assert.equal(tokenMatches(t.slice(0, -1), t), false);
  assert.equal(tokenMatches(`${t}x`, t), false);
  assert.equal(tokenMatches('', t), false);
  assert.equal(tokenMatches(undefined, t), false);
  assert.equal(tokenMatches(null, t), false);
});

test('the cookie is per port, HttpOnly and SameSite=Strict, and is read back', () => {
  assert.equal(cookieName(4000), 'guestprep_4000');
  assert.equal(tokenCookie(4000, 'abc'), 'guestprep_4000=abc; HttpOnly; SameSite=Strict; Path=/');
  assert.equal(parseCookies('a=1; guestprep_4000=abc; b=2').get('guestprep_4000'), 'abc');
  assert.equal(requestToken(new URL('http://127.0.0.1:4000/?token=q'), 'guestprep_4000=c', 4000), 'q');
  assert.equal(requestToken(new URL('http://127.0.0.1:4000/'), 'guestprep_4000=c', 4000), 'c');
  assert.equal(requestToken(new URL('http://127.0.0.1:4000/'), 'guestprep_4001=c', 4000), undefined);
});

test('only 127.0.0.1:PORT is an accepted Host', () => {
  assert.equal(hostAllowed('127.0.0.1:4000', 4000), true);
  assert.equal(hostAllowed('localhost:4000', 4000), false);
  assert.equal(hostAllowed('127.0.0.1:4001', 4000), false);
  assert.equal(hostAllowed(undefined, 4000), false);
});

test('plain HTTP accepts no Origin (a navigation) or our own, nothing else', () => {
  assert.equal(httpOriginAllowed(undefined, 4000), true);
  assert.equal(httpOriginAllowed('http://127.0.0.1:4000', 4000), true);
  assert.equal(httpOriginAllowed('http://127.0.0.1:8080', 4000), false, 'another port of the same host is the same site, not the same origin');
  assert.equal(httpOriginAllowed('http://localhost:4000', 4000), false);
  assert.equal(httpOriginAllowed('https://evil.example', 4000), false);
  assert.equal(httpOriginAllowed('null', 4000), false, 'sandboxed frames and file:// pages send "null"');
  assert.equal(httpOriginAllowed('', 4000), false);
});

test('the CSP allows only our own scripts and WebSocket', () => {
  const c = cspHeader(4000);
  assert.match(c, /default-src 'self'/);
  assert.match(c, /script-src 'self';/);
  // Its own WebSocket and nothing else, not even other addresses of its own origin.
  assert.match(c, /connect-src ws:\/\/127\.0\.0\.1:4000;/);
  assert.match(c, /frame-ancestors 'none'/);
  assert.doesNotMatch(c, /unsafe/);
});
