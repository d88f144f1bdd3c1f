// The decisive test on a systemd guest, for both ProActive generations: prepare, boot, and read back from
// the disk what the node's start script recorded at boot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareAndBoot } from './harness';

test('systemd guest, ProActive 6.2+ node: starts at boot as the service user with the installed JRE and the exact arguments', async () => {
  const o = await prepareAndBoot({
    guest: 'systemd',
    generation: 'modern',
    withCredentials: true,
    settings: { rmUrl: 'pnp://rm.example.org:64738', nodeSource: 'LinuxVMs', nodeName: 'vm-node-1', workers: 3 },
  });
  assert.equal(o.report.launches, 1);
  assert.equal(o.imageChangedByBoot, false, 'the boot ran on a throwaway overlay');
  const r = o.record;
  assert.equal(r.startScript, '/opt/proactive/node/bin/proactive-node');
  assert.equal(r.user, 'proactive');
  assert.equal(r.javaHome, '/opt/proactive/jre');
  assert.match(r.javaOpts ?? '', /-XX:\+IgnoreUnrecognizedVMOptions/);
  assert.deepEqual(r.args, ['-r', 'pnp://rm.example.org:64738', '-s', 'LinuxVMs', '-n', 'vm-node-1', '-w', '3', '-f', '/opt/proactive/guestprep/credentials.cred']);
  assert.ok(r.javaRan, 'the installed java ran');
  assert.match(o.boot.ps ?? '', /^proactive\s+.*sleep/m, 'the node process runs as proactive');
});

test('systemd guest, ProActive 3.x node: legacy options, node name defaults to the hostname', async () => {
  const o = await prepareAndBoot({ guest: 'systemd', generation: 'legacy', settings: { rmUrl: 'rmi://rm.example.org' } });
  const r = o.record;
  assert.equal(r.startScript, '/opt/proactive/node/bin/unix/rm-start-node');
  assert.equal(r.user, 'proactive');
  assert.equal(r.javaHome, '/opt/proactive/jre');
  assert.deepEqual(r.args, ['-r', 'rmi://rm.example.org:1099', '-n', 'gp-systemd', '-s', 'Default']);
  assert.ok(r.javaRan);
});
