import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRmUrl } from './rm-url';
import { GuestprepError } from '../errors';

function rejects(input: string, message: RegExp, fix?: RegExp) {
  assert.throws(() => parseRmUrl(input), (e: unknown) => {
    assert.ok(e instanceof GuestprepError, String(e));
    assert.equal(e.code, 'SETTING_INVALID');
    assert.match(e.message, message, input);
    if (fix) assert.match(e.fix, fix);
    return true;
  }, input);
}

test('pnp, pnps, rmi: default ports filled in, host lower-cased, trailing slash dropped', () => {
  assert.deepEqual(parseRmUrl('pnp://RM.Example.org'), { protocol: 'pnp', host: 'rm.example.org', port: 64738, url: 'pnp://rm.example.org:64738' });
  assert.deepEqual(parseRmUrl('pnps://rm:1234'), { protocol: 'pnps', host: 'rm', port: 1234, url: 'pnps://rm:1234' });
  assert.equal(parseRmUrl('pnps://rm').port, 64739);
  assert.deepEqual(parseRmUrl('rmi://10.0.0.5:1099/'), { protocol: 'rmi', host: '10.0.0.5', port: 1099, url: 'rmi://10.0.0.5:1099' });
  assert.equal(parseRmUrl('rmi://rm').port, 1099);
  assert.equal(parseRmUrl('  PNP://rm.example.org.:64738  ').url, 'pnp://rm.example.org:64738');
});

test('IPv6 hosts in brackets', () => {
  assert.deepEqual(parseRmUrl('pnp://[2001:DB8::1]:7000'), { protocol: 'pnp', host: '[2001:db8::1]', port: 7000, url: 'pnp://[2001:db8::1]:7000' });
  assert.equal(parseRmUrl('pnp://[::1]').url, 'pnp://[::1]:64738');
  rejects('pnp://2001:db8::1', /brackets/);
  rejects('pnp://::1', /brackets/);
  rejects('pnp://[2001:db8::zz]:1', /IPv6/);
  rejects('pnp://[::1', /IPv6/);
});

test('pamr: agent id kept as given, router default port, note about the router', () => {
  const u = parseRmUrl('pamr://0');
  assert.equal(u.protocol, 'pamr');
  assert.equal(u.host, '0');
  assert.equal(u.port, 33647);
  assert.equal(u.url, 'pamr://0');
  assert.match(u.note ?? '', /-Dproactive\.pamr\.router\.address=/);
  assert.equal(parseRmUrl('pamr://0/').url, 'pamr://0/');
  rejects('pamr://router.example.org', /agent id/, /pamr:\/\/0/);
  rejects('pamr://0?x=1', /query/);
});

test('the web portal URL gets its own message and fix', () => {
  for (const url of ['http://rm.example.org:8080', 'https://try.activeeon.com', 'HTTP://x/rest']) {
    rejects(url, /: that is the web portal, not the Resource Manager URL$/, /^Check --rm-url: use pnp:\/\/HOST:64738 \(or pamr:\/\/0 with the router host for VMs behind NAT\)\.$/);
  }
});

test('everything else that is not an RM URL is refused with a fix', () => {
  rejects('', /empty/);
  rejects('rm.example.org:64738', /not a URL/, /pnp:\/\/HOST:64738/);
  rejects('ftp://rm', /unknown protocol "ftp"/, /pnp, pnps, pamr and rmi/);
  rejects('pnp://', /no host/);
  rejects('pnp://:64738', /no host/);
  rejects('pnp://rm:0', /port/);
  rejects('pnp://rm:65536', /port/);
  rejects('pnp://rm:12x', /port/);
  rejects('pnp://rm:', /port/);
  rejects('pnp://rm example', /contains a space/, /remove the spaces/);
  // A line break is named as one, not as "spaces" (it came from a pasted multi-line value).
  rejects('pnp://rm.lab\n:64738', /contains a line break \(U\+000A\)/, /on one line/);
  rejects('pnp://rm\u0007x', /control character \(U\+0007\)/);
  rejects('pnp://user:pw@rm', /user name or password/);
  rejects('pnp://rm:64738/path', /path, query or fragment/);
  rejects('pnp://rm?x', /path, query or fragment/);
  rejects('pnp://rm#frag', /path, query or fragment/);
  rejects('pnp://rm_host', /host name/);
  rejects('pnp://-rm', /host name/);
  rejects('pnp://999.1.1.1', /IPv4/);
  rejects('pnp://1.2.3', /IPv4/);
  rejects('pnp://rmé.org', /not a plain ASCII character/);
  rejects('pnp://rm;reboot', /host name/);
});

test('a line break, a tab or another control character is named as such, not as a space', () => {
  rejects('pnp://rm\nExecStartPre=/bin/sh', /"pnp:\/\/rm\\nExecStartPre=\/bin\/sh" contains a line break \(U\+000A\)/, /on one line/);
  rejects('pnp://rm\r\nx', /contains a line break \(U\+000D\)/);
  rejects('pnp://rm\texample', /contains a control character \(U\+0009, a tab\)/, /without control characters/);
  rejects('pnp://rm\u0000x', /contains a control character \(U\+0000\)/);
  rejects('pnp://rm\u007fx', /contains a control character \(U\+007F\)/);
  rejects('pnp://rm\u00a0x', /contains "\u00a0" \(U\+00A0\), which is not a plain ASCII character/);
  rejects('pnp://rmé.org', /contains "é" \(U\+00E9\), which is not a plain ASCII character/, /punycode/);
  // Surrounding blanks (a pasted value) are still trimmed.
  assert.equal(parseRmUrl('  pnp://rm.example.org\n').host, 'rm.example.org');
});
