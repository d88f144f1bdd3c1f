// Quoting proven with generated strings (fast-check): every place a user value is written — guestfish
// commands, shell scripts, systemd units, sysusers.d/tmpfiles.d lines, .reg files, .cmd files, JSON — either
// round-trips exactly through the matching parser, or is refused with SETTING_INVALID. Never a break-out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { GuestprepError } from '../errors';
import { gfQuote } from './guestfish';
import { shQuote } from './sh';
import { systemdExecArg, systemdValue, unitTableField } from './systemd';
import { cmdQuote } from './cmd';
import { parseRegText, findRegKey, regText } from './reg';
import { gfUnquote, shUnquote, systemdExecSplit, systemdValueUnescape, unitTableSplit } from './roundtrip';

/** Strings that stress quoting: shell and format syntax, controls, quotes, non-ASCII, astral planes. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(fc.constantFrom('"', "'", '\\', '$', '`', '$(', ')', ';', '%', '%%', '\n', '\r', '\t', ' ', '~', '|', '&', '!', '^', '<', '>', '#', '=', '-', 'é', '漢', '😀', '\0', '\u2028', 'a', '/'), { maxLength: 30 })
    .map((parts) => parts.join('')),
);

const RUNS = { numRuns: 400 };

/** Runs `write`, and tells apart "refused as a setting" from any other exception (a bug). */
function refusedOrValue<T>(write: () => T): { refused: true } | { refused: false; value: T } {
  try {
    return { refused: false, value: write() };
  } catch (e) {
    assert.ok(e instanceof GuestprepError, `unexpected exception: ${String(e)}`);
    assert.equal(e.code, 'SETTING_INVALID', e.message);
    return { refused: true };
  }
}

test('guestfish arguments: round-trip through guestfish word splitting, or refused', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => gfQuote(s));
      if (r.refused) return;
      assert.deepEqual(gfUnquote(`write ${r.value} ${r.value}`), ['write', s, s]);
      assert.ok(!r.value.includes('\n'), 'one line');
    }),
    RUNS,
  );
});

test('shell words: round-trip through sh word splitting, or refused', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => shQuote(s));
      if (r.refused) return;
      assert.deepEqual(shUnquote(`${r.value} ${r.value}`), [s, s]);
    }),
    RUNS,
  );
});

test('shell words: a real /bin/sh prints exactly the value back (no expansion, no break-out)', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => shQuote(s));
      if (r.refused) return;
      const out = spawnSync('/bin/sh', ['-c', `printf '%s' ${r.value}`], { encoding: 'buffer' });
      assert.equal(out.status, 0);
      assert.equal(out.stdout.toString('utf8'), s);
    }),
    { numRuns: 60 },
  );
});

test('systemd ExecStart arguments: round-trip through systemd word splitting and unescaping, or refused', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => systemdExecArg(s, 'a test value'));
      if (r.refused) return;
      assert.deepEqual(systemdExecSplit(`/bin/true ${r.value}`), ['/bin/true', s]);
    }),
    RUNS,
  );
});

test('systemd plain settings: round-trip through specifier unescaping, stay on one line, or refused', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => systemdValue(s, 'a test value'));
      if (r.refused) return;
      assert.ok(!/[\r\n]/.test(r.value), 'one line');
      assert.equal(systemdValueUnescape(r.value), s);
    }),
    RUNS,
  );
});

test('sysusers.d / tmpfiles.d fields: one field each, round-trip, or refused', () => {
  fc.assert(
    fc.property(nasty, nasty, (a, b) => {
      const ra = refusedOrValue(() => unitTableField(a, 'field a'));
      const rb = refusedOrValue(() => unitTableField(b, 'field b'));
      if (ra.refused || rb.refused) return;
      assert.deepEqual(unitTableSplit(`u ${ra.value} - ${rb.value}`), ['u', a, '-', b]);
    }),
    RUNS,
  );
});

test('.reg values (REG_SZ and REG_EXPAND_SZ): round-trip through the .reg parser, or refused', () => {
  const key = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\proactive-node';
  fc.assert(
    fc.property(nasty, fc.constantFrom('sz' as const, 'expand_sz' as const), (s, type) => {
      const r = refusedOrValue(() => regText([{ key, values: { CommandLine: { type, data: s }, Other: { type: 'dword', data: 2 } } }]));
      if (r.refused) return;
      const parsed = findRegKey(parseRegText(r.value), key);
      assert.ok(parsed, 'the key is still one key');
      assert.deepEqual(Object.keys(parsed.values).sort(), ['CommandLine', 'Other'], 'no value injected');
      assert.equal(parsed.values.CommandLine.data, s);
      assert.equal(parsed.values.Other.data, 2);
    }),
    RUNS,
  );
});

test('.cmd values: accepted only when nothing in them can end the quotes or expand', () => {
  fc.assert(
    fc.property(nasty, (s) => {
      const r = refusedOrValue(() => cmdQuote(s, 'a test value', 'Use plain characters'));
      if (r.refused) return;
      const inner = r.value.slice(1, -1);
      assert.equal(inner, s);
      assert.ok(!/[%!^&|<>"\r\n\0]/.test(inner), `accepted a cmd metacharacter in ${JSON.stringify(s)}`);
    }),
    RUNS,
  );
});

test('JSON written into the guest through guestfish comes back as the same object', () => {
  fc.assert(
    fc.property(fc.dictionary(nasty, nasty, { maxKeys: 5, noNullPrototype: true }), (obj) => {
      const text = JSON.stringify(obj, null, 2) + '\n';
      const r = refusedOrValue(() => gfQuote(text));
      if (r.refused) {
        assert.ok(text.includes('\0') || /\p{Cs}/u.test(text), 'only NUL or lone surrogates are refused');
        return;
      }
      const [, back] = gfUnquote(`write ${r.value}`);
      assert.deepEqual(JSON.parse(back), obj);
    }),
    { numRuns: 200 },
  );
});
