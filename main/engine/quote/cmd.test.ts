import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cmdQuote, cmdValue } from './cmd';
import { GuestprepError } from '../errors';

test('plain values pass unchanged; paths are double-quoted', () => {
  assert.equal(cmdValue('pnp://rm.example.org:64738', 'the RM URL', 'x'), 'pnp://rm.example.org:64738');
  assert.equal(cmdQuote('C:\\Program Files\\ProActive\\jre', 'the install directory', 'x'), '"C:\\Program Files\\ProActive\\jre"');
});

test('every cmd metacharacter and control character is refused, naming the setting and a fix', () => {
  for (const ch of ['%', '!', '^', '&', '|', '<', '>', '"', '\n', '\r', '\t', '\x1b']) {
    assert.throws(
      () => cmdValue(`a${ch}b`, 'the node name (--node-name)', 'Use --node-name with letters and digits'),
      (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && e.message.startsWith('the node name (--node-name) contains')
        && e.fix.startsWith('Use --node-name with letters and digits') && e.fix.includes('% ! ^ & | < > "'),
      JSON.stringify(ch),
    );
  }
  assert.throws(() => cmdValue('a\0b', 'x', 'y'), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
});
