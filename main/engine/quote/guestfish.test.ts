import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gfQuote, renderCommand, GF_MAX_LINE } from './guestfish';
import { gfUnquote, NASTY_STRINGS } from './roundtrip';
import { GuestprepError } from '../errors';
import type { UploadRef } from '../types';

function assertCode(fn: () => unknown, code: string, re?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GuestprepError, `expected a GuestprepError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    assert.ok(e.fix.length > 0);
    return true;
  });
}

test('gfQuote: exact forms', () => {
  assert.equal(gfQuote(''), '""');
  assert.equal(gfQuote('plain'), '"plain"');
  assert.equal(gfQuote('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(gfQuote('l1\nl2\tx'), '"l1\\nl2\\tx"');
  assert.equal(gfQuote('é'), '"\\xc3\\xa9"');
  assert.equal(gfQuote('\r\x7f'), '"\\x0d\\x7f"');
  // ~ and | are literal inside quotes; $ and ` mean nothing to guestfish.
  assert.equal(gfQuote('~root|cat $x `y`'), '"~root|cat $x `y`"');
});

test('gfQuote: output is printable ASCII, always one double-quoted word', () => {
  for (const s of NASTY_STRINGS) {
    const q = gfQuote(s);
    assert.match(q, /^"[\x20-\x7e]*"$/, JSON.stringify(s));
    assert.ok(!q.includes('\n'));
  }
});

test('gfQuote round-trips nasty strings through the guestfish parser', () => {
  for (const s of NASTY_STRINGS) {
    assert.deepEqual(gfUnquote(`echo ${gfQuote(s)}`), ['echo', s], JSON.stringify(s));
  }
});

test('gfQuote round-trips any well-formed string (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      fc.pre(!s.includes('\0'));
      assert.deepEqual(gfUnquote(`write ${gfQuote(s)} ${gfQuote(s + 'x')}`), ['write', s, s + 'x']);
    }),
  );
});

test('gfQuote refuses NUL and lone surrogates with SETTING_INVALID', () => {
  assertCode(() => gfQuote('a\0b', 'the node name'), 'SETTING_INVALID', /the node name contains a NUL/);
  assertCode(() => gfQuote('x\ud800y'), 'SETTING_INVALID', /lone surrogate/);
});

test('renderCommand quotes every argument and substitutes upload paths', () => {
  const ref: UploadRef = { id: 'jre', kind: 'tar', source: '/home/u/jre.tar.gz', bytes: 10 };
  const seen: UploadRef[] = [];
  const line = renderCommand({ argv: ['tar-in', { upload: ref }, '/opt/proactive/jre'] }, (r) => {
    seen.push(r);
    return `/tmp/up load/${r.id}.tar`;
  });
  assert.equal(line, 'tar-in "/tmp/up load/jre.tar" "/opt/proactive/jre"');
  assert.deepEqual(seen, [ref]);
  assert.deepEqual(gfUnquote(line), ['tar-in', '/tmp/up load/jre.tar', '/opt/proactive/jre']);
  assert.equal(renderCommand({ argv: ['mkdir-p', '~x'] }, () => ''), 'mkdir-p "~x"');
});

test('renderCommand refuses a command name that is not a guestfish word', () => {
  assertCode(() => renderCommand({ argv: ['!rm'] }, () => ''), 'INTERNAL');
  assertCode(() => renderCommand({ argv: ['write x'] }, () => ''), 'INTERNAL');
});

test('gfUnquote is strict about what it accepts', () => {
  assert.throws(() => gfUnquote('echo "abc'));
  assert.throws(() => gfUnquote('echo "\\q"'));
  assert.throws(() => gfUnquote('echo "\\x00"'));
  assert.throws(() => gfUnquote('echo "a"b'));
  assert.throws(() => gfUnquote('echo ~root'));
  assert.deepEqual(gfUnquote(`echo 'a \\n' "\\101\\?"`), ['echo', 'a \\n', 'A?']);
});

test('renderCommand refuses lines guestfish would split', () => {
  const fits = 'x'.repeat(GF_MAX_LINE - 'write "/f" ""'.length);
  assert.equal(renderCommand({ argv: ['write', '/f', fits] }, () => '').length, GF_MAX_LINE);
  assertCode(() => renderCommand({ argv: ['write', '/f', fits + 'x'] }, () => ''), 'INTERNAL', /pieces|line/);
});

test('a local (host) command renders as a guestfish ! line with single-quoted words', () => {
  const ref = { id: 'system-hive', kind: 'scratch' as const, source: '', bytes: 0 };
  const line = renderCommand(
    { local: true, argv: ['hivexregedit', '--merge', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', { upload: ref }, "it's.reg"] },
    () => '/tmp/a b/SYSTEM',
  );
  assert.equal(line, "! 'hivexregedit' '--merge' '--prefix' 'HKEY_LOCAL_MACHINE\\SYSTEM' '/tmp/a b/SYSTEM' 'it'\\''s.reg'");
  assert.throws(() => renderCommand({ local: true, argv: ['x', 'a\nb'] }, () => ''), /line break/);
});
