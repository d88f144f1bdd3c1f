import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootTargetOf, guestFactRows, guestSupport } from './guest-support';
import { engineCapabilities } from '../engine/capabilities';
import { guestFacts, rcLocalGuest, sysvGuest, windowsGuest } from '../engine/plan/test-fixtures';

const caps = engineCapabilities();

test('the engine announces Linux and Windows guests and every boot target it has', () => {
  assert.deepEqual(caps.guestOses, ['linux', 'windows']);
  assert.deepEqual([...caps.bootTargets].sort(), ['rclocal', 'systemd', 'sysvinit', 'windows-service']);
  assert.ok(caps.imageFormats.includes('vdi') && caps.archiveKinds.includes('zip'));
});

test('Linux and Windows guests are prepared; another OS or a guest without a boot hook is not', () => {
  assert.deepEqual(guestSupport(guestFacts(), caps), { ok: true, value: 'systemd' });
  assert.deepEqual(guestSupport(sysvGuest(), caps), { ok: true, value: 'sysvinit' });
  assert.deepEqual(guestSupport(rcLocalGuest(), caps), { ok: true, value: 'rclocal' });
  assert.deepEqual(guestSupport(windowsGuest(), caps), { ok: true, value: 'windows-service' });
  const bsd = guestSupport({ osType: 'freebsd' }, caps);
  assert.ok(!bsd.ok && /runs freebsd; this Guestprep prepares linux and windows guests/.test(bsd.problem.message));
  const bare = guestSupport({ ...guestFacts(), linux: undefined }, caps);
  assert.ok(!bare.ok && /no systemd, sysvinit or rc\.local/.test(bare.problem.message));
  const old = guestSupport(windowsGuest(), { ...caps, bootTargets: ['systemd'] });
  assert.ok(!old.ok && /a Windows service, which this Guestprep does not install/.test(old.problem.message));
  assert.equal(bootTargetOf({ osType: 'windows' }), undefined);
});

test('a Windows guest is described by its own facts: system drive, control set, no init system', () => {
  const rows = Object.fromEntries(guestFactRows(windowsGuest()));
  assert.equal(rows['Operating system'], 'Windows 10 Pro (windows)');
  assert.equal(rows['System drive'], 'C: (\\Windows)');
  assert.equal(rows['Control set'], 'ControlSet002');
  assert.equal(rows['Boot target'], 'a Windows service');
  assert.match(rows['Free space']!, /^20\.0 GiB on C:$/);
  assert.equal(rows['Init system'], undefined);
  const linux = Object.fromEntries(guestFactRows(sysvGuest()));
  assert.match(linux['Boot target']!, /^sysvinit .*debian layout$/);
});
