import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestprepError } from '../errors';
import { expandNodeName, isNodeNamePattern, nodeNameForEarlyCheck } from './node-name-pattern';

test('{n} numbers the images, {hostname} takes the first label of the guest hostname', () => {
  assert.equal(expandNodeName('node-{n}', { n: 3, hostname: 'x' }), 'node-3');
  assert.equal(expandNodeName('{hostname}-{n}', { n: 12, hostname: 'worker7.cluster.local' }), 'worker7-12');
  assert.equal(expandNodeName('plain', { n: 1, hostname: '' }), 'plain');
});

test('unknown placeholders, stray braces and a missing hostname are refused with a fix', () => {
  for (const [p, re] of [['node-{i}', /unknown placeholder \{i\}/], ['node-{n', /unmatched brace/], ['node-}', /unmatched brace/]] as const) {
    assert.throws(() => expandNodeName(p, { n: 1, hostname: 'h' }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && re.test(e.message) && /\{n\}/.test(e.fix));
  }
  assert.throws(() => expandNodeName('{hostname}', { n: 1, hostname: '' }), (e: unknown) => e instanceof GuestprepError && /no hostname/.test(e.message));
});

test('patterns are recognised and checked early with stand-in values', () => {
  assert.equal(isNodeNamePattern('node-{n}'), true);
  assert.equal(isNodeNamePattern('node-1'), false);
  assert.equal(isNodeNamePattern(undefined), false);
  assert.equal(nodeNameForEarlyCheck('n-{n}-{hostname}'), 'n-1-host');
  assert.equal(nodeNameForEarlyCheck('fixed'), 'fixed');
});
