// Windows inspection on the two phony Windows samples (main/sample/sample-windows.ts), built as VDIs under
// "VirtualBox VMs/<name with spaces and parentheses>/". One appliance launch per image; every fact of
// WindowsFacts is asserted. The Windows 10 sample boots ControlSet002 while ControlSet001 holds another
// hostname and a stale Guestprep service, so reading the wrong control set fails these tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSampleWindows, WINDOWS_VARIANTS } from '../../sample/sample-windows';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import { inspectWindows } from './windows';

function outDir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gp win (int) '));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

// A Guestprep service in the current control set of the Windows 10 sample (REG_EXPAND_SZ ImagePath,
// quoted with an argument, like Windows writes it), and a look-alike that must not count.
const WIN10_SERVICE_REG = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\ProActiveNode]
"DisplayName"="ProActive node (Guestprep)"
"ImagePath"=hex(2):22,00,43,00,3a,00,5c,00,50,00,72,00,6f,00,67,00,72,00,61,00,6d,00,20,00,46,00,69,00,6c,00,65,00,73,00,5c,00,47,00,75,00,65,00,73,00,74,00,70,00,72,00,65,00,70,00,5c,00,47,00,75,00,65,00,73,00,74,00,70,00,72,00,65,00,70,00,2d,00,53,00,65,00,72,00,76,00,69,00,63,00,65,00,2d,00,78,00,36,00,34,00,2e,00,65,00,78,00,65,00,22,00,20,00,2d,00,2d,00,72,00,75,00,6e,00,00,00
"Start"=dword:00000002
"Type"=dword:00000010

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\ProActiveNode\\Parameters]
"CommandLine"="C:\\\\Program Files\\\\Guestprep\\\\node\\\\bin\\\\proactive-node.bat -r pnp://rm.example.org:64738"
"AppDirectory"="C:\\\\Program Files\\\\Guestprep\\\\node"
"RestartDelaySeconds"=dword:0000001e

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\NotGuestprep]
"ImagePath"="C:\\\\Tools\\\\guestprep-service-notes.txt"
`;

for (const variant of ['win7-x86', 'win10-x64'] as const) {
  test(`inspectWindows on the ${variant} sample (vdi)`, async (t) => {
    const info = WINDOWS_VARIANTS[variant];
    const t0 = Date.now();
    const img = await buildSampleWindows(outDir(t), { variant, ...(variant === 'win10-x64' ? { extraReg: { system: WIN10_SERVICE_REG } } : {}) });
    const built = Date.now();
    assert.ok(img.endsWith(path.join('VirtualBox VMs', info.vmName, `${info.vmName}.vdi`)), img);
    assert.match(img, / \(\d\d\)\//);

    const stats = newLaunchStats();
    const s = await launchAppliance({ drives: [{ path: img, format: 'vdi' }], readonly: true, stats });
    t.after(async () => { s.kill(); await s.waitExit(); });
    const roots = (await s.exec(['inspect-os'])).output.trim().split('\n');
    assert.deepEqual(roots, ['/dev/sda1']);
    const facts = await inspectWindows(s, '/dev/sda1', { readonly: true });
    const done = Date.now();
    t.diagnostic(`built in ${((built - t0) / 1000).toFixed(1)} s, launch+inspect-os+inspectWindows ${((done - built) / 1000).toFixed(1)} s (${stats.hypervisor})`);
    assert.equal(stats.launches, 1);

    assert.equal(facts.productName, info.productName);
    assert.equal(facts.productVariant, 'Client');
    assert.equal(facts.majorVersion, info.majorVersion);
    assert.equal(facts.minorVersion, info.minorVersion);
    assert.equal(facts.arch, info.arch);
    assert.equal(facts.systemRoot, '/Windows');
    assert.equal(facts.currentControlSet, info.currentControlSet);
    assert.equal(facts.inspectedControlSet, info.currentControlSet);
    assert.equal(facts.controlSetNote, undefined);
    assert.equal(facts.systemDrive, 'C');
    assert.deepEqual(facts.driveMappings, { C: '/dev/sda1' });
    assert.equal(facts.systemHivePath, '/Windows/System32/config/SYSTEM');
    assert.equal(facts.softwareHivePath, '/Windows/System32/config/SOFTWARE');
    // 64 MiB disk: NTFS leaves most of it free, and statvfs is of the mounted system volume.
    assert.ok(facts.freeBytes > 40 * 1024 * 1024 && facts.freeBytes < 64 * 1024 * 1024, String(facts.freeBytes));
    assert.equal((await s.exec(['inspect-get-hostname', '/dev/sda1'])).output.trim(), info.hostname);

    if (variant === 'win7-x86') {
      assert.equal(facts.existingService, undefined);
    } else {
      // ControlSet001's GuestprepStale must not be reported: only the current control set counts.
      assert.deepEqual(facts.existingService, {
        name: 'ProActiveNode',
        imagePath: '"C:\\Program Files\\Guestprep\\Guestprep-Service-x64.exe" --run',
        parameters: {
          CommandLine: 'C:\\Program Files\\Guestprep\\node\\bin\\proactive-node.bat -r pnp://rm.example.org:64738',
          AppDirectory: 'C:\\Program Files\\Guestprep\\node',
          RestartDelaySeconds: '30',
        },
      });
    }
    // The hive is closed again and the system volume stays mounted read-only for the caller.
    assert.equal((await s.exec(['is-file', '/Windows/System32/cmd.exe'])).output.trim(), 'true');
    assert.equal((await s.exec(['touch', '/x'], { tolerate: true })).ok, false);
  });
}
