// precheckImage refuses a disk that a VirtualBox VM is using (running, or saved), naming the VM: VirtualBox
// takes no QEMU locks, so its own settings (and VBoxManage, or its VM processes' open files) are asked.

import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GuestprepError } from '../errors';
import { precheckImage } from './precheck';
import { makeImage, makeTempDir, removeTempDir } from './testing';

const VM = '2b6c1f0e-8a4d-4c3e-9f1a-0d5e6b7c8a91';
const DISK = '7f3a2c10-1b2d-4e5f-8a9b-0c1d2e3f4a5b';
const CHILD = '66666666-7777-4888-9999-aaaaaaaaaaaa';

let dir: string;
let home: string;
let base: string;
let child: string;
let other: string;

function writeVm(o: { name: string; attached: string; saved?: boolean }): void {
  const vmDir = path.join(home, 'VirtualBox VMs', o.name);
  const vbox = path.join(vmDir, `${o.name}.vbox`);
  writeFileSync(
    vbox,
    `<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Machine uuid="{${VM}}" name="${o.name}" OSType="Debian_64"${o.saved ? ' stateFile="Snapshots/state.sav"' : ''}>
    <MediaRegistry><HardDisks>
      <HardDisk uuid="{${DISK}}" location="${base}" format="VDI" type="Normal">
        <HardDisk uuid="{${CHILD}}" location="${child}" format="VDI"/>
      </HardDisk>
    </HardDisks></MediaRegistry>
    <Hardware><StorageControllers><StorageController name="SATA" type="AHCI" PortCount="1">
      <AttachedDevice type="HardDisk" port="0" device="0"><Image uuid="{${o.attached}}"/></AttachedDevice>
    </StorageController></StorageControllers></Hardware>
  </Machine>
</VirtualBox>
`,
  );
  mkdirSync(path.join(home, '.config', 'VirtualBox'), { recursive: true });
  writeFileSync(
    path.join(home, '.config', 'VirtualBox', 'VirtualBox.xml'),
    `<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux"><Global><MachineRegistry>
  <MachineEntry uuid="{${VM}}" src="${vbox}"/>
</MachineRegistry></Global></VirtualBox>
`,
  );
}

/** A VBoxManage that lists our VM as running, or nothing. */
function vboxManage(running: boolean): string {
  const bin = path.join(home, running ? 'bin-running' : 'bin-stopped');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'VBoxManage'), `#!/bin/sh\n[ "$1 $2" = "list runningvms" ] || exit 2\n${running ? `echo '"Node (1)" {${VM}}'` : ''}\n`);
  chmodSync(path.join(bin, 'VBoxManage'), 0o755);
  return bin;
}

async function refused(p: Promise<unknown>): Promise<GuestprepError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GuestprepError);
    return e;
  }
  assert.fail('expected a refusal');
}

before(() => {
  dir = makeTempDir();
  home = path.join(dir, 'home');
  mkdirSync(path.join(home, 'VirtualBox VMs', 'Node (1)'), { recursive: true });
  base = makeImage(path.join(home, 'VirtualBox VMs', 'Node (1)'), 'Node (1).vdi', 'vdi', '16M');
  child = makeImage(path.join(home, 'VirtualBox VMs', 'Node (1)'), 'snap.vdi', 'vdi', '16M');
  other = makeImage(dir, 'other.vdi', 'vdi', '16M');
});
after(() => removeTempDir(dir));

describe('precheckImage and VirtualBox', () => {
  it('refuses the disk of a running VM, naming it, with the shutdown command', async () => {
    writeVm({ name: 'Node (1)', attached: DISK });
    const e = await refused(precheckImage(base, { vbox: { home, env: { PATH: vboxManage(true) }, procDir: null } }));
    assert.equal(e.code, 'IMAGE_IN_USE_BY_VM');
    assert.match(e.message, /The VirtualBox VM "Node \(1\)" uses this disk and is running/);
    assert.match(e.fix, /VBoxManage controlvm "Node \(1\)" acpipowerbutton/);
  });

  it('refuses the base disk under the snapshot layer a running VM is on', async () => {
    writeVm({ name: 'Node (1)', attached: CHILD });
    const e = await refused(precheckImage(base, { vbox: { home, env: { PATH: vboxManage(true) }, procDir: null } }));
    assert.equal(e.code, 'IMAGE_IN_USE_BY_VM');
    assert.match(e.message, /under its snapshot layer .*snap\.vdi/);
  });

  it('refuses the disk of a saved VM (its saved state would no longer match)', async () => {
    writeVm({ name: 'Node (1)', attached: DISK, saved: true });
    const e = await refused(precheckImage(base, { vbox: { home, env: { PATH: vboxManage(false) }, procDir: null } }));
    assert.equal(e.code, 'IMAGE_IN_USE_BY_VM');
    assert.match(e.message, /"Node \(1\)" uses this disk and is in a saved state/);
    assert.match(e.fix, /discardstate/);
  });

  it('accepts the disk once the VM is powered off, and disks no VM uses', async () => {
    writeVm({ name: 'Node (1)', attached: DISK });
    const info = await precheckImage(base, { vbox: { home, env: { PATH: vboxManage(false) }, procDir: null } });
    assert.equal(info.format, 'vdi');
    await precheckImage(other, { vbox: { home, env: { PATH: vboxManage(true) }, procDir: null } });
  });
});
