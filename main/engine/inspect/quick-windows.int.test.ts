// The quick Windows inspection against libguestfs's own, in one appliance holding both phony Windows samples
// and a Linux guest: on each Windows drive the facts inspectWindows builds from the quick path (no
// inspect-os) must equal those it builds after inspect-os, field by field (drive letters compared on the
// guest's own drive, which is what the quick path resolves), and the hostname must be inspect-get-hostname's.
// On the Linux drive the quick Windows path must step aside. inspectGuest must take the quick path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest } from '../../sample/sample-guest';
import { buildSampleWindows, WINDOWS_VARIANTS } from '../../sample/sample-windows';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import { onDrive } from './drives';
import { inspectGuest } from './guest';
import { listGuestFilesystems } from './quick-linux';
import { quickInspectWindows } from './quick-windows';
import { inspectWindows, type WindowsInspection } from './windows';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'gp quick windows (int) '));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('quick Windows inspection gives libguestfs\'s answers on both samples and steps aside on Linux', async (t) => {
  const dir = (n: string) => {
    const d = join(root, n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const [win7, win10, linux] = await Promise.all([
    buildSampleWindows(dir('w7'), { variant: 'win7-x86' }),
    buildSampleWindows(dir('w10'), { variant: 'win10-x64' }),
    buildSampleGuest(dir('l'), { flavour: 'systemd', hostname: 'quick-l', format: 'vdi' }),
  ]);
  const s = await launchAppliance({ drives: [win7, win10, linux].map((path) => ({ path, format: 'vdi' as const })), readonly: true, stats: newLaunchStats() });
  t.after(async () => {
    s.kill();
    await s.waitExit();
  });

  const variants = ['win7-x86', 'win10-x64'] as const;
  const quick: WindowsInspection[] = [];
  for (const [k, variant] of variants.entries()) {
    await s.exec(['umount-all']);
    const t0 = Date.now();
    const outcome = await quickInspectWindows(s, await listGuestFilesystems(s, { drive: k }));
    assert.ok('facts' in outcome, `drive ${k}: ${JSON.stringify(outcome)}`);
    const rootDev = onDrive('/dev/sda1', k)!;
    assert.equal(outcome.facts.root, rootDev);
    // Left mounted read-only for the caller.
    assert.equal((await s.exec(['mounts'])).output.trim(), rootDev);
    quick.push(await inspectWindows(s, rootDev, { readonly: true, quick: outcome.facts }));
    t.diagnostic(`${variant}: quick path + inspectWindows ${Date.now() - t0} ms`);
    assert.equal(quick[k].hostname, WINDOWS_VARIANTS[variant].hostname);
  }

  await s.exec(['umount-all']);
  const linuxOutcome = await quickInspectWindows(s, await listGuestFilesystems(s, { drive: 2 }));
  assert.ok('fallback' in linuxOutcome, JSON.stringify(linuxOutcome));
  assert.equal((await s.exec(['mounts'])).output.trim(), '', 'nothing left mounted when stepping aside');

  const t0 = Date.now();
  const roots = (await s.exec(['inspect-os'])).output.trim().split('\n');
  t.diagnostic(`inspect-os over 3 drives: ${Date.now() - t0} ms`);
  for (const [k] of variants.entries()) {
    const rootDev = onDrive('/dev/sda1', k)!;
    assert.ok(roots.includes(rootDev), roots.join(','));
    await s.exec(['umount-all']);
    const lib = await inspectWindows(s, rootDev, { readonly: true });
    // libguestfs maps a disk signature to the first disk carrying it; the guest means its own disk.
    const ownDrive = Object.fromEntries(Object.entries(lib.driveMappings).map(([letter, dev]) => [letter, onDrive(dev, k)!]));
    const expected = { ...lib, driveMappings: ownDrive, systemDrive: Object.keys(ownDrive).find((l) => ownDrive[l] === rootDev) ?? '' };
    const { hostname, ...got } = quick[k];
    assert.deepEqual(got, expected, `drive ${k}`);
    assert.equal(hostname, (await s.exec(['inspect-get-hostname', rootDev])).output.trim());
    assert.equal(got.systemDrive, 'C');
  }

  // Through inspectGuest: the quick path is taken, and the hostname comes from the registry.
  await s.exec(['umount-all']);
  const guest = await inspectGuest(s, { installDir: '/opt/proactive', readonly: true, drive: 1 });
  assert.equal(guest.inspectedBy, 'quick');
  assert.equal(guest.osType, 'windows');
  assert.equal(guest.distro, 'windows');
  assert.equal(guest.hostname, WINDOWS_VARIANTS['win10-x64'].hostname);
  assert.equal(guest.windows?.currentControlSet, 'ControlSet002');
  assert.deepEqual(guest.mountpoints, [{ mountpoint: '/', device: '/dev/sdb1' }]);
});
