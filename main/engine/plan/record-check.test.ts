import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from './build';
import { allowedRecordPaths, checkRecordedPaths } from './record-check';
import { GuestprepError } from '../errors';
import {
  guestFacts, jreInfo, modernProactive, nodeSettings, NOW, rcLocalGuest, sysvGuest, VERSION, windowsGuest, windowsSettings,
} from './test-fixtures';
import type { GuestFacts, InstallRecord } from '../types';

// A one-letter service name: every /etc file whose name contains an "s" used to pass as the service's own.
const S = nodeSettings({ serviceName: 's', credentials: { hostPath: '/home/u/rm.cred', bytes: 10 } });
const prepareInput = (guest: GuestFacts, over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest, settings: S, jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});

const linuxGuests: Array<[string, GuestFacts]> = [
  ['systemd', guestFacts({ dirsPresent: { '/opt': false, '/opt/proactive': false, '/etc/sysusers.d': false, '/etc/tmpfiles.d': false } })],
  ['sysvinit', sysvGuest({ insservDepend: { start: 'TARGETS = cron\n', stop: 'TARGETS = halt\n' } })],
  ['sysvinit (Red Hat layout)', sysvGuest({ sysvLayout: 'redhat' })],
  ['rc.local', rcLocalGuest('#!/bin/sh\nlogger booted\nexit 0\n', { rcLocalStat: { mode: 0o644, uid: 0, gid: 0 } })],
  ['rc.local (created)', rcLocalGuest()],
];

function refused(record: InstallRecord, guest: GuestFacts, path: string): GuestprepError {
  try {
    checkRecordedPaths(record, guest, '/opt/proactive/guestprep/install.json');
  } catch (e) {
    if (e instanceof GuestprepError) return e;
    throw e;
  }
  return assert.fail(`${path} was accepted`);
}

test('every path a real install records is in the exact set (each flavour, Windows too)', () => {
  for (const [name, guest] of linuxGuests) {
    const plan = buildPlan(prepareInput(guest));
    const allowed = allowedRecordPaths(plan.record, guest);
    for (const p of plan.record.files) assert.ok(allowed.files.has(p), `${name}: ${p}`);
    for (const p of plan.record.createdDirs ?? []) assert.ok(allowed.dirs.has(p), `${name}: ${p}`);
    assert.doesNotThrow(() => checkRecordedPaths(plan.record, guest, '/x'), name);
  }
  const win = windowsGuest({}, { dirsPresent: { '/ProActive': false } });
  const w = buildPlan({ ...prepareInput(win, { settings: windowsSettings({ serviceName: 's' }) }), jre: jreInfo({ os: 'windows' }), wrapperPath: () => '/w.exe', settings: { ...windowsSettings(), serviceName: 's', credentials: { hostPath: '/c/rm.cred', bytes: 10 } } });
  assert.doesNotThrow(() => checkRecordedPaths(w.record, win, '/x'));
});

test('a record with --service-name s listing /etc/shadow, /etc/passwd or a path that climbs back there is refused, naming the path', () => {
  for (const [name, guest] of linuxGuests) {
    const record = buildPlan(prepareInput(guest)).record;
    for (const p of [
      '/etc/shadow', '/etc/passwd', '/etc/sudoers', '/etc/ssh/sshd_config', '/etc/systemd/system/s.service.d/../../../shadow',
      '/etc/systemd/system/sshd.service', '/etc/init.d/ssh', '/etc/rc2.d/S01ssh', '/etc/systemd/system/s.service/', '/etc/systemd/system//s.service',
      '/opt/proactive/../../etc/shadow', '/opt/proactive/guestprep/../../../etc/shadow', '/opt/proactive/node/bin/java', '/opt/proactive-other',
      '/etc/systemd/system/s.service\n/etc/shadow', '/root/.ssh/authorized_keys',
    ]) {
      const e = refused({ ...record, files: [...record.files, p] }, guest, p);
      assert.equal(e.code, 'GUEST_NOT_PREPARED', `${name}: ${p}`);
      assert.ok(e.message.includes(JSON.stringify(p)), `${name}: the message names ${JSON.stringify(p)}: ${e.message}`);
      assert.match(e.message, /install\.json is damaged.*nothing was removed/);
    }
    for (const d of ['/etc', '/usr', '/etc/systemd/system/s.service.d']) {
      assert.match(refused({ ...record, createdDirs: [d] }, guest, d).message, new RegExp(`"${d.replace(/[.]/g, '\\.')}" \\(in createdDirs\\)`));
    }
    assert.match(refused({ ...record, rcLocal: { path: '/etc/shadow', line: 'x' } }, guest, 'rc').message, /"\/etc\/shadow" \(in rcLocal\)/);
    assert.match(refused({ ...record, files: [...record.files, 42 as unknown as string] }, guest, '42').message, /lists 42/);
  }
});

test('a path of another flavour or another service is not the service\'s own', () => {
  const guest = guestFacts();
  const record = buildPlan(prepareInput(guest)).record;
  // A systemd install never has an init script, nor the units of another service.
  for (const p of ['/etc/init.d/s', '/etc/systemd/system/proactive-node.service', '/etc/sysusers.d/t.conf']) refused({ ...record, files: [...record.files, p] }, guest, p);
});
