import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addInsservTarget, insservNeedsNewline, mentions, removeInsservTarget } from './insserv-depend';

test('adds the service as a target once, keeping the rest', () => {
  const start = 'TARGETS = rsyslog cron rc.local\nINTERACTIVE =\ncron: rsyslog\nrc.local: rsyslog cron\n';
  const added = addInsservTarget(start, 'proactive-node');
  assert.equal(added, `${start}proactive-node:\n`);
  assert.equal(addInsservTarget(added, 'proactive-node'), added);
  assert.equal(addInsservTarget('TARGETS = a', 'proactive-node'), 'TARGETS = a\nproactive-node:\n');
  assert.equal(addInsservTarget('', 'proactive-node'), 'proactive-node:\n');
});

test('a service already known to insserv (a target or a rule) is left alone; similar names are not it', () => {
  for (const t of ['TARGETS = cron proactive-node\n', 'TARGETS = cron\nproactive-node: cron\n', 'proactive-node:\n']) {
    assert.equal(addInsservTarget(t, 'proactive-node'), t);
  }
  assert.equal(addInsservTarget('TARGETS = proactive-node-old\nx: proactive-node\n', 'proactive-node'),
    'TARGETS = proactive-node-old\nx: proactive-node\nproactive-node:\n');
  assert.throws(() => addInsservTarget('', 'bad name'));
});

test('removeInsservTarget undoes addInsservTarget byte for byte, with or without a final newline', () => {
  for (const before of ['TARGETS = rsyslog cron\nINTERACTIVE =\ncron: rsyslog\n', 'TARGETS = a', '', 'TARGETS = a\n\n']) {
    const added = addInsservTarget(before, 'proactive-node');
    assert.equal(removeInsservTarget(added, 'proactive-node', insservNeedsNewline(before)), before, JSON.stringify(before));
  }
});

test('after insserv rewrote the file, the service is taken out of TARGETS, its rule and other rules only', () => {
  const regenerated = 'TARGETS = rsyslog proactive-node cron\nINTERACTIVE =\nproactive-node: rsyslog\ncron: rsyslog proactive-node\nproactive-node-old: cron\n';
  assert.equal(removeInsservTarget(regenerated, 'proactive-node', false),
    'TARGETS = rsyslog cron\nINTERACTIVE =\ncron: rsyslog\nproactive-node-old: cron\n');
  assert.ok(mentions(regenerated, 'proactive-node'));
  assert.ok(!mentions(removeInsservTarget(regenerated, 'proactive-node'), 'proactive-node'));
  assert.ok(!mentions('TARGETS = proactive-node-old\n', 'proactive-node'));
  // Not ours to touch: nothing to take out leaves the text as it is.
  assert.equal(removeInsservTarget('TARGETS = cron\ncron:\n', 'proactive-node'), 'TARGETS = cron\ncron:\n');
});
