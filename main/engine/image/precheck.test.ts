import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { precheckImage } from './precheck';
import { rejectsWith, isRoot, makeImage, makeTempDir, patchFile, qemuImg, qemuInfo, removeTempDir, seededBytes } from './testing';
import { VDI_OFFSETS } from './vdi';


let dir: string;
before(() => {
  dir = makeTempDir();
});
after(() => removeTempDir(dir));

describe('precheckImage accepts', () => {
  for (const [name, format, options] of [
    ['ok.vdi', 'vdi', undefined],
    ['ok.vmdk', 'vmdk', undefined],
    ['ok-split.vmdk', 'vmdk', 'subformat=twoGbMaxExtentSparse'],
    ['ok.vhd', 'vpc', undefined],
    ['ok.vhdx', 'vhdx', undefined],
    ['ok.qcow2', 'qcow2', undefined],
  ] as const) {
    it(`a plain ${name}`, async () => {
      const file = makeImage(dir, name, format, '64M', options);
      const info = await precheckImage(file);
      assert.equal(info.format, format);
      assert.equal(info.virtualSize, qemuInfo(file, format)['virtual-size']);
      assert.ok(info.virtualSize >= 64 << 20);
    });
  }
});

describe('precheckImage refuses', () => {
  it('a VirtualBox differencing VDI, explaining snapshot disks and how to clone', async () => {
    const file = makeImage(dir, 'snap.vdi', 'vdi', '64M');
    patchFile(file, VDI_OFFSETS.uuidLinkage, Buffer.from('0123456789abcdef0123456789abcdef', 'hex'));
    await rejectsWith(precheckImage(file), 'IMAGE_DIFFERENCING_VDI', /snapshot \(differencing\) disk of a VirtualBox VM.*67452301-ab89-efcd/, /prepare its base disk.*VBoxManage clonemedium/);
  });

  it('a streamOptimized VMDK, with the conversion command', async () => {
    const file = makeImage(dir, 'so.vmdk', 'vmdk', '64M', 'subformat=streamOptimized');
    await rejectsWith(precheckImage(file), 'IMAGE_STREAM_OPTIMIZED_VMDK', /cannot be written in place/, /qemu-img convert -f vmdk -O vmdk -o subformat=monolithicSparse/);
  });

  it('a qcow2 with a backing file, explaining the commit would reach the top layer only', async () => {
    const base = makeImage(dir, 'base.qcow2', 'qcow2', '64M');
    const top = path.join(dir, 'top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top);
    await rejectsWith(precheckImage(top), 'IMAGE_HAS_BACKING_FILE', /on top of .*base\.qcow2.*top layer only/, /qemu-img convert -f qcow2 -O qcow2/);
  });

  it('a VMDK snapshot child', async () => {
    const base = makeImage(dir, 'vbase.vmdk', 'vmdk', '64M');
    const child = path.join(dir, 'vchild.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', base, '-F', 'vmdk', child);
    await rejectsWith(precheckImage(child), 'IMAGE_HAS_BACKING_FILE', /VMware snapshot/);
  });

  it('a VMDK descriptor whose extent file is missing', async () => {
    const file = makeImage(dir, 'flat.vmdk', 'vmdk', '8M', 'subformat=monolithicFlat');
    fs.rmSync(path.join(dir, 'flat-flat.vmdk'));
    await rejectsWith(precheckImage(file), 'IMAGE_NOT_FOUND', /flat-flat\.vmdk, a data file \(extent\)/);
  });

  it('a read-only image', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'ro-'));
    const file = makeImage(sub, 'ro.vdi', 'vdi', '8M');
    fs.chmodSync(file, 0o444);
    await rejectsWith(precheckImage(file), 'IMAGE_READ_ONLY', isRoot() ? /marked read-only/ : /permission denied/);
  });

  it('random bytes, a dangling symlink, a directory and an empty file', async () => {
    const rnd = path.join(dir, 'rnd.vdi');
    fs.writeFileSync(rnd, seededBytes(65536, 7));
    await rejectsWith(precheckImage(rnd), 'IMAGE_NOT_A_DISK');
    const link = path.join(dir, 'dangling.vdi');
    fs.symlinkSync(path.join(dir, 'elsewhere.vdi'), link);
    await rejectsWith(precheckImage(link), 'IMAGE_NOT_FOUND', /symbolic link/);
    await rejectsWith(precheckImage(dir), 'IMAGE_NOT_A_DISK', /folder/);
    const empty = path.join(dir, 'empty.vmdk');
    fs.writeFileSync(empty, '');
    await rejectsWith(precheckImage(empty), 'IMAGE_NOT_A_DISK', /empty/);
  });
});
