// The systemd texts checked by systemd's own tools on the host: systemd-sysusers and systemd-tmpfiles
// apply them to a scratch root, and systemd-analyze verify loads the units. Skipped without the tools
// (tmpfiles' chown needs root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mainUnitText, setupUnitText, sysusersText, tmpfilesText, type SystemdUnitsInput } from './systemd-units';

const has = (tool: string) => spawnSync(tool, ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

function input(dir: string, over: Partial<SystemdUnitsInput> = {}): SystemdUnitsInput {
  return {
    guestprepVersion: '0.1.0', serviceName: 'pn-test', serviceUser: 'pnuser', installDir: `${dir}/inst`,
    nodeName: 'w1', rmUrl: 'pnp://rm:64738', launcherPath: `${dir}/inst/guestprep/start node.sh`, nodeHome: `${dir}/inst/node`,
    logDir: `${dir}/inst/node/logs`, credentialsPath: `${dir}/inst/guestprep/credentials.cred`, sysusersConf: `${dir}/sysusers.conf`,
    tmpfilesConf: `${dir}/tmpfiles.conf`, systemdSysusers: '/usr/bin/systemd-sysusers', systemdTmpfiles: '/usr/bin/systemd-tmpfiles', ...over,
  };
}

test('systemd-sysusers and systemd-tmpfiles apply the entries: user, logs 0750, credentials 0600', { skip: !(isRoot && has('systemd-sysusers') && has('systemd-tmpfiles')) && 'needs root and systemd tools' }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-sysusers-'));
  try {
    // Paths inside the scratch root, as the guest would see them.
    const i = input('', { installDir: '/opt/proactive', logDir: '/opt/proactive/node/logs', credentialsPath: '/opt/proactive/guestprep/credentials.cred' });
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), '');
    fs.writeFileSync(path.join(root, 'etc/group'), '');
    fs.mkdirSync(path.join(root, 'opt/proactive/node/logs'), { recursive: true });
    fs.mkdirSync(path.join(root, 'opt/proactive/guestprep'));
    fs.writeFileSync(path.join(root, 'opt/proactive/guestprep/credentials.cred'), 'c', { mode: 0o644 });
    fs.writeFileSync(path.join(root, 'sysusers.conf'), sysusersText(i));
    fs.writeFileSync(path.join(root, 'tmpfiles.conf'), tmpfilesText(i));
    const su = spawnSync('systemd-sysusers', [`--root=${root}`, path.join(root, 'sysusers.conf')], { encoding: 'utf8' });
    assert.equal(su.status, 0, su.stderr);
    const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    const m = /^pnuser:x:(\d+):(\d+):ProActive node:\/opt\/proactive:(\S+)$/m.exec(passwd);
    assert.ok(m, passwd);
    assert.match(m[3], /nologin$/);
    const tf = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--create', path.join(root, 'tmpfiles.conf')], { encoding: 'utf8' });
    assert.equal(tf.status, 0, tf.stderr);
    const logs = fs.statSync(path.join(root, 'opt/proactive/node/logs'));
    assert.deepEqual([logs.uid, logs.gid, logs.mode & 0o7777], [Number(m[1]), Number(m[2]), 0o750]);
    const creds = fs.statSync(path.join(root, 'opt/proactive/guestprep/credentials.cred'));
    assert.deepEqual([creds.uid, creds.mode & 0o7777], [Number(m[1]), 0o600]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('systemd-analyze verify accepts both units (a launcher path with a space included)', { skip: !has('systemd-analyze') && 'needs systemd-analyze' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-units-'));
  try {
    const i = input(dir);
    fs.mkdirSync(path.dirname(i.launcherPath), { recursive: true });
    fs.writeFileSync(i.launcherPath, '#!/bin/sh\n', { mode: 0o755 });
    fs.mkdirSync(i.nodeHome, { recursive: true });
    const main = path.join(dir, 'pn-test.service');
    fs.writeFileSync(main, mainUnitText(i));
    fs.writeFileSync(path.join(dir, 'pn-test-setup.service'), setupUnitText(i));
    const r = spawnSync('systemd-analyze', ['verify', main, path.join(dir, 'pn-test-setup.service')], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    // Only the two keys older systemd does not know may be reported.
    const complaints = r.stderr.split('\n').filter((l) => l.trim() && !/Unknown key '(RestartSteps|RestartMaxDelaySec)'/.test(l));
    assert.deepEqual(complaints, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
