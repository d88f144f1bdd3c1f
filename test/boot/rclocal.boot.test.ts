// The decisive test on a guest whose only boot hook is /etc/rc.local (with `exit 0` not on its last line).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareAndBoot } from './harness';

test('rc.local-only guest, ProActive 6.2+ node', async () => {
  const o = await prepareAndBoot({ guest: 'rclocal', generation: 'modern', settings: { rmUrl: 'pamr://0', nodeName: 'behind-nat' } });
  assert.equal(o.report.guest.init, 'rclocal');
  const r = o.record;
  assert.equal(r.startScript, '/opt/proactive/node/bin/proactive-node');
  assert.equal(r.user, 'proactive');
  assert.equal(r.javaHome, '/opt/proactive/jre');
  assert.deepEqual(r.args, ['-r', 'pamr://0', '-s', 'Default', '-n', 'behind-nat']);
  assert.ok(r.javaRan);
});

test('rc.local-only guest, ProActive 3.x node', async () => {
  const o = await prepareAndBoot({ guest: 'rclocal', generation: 'legacy', settings: { rmUrl: 'rmi://rm.example.org:1099', nodeSource: 'Legacy' } });
  const r = o.record;
  assert.equal(r.startScript, '/opt/proactive/node/bin/unix/rm-start-node');
  assert.equal(r.user, 'proactive');
  assert.deepEqual(r.args, ['-r', 'rmi://rm.example.org:1099', '-n', 'gp-rclocal', '-s', 'Legacy']);
  assert.ok(r.javaRan);
});
