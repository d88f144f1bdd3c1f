// The decisive test on a sysvinit guest (Debian layout): /etc/init.d script with rc2-5 links.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareAndBoot } from './harness';

test('sysvinit guest (init.d + rc links), ProActive 6.2+ node: user created at first start, node started at boot', async () => {
  const o = await prepareAndBoot({ guest: 'sysvinit', generation: 'modern', settings: { rmUrl: 'pnp://rm.example.org', nodeSource: 'Default' } });
  assert.equal(o.report.guest.init, 'sysvinit');
  const r = o.record;
  assert.equal(r.startScript, '/opt/proactive/node/bin/proactive-node');
  assert.equal(r.user, 'proactive');
  assert.equal(r.javaHome, '/opt/proactive/jre');
  assert.deepEqual(r.args, ['-r', 'pnp://rm.example.org:64738', '-s', 'Default', '-n', 'gp-sysvinit']);
  assert.ok(r.javaRan);
});
