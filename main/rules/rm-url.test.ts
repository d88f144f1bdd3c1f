// The rule as the page meets it (results, not exceptions); the engine's wrapper has its own test
// (engine/settings/rm-url.test.ts) with every refusal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRmUrl, rmProtocolOf } from './rm-url';

test('the four protocols are taken, with default ports', () => {
  for (const u of ['pnp://rm.lab', 'pnp://rm.lab:64738/', 'pnps://10.0.0.5:64739', 'pamr://0', 'rmi://[2001:db8::1]:1099', 'PNP://RM.LAB']) {
    assert.equal(checkRmUrl(u).ok, true, u);
  }
  const v = checkRmUrl('pnp://RM.lab');
  assert.ok(v.ok);
  assert.equal(v.value.url, 'pnp://rm.lab:64738');
});

test('a refusal is a problem with a message and a fix that names no CLI flag', () => {
  const v = checkRmUrl('https://try.activeeon.com:8443');
  assert.ok(!v.ok);
  assert.match(v.problem.message, /web portal/);
  assert.match(v.problem.fix, /pnp:\/\/HOST:64738/);
  for (const u of ['', 'rm.lab:64738', 'ftp://rm', 'pamr://router.lab', 'pnp://999.1.1.1', 'pnp://rm.lab:70000', 'pnp://rm lab', 'pnp://rm.lab/rest', 'pnp://a\nb']) {
    const r = checkRmUrl(u);
    assert.ok(!r.ok, u);
    assert.doesNotMatch(r.problem.fix, /--rm-url/, u);
  }
});

test('the protocol being typed is known before the URL is complete', () => {
  assert.equal(rmProtocolOf('pamr://'), 'pamr');
  assert.equal(rmProtocolOf(' PNPS://x'), 'pnps');
  assert.equal(rmProtocolOf('http://x'), undefined);
  assert.equal(rmProtocolOf('pnp'), undefined);
});
