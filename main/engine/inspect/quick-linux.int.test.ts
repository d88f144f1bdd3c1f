// The quick Linux inspection against libguestfs's own, in one appliance holding every kind of sample disk:
// on the plain Linux guests it must give the same facts as `inspect-os` + inspect-get-* (mountpoints mapped
// to the guest's own drive, which is what a batch does with libguestfs's answer), and on everything else
// (multi-boot, LUKS, a data disk, Windows) it must step aside so libguestfs's inspection and refusals apply.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest } from '../../sample/sample-guest';
import { buildSampleWindows } from '../../sample/sample-windows';
import { buildSpecialDisks } from '../../sample/special-disks';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import type { GuestfishSession } from '../guestfish/session';
import { readImageHeader } from '../image/header';
import { onDrive, parseMountpoints } from './guest';
import { quickInspectLinux, type QuickOutcome } from './quick-linux';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'gp quick inspect (int) '));
});
after(() => rmSync(root, { recursive: true, force: true }));

async function libguestfsFacts(s: GuestfishSession, rootDev: string, drive: number) {
  const q = async (cmd: string) => (await s.exec([cmd, rootDev])).output.trim();
  const mps = parseMountpoints((await s.exec(['inspect-get-mountpoints', rootDev])).output).map((m) => ({ ...m, device: onDrive(m.device, drive)! }));
  return {
    root: rootDev,
    distro: await q('inspect-get-distro'),
    majorVersion: Number(await q('inspect-get-major-version')),
    minorVersion: Number(await q('inspect-get-minor-version')),
    productName: await q('inspect-get-product-name'),
    arch: await q('inspect-get-arch'),
    hostname: await q('inspect-get-hostname'),
    mountpoints: mps,
  };
}

test('quick inspection gives libguestfs\'s answers on plain Linux guests and steps aside on the rest', async (t) => {
  const dir = (n: string) => {
    const d = join(root, n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const [systemd, sysvinit, rclocal, special, windows] = await Promise.all([
    buildSampleGuest(dir('a'), { flavour: 'systemd', hostname: 'quick-a', format: 'vdi' }),
    buildSampleGuest(dir('b'), { flavour: 'sysvinit', hostname: 'quick-b', format: 'raw' }),
    buildSampleGuest(dir('c'), { flavour: 'rclocal', hostname: 'quick-c', format: 'vdi' }),
    buildSpecialDisks(dir('special'), ['multi-boot', 'encrypted-root', 'data-disk']),
    buildSampleWindows(dir('w'), { variant: 'win10-x64' }),
  ]);
  const linux = [systemd, sysvinit, rclocal];
  const others = [special.paths['multi-boot'], special.paths['encrypted-root'], special.paths['data-disk'], windows];
  const drives = await Promise.all([...linux, ...others].map(async (path) => ({ path, format: (await readImageHeader(path)).format })));
  const s = await launchAppliance({ drives, readonly: true, stats: newLaunchStats() });
  t.after(async () => {
    s.kill();
    await s.waitExit();
  });

  const quick: QuickOutcome[] = [];
  for (let k = 0; k < drives.length; k++) {
    const t0 = Date.now();
    quick.push(await quickInspectLinux(s, { drive: k }));
    // The root is left mounted for the caller: the next drive needs / free.
    const mounted = (await s.exec(['mounts'])).output.trim();
    assert.equal(mounted, 'facts' in quick[k] ? onDrive('/dev/sda1', k) : '', `drive ${k}: only its root stays mounted`);
    await s.exec(['umount-all']);
    t.diagnostic(`drive ${k}: ${Date.now() - t0} ms: ${JSON.stringify('fallback' in quick[k] ? quick[k] : 'quick')}`);
  }
  const t0 = Date.now();
  const roots = (await s.exec(['inspect-os'])).output.trim().split('\n');
  t.diagnostic(`inspect-os over ${drives.length} drives: ${Date.now() - t0} ms`);

  for (const [k, host] of ['quick-a', 'quick-b', 'quick-c'].entries()) {
    const outcome: QuickOutcome = quick[k];
    assert.ok('facts' in outcome, `drive ${k}: ${JSON.stringify(outcome)}`);
    const rootDev = onDrive('/dev/sda1', k)!;
    assert.ok(roots.includes(rootDev));
    assert.deepEqual(outcome.facts, await libguestfsFacts(s, rootDev, k));
    assert.equal(outcome.facts.hostname, host);
  }
  for (let k = linux.length; k < drives.length; k++) {
    assert.ok('fallback' in quick[k], `drive ${k} (${drives[k].path}) must be left to inspect-os: ${JSON.stringify(quick[k])}`);
  }
});
