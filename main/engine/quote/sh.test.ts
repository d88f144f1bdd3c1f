import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { shQuote, shWord, shCommandLine } from './sh';
import { shUnquote, NASTY_STRINGS } from './roundtrip';
import { GuestprepError } from '../errors';

test('shQuote: exact forms', () => {
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote('a b'), "'a b'");
  assert.equal(shQuote("it's"), "'it'\\''s'");
  assert.equal(shQuote('$(id) `id` \\'), "'$(id) `id` \\'");
});

test('shWord leaves safe words bare and quotes the rest', () => {
  assert.equal(shWord('/opt/proactive/node/bin/proactive-node'), '/opt/proactive/node/bin/proactive-node');
  assert.equal(shWord('pnp://rm.example.org:64738'), 'pnp://rm.example.org:64738');
  assert.equal(shWord('-Xmx2g'), '-Xmx2g');
  assert.equal(shWord('~root'), "'~root'");
  assert.equal(shWord(''), "''");
  assert.equal(shWord('a b'), "'a b'");
  assert.equal(shCommandLine(['/bin/x', '-n', 'my node']), "/bin/x -n 'my node'");
});

test('shQuote and shWord round-trip nasty strings', () => {
  for (const s of NASTY_STRINGS) {
    assert.deepEqual(shUnquote(`cmd ${shQuote(s)} ${shWord(s)}`), ['cmd', s, s], JSON.stringify(s));
  }
});

test('shQuote round-trips any string without NUL (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 4 }), (words) => {
      fc.pre(words.every((w) => !w.includes('\0')));
      assert.deepEqual(shUnquote(['x', ...words].map((w) => shWord(w)).join(' ')), ['x', ...words]);
    }),
  );
});

test('shQuote refuses NUL', () => {
  assert.throws(() => shQuote('a\0b', 'the value'), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && /the value/.test(e.message));
});

// The real shells, to make sure the parser above is not wrong in the same way as the quoting.
const shells = ['/bin/sh', '/usr/bin/dash', '/bin/bash', '/usr/bin/busybox']
  .filter((s) => spawnSync(s, s.endsWith('busybox') ? ['sh', '-c', 'true'] : ['-c', 'true']).status === 0);

test('real shells read shQuote/shWord output back unchanged', { skip: shells.length === 0 && 'no shell found' }, () => {
  const words = NASTY_STRINGS.filter((s) => s !== '');
  const script = `printf '%s\\0' ${words.map((w, i) => (i % 2 ? shQuote(w) : shWord(w))).join(' ')}`;
  for (const sh of shells) {
    const args = sh.endsWith('busybox') ? ['sh', '-c', script] : ['-c', script];
    const r = spawnSync(sh, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${sh}: ${r.stderr}`);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), words, sh);
  }
});
