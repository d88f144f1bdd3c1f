import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addInsservTarget } from './insserv-depend';

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
