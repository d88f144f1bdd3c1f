// The name rules as the page meets them (results, not exceptions). The engine's wrappers have their own
// tests (settings/validate.test.ts, settings/node-name-pattern.test.ts) with the CLI flags in the fixes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNodeName, checkNodeNamePattern, checkServiceName, checkServiceUser, expandNodeName, nodeNameFromHostname } from './names';

const problem = (v: { ok: boolean; problem?: { message: string } }) => (v.ok ? '' : v.problem!.message);

test('patterns: {n}, {hostname}, plain names and empty are taken', () => {
  for (const p of ['node-{n}', '{hostname}', '{hostname}-{n}', 'lab.{n}_x', 'fixed', '', '  ']) assert.equal(checkNodeNamePattern(p, 3).ok, true, p);
});

test('patterns: unknown placeholders, stray braces and characters a node name cannot have are refused', () => {
  const v = checkNodeNamePattern('node-{x}', 2);
  assert.ok(!v.ok);
  assert.match(v.problem.message, /unknown placeholder \{x\}/);
  assert.match(v.problem.fix, /node-\{n\}/);
  assert.match(problem(checkNodeNamePattern('node-{n', 2)), /unmatched brace/);
  assert.match(problem(checkNodeNamePattern('node}-{n}', 2)), /unmatched brace/);
  assert.match(problem(checkNodeNamePattern('{{n}}', 2)), /unmatched brace/);
  assert.match(problem(checkNodeNamePattern('my node-{n}', 2)), /would contain a space/);
  assert.match(problem(checkNodeNamePattern('node/{n}', 2)), /would contain "\/"/);
  assert.match(problem(checkNodeNamePattern('-{n}', 2)), /would start with "-"/);
  // The longest number counts: 62 characters plus a two-digit {n} is over 63.
  assert.equal(checkNodeNamePattern(`${'a'.repeat(62)}{n}`, 9).ok, true);
  assert.match(problem(checkNodeNamePattern(`${'a'.repeat(62)}{n}`, 10)), /would be 64 characters/);
});

test('patterns expand per image: the number in the list, the first label of the hostname', () => {
  assert.deepEqual(expandNodeName('node-{n}', { n: 2, hostname: 'x' }), { ok: true, value: 'node-2' });
  assert.deepEqual(expandNodeName('{hostname}-{n}', { n: 1, hostname: 'worker7.lab.local' }), { ok: true, value: 'worker7-1' });
  assert.deepEqual(expandNodeName('plain', { n: 1, hostname: '' }), { ok: true, value: 'plain' });
  assert.match(problem(expandNodeName('{hostname}', { n: 1, hostname: ' ' })), /no hostname/);
});

test('names: the node, its default from the hostname, the service and its user', () => {
  assert.equal(checkNodeName('worker-01').ok, true);
  assert.match(problem(checkNodeName('a\nb')), /line break/);
  const h = nodeNameFromHostname('localhost.localdomain');
  assert.ok(h.ok);
  assert.equal(h.value, 'localhost');
  assert.match(h.warnings?.[0] ?? '', /recognise/);
  assert.match(problem(nodeNameFromHostname('')), /no hostname/);
  assert.match(problem(checkServiceName('sshd')), /system service/);
  assert.match(problem(checkServiceUser('Root')), /not a valid user name/);
  const root = checkServiceUser('root');
  assert.ok(root.ok);
  assert.equal(root.warnings?.length, 1);
});
