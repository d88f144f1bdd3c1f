// Checks gfQuote against the real guestfish parser. No appliance is launched: `echo` is a guestfish-local
// command, so this runs in well under a second wherever guestfish is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gfQuote, GF_MAX_LINE } from './guestfish';
import { NASTY_STRINGS } from './roundtrip';

const haveGuestfish = spawnSync('guestfish', ['--version'], { encoding: 'utf8' }).status === 0;

test('real guestfish reads back every quoted nasty string byte for byte', { skip: !haveGuestfish && 'guestfish not installed' }, () => {
  const marker = 'GUESTPREP-MARKER-7f3a';
  // The longest line guestfish accepts: `echo "` + value + `"`.
  const values = [...NASTY_STRINGS, 'x'.repeat(GF_MAX_LINE - 7)];
  const script = values.map((s) => `echo ${gfQuote(marker)}\necho ${gfQuote(s)}\n`).join('') + `echo ${gfQuote(marker)}\n`;
  const r = spawnSync('guestfish', [], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const chunks = r.stdout.split(`${marker}\n`);
  assert.equal(chunks[0], '');
  assert.equal(chunks[chunks.length - 1], '');
  const got = chunks.slice(1, -1);
  assert.equal(got.length, values.length);
  values.forEach((s, i) => assert.equal(got[i], s + '\n', JSON.stringify(s)));
});

test('real guestfish splits a line one character longer than GF_MAX_LINE', { skip: !haveGuestfish && 'guestfish not installed' }, () => {
  const r = spawnSync('guestfish', [], { input: `echo "${'x'.repeat(GF_MAX_LINE - 6)}"\n`, encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'if this passes, guestfish accepts longer lines and GF_MAX_LINE can grow');
});
