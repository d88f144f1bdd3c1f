// The files an image header names must be regular files inside the image's folder: hand-written VMDK
// descriptors (and qcow2 parents) pointing outside it, at special files, or through QEMU protocols are
// refused by precheckImage before any process opens them; extents in the folder or a subfolder pass.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitCodeFor } from '../../cli/exit-codes';
import { hasProtocolPrefix, isInside } from './named-files';
import { precheckImage } from './precheck';
import { rejectsWith, makeImage, makeTempDir, patchFile, qemuImg, removeTempDir, sha256File } from './testing';


let root: string;
let n = 0;
before(() => {
  root = makeTempDir('guestprep-named-');
});
after(() => removeTempDir(root));

/** A fresh VM folder. */
function vmDir(): string {
  const d = path.join(root, `vm ${++n}`);
  fs.mkdirSync(d);
  return d;
}

/** A monolithicFlat-style descriptor in `dir` whose one FLAT extent is named `extent` (8 MiB). */
function descriptor(dir: string, extent: string, name = 'disk.vmdk'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\n' +
      `# Extent description\nRW 16384 FLAT "${extent}" 0\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = "ide"\n`,
  );
  return file;
}

/** An 8 MiB file standing for someone else's data. */
function victim(dir: string, name = 'victim.vmdk'): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, Buffer.alloc(8 << 20, 0x42));
  return f;
}

const OUTSIDE = /Keep the extent files in the same folder as the descriptor/;

describe('helpers', () => {
  it('isInside: strictly below the folder, after resolution', () => {
    assert.equal(isInside('/a/b', '/a/b/c'), true);
    assert.equal(isInside('/a/b', '/a/b/c/d'), true);
    assert.equal(isInside('/a/b', '/a/b'), false);
    assert.equal(isInside('/a/b', '/a/bc'), false);
    assert.equal(isInside('/a/b', '/a'), false);
    assert.equal(isInside('/a/b', '/etc/shadow'), false);
    assert.equal(isInside('/a/b', '/a/b/..c'), true, 'a name starting with two dots is still inside');
  });

  it('hasProtocolPrefix: what QEMU reads as protocol:rest', () => {
    for (const p of ['file:/etc/shadow', 'nbd://host/x', 'json:{"file":{"filename":"/etc/shadow"}}', 'c:x']) assert.equal(hasProtocolPrefix(p), true, p);
    for (const p of ['disk-flat.vmdk', 'sub/disk:1.vmdk', '/abs/a:b', './x', '']) assert.equal(hasProtocolPrefix(p), false, p);
  });
});

describe('precheckImage refuses a VMDK extent', () => {
  it('named by an absolute path outside the folder, and the victim file is untouched', async () => {
    const other = vmDir();
    const v = victim(other);
    const before = sha256File(v);
    const e = await rejectsWith(
      precheckImage(descriptor(vmDir(), v)),
      'IMAGE_EXTENT_OUTSIDE',
      new RegExp(`disk\\.vmdk names ".*victim\\.vmdk" as a data file \\(extent\\), which is outside the image's folder`),
      OUTSIDE,
    );
    assert.equal(exitCodeFor(e.code), 3);
    assert.equal(sha256File(v), before);
  });

  it('named with ../ climbing out of the folder', async () => {
    const dir = vmDir();
    victim(root, 'shared-victim.vmdk');
    await rejectsWith(precheckImage(descriptor(dir, '../shared-victim.vmdk')), 'IMAGE_EXTENT_OUTSIDE', /resolves \(through symbolic links or "\.\."\) to .*shared-victim\.vmdk, outside/, OUTSIDE);
  });

  it('that is a symlink inside the folder pointing outside it', async () => {
    const dir = vmDir();
    const v = victim(vmDir());
    fs.symlinkSync(v, path.join(dir, 'disk-flat.vmdk'));
    await rejectsWith(precheckImage(descriptor(dir, 'disk-flat.vmdk')), 'IMAGE_EXTENT_OUTSIDE', /"disk-flat\.vmdk" .*resolves .* to .*victim\.vmdk, outside/, OUTSIDE);
  });

  it('that is a dangling symlink pointing outside (not "copy the missing file there")', async () => {
    const dir = vmDir();
    fs.symlinkSync(path.join(root, 'not-yet-there.vmdk'), path.join(dir, 'disk-flat.vmdk'));
    await rejectsWith(precheckImage(descriptor(dir, 'disk-flat.vmdk')), 'IMAGE_EXTENT_OUTSIDE', /is a symbolic link to .*not-yet-there\.vmdk, outside the folder/, OUTSIDE);
  });

  it('that is /dev/null or /etc/shadow', async () => {
    await rejectsWith(precheckImage(descriptor(vmDir(), '/dev/null')), 'IMAGE_EXTENT_OUTSIDE', /"\/dev\/null" as a data file \(extent\), which is outside/);
    await rejectsWith(precheckImage(descriptor(vmDir(), '/etc/shadow')), 'IMAGE_EXTENT_OUTSIDE', /"\/etc\/shadow" as a data file/);
  });

  it('that is a named pipe in the folder (refused without blocking on it)', async () => {
    const dir = vmDir();
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'disk-flat.vmdk')]).status, 0);
    await rejectsWith(precheckImage(descriptor(dir, 'disk-flat.vmdk')), 'IMAGE_EXTENT_OUTSIDE', /which is a named pipe, not a regular file/, OUTSIDE);
  });

  it('that is a folder', async () => {
    const dir = vmDir();
    fs.mkdirSync(path.join(dir, 'disk-flat.vmdk'));
    await rejectsWith(precheckImage(descriptor(dir, 'disk-flat.vmdk')), 'IMAGE_EXTENT_OUTSIDE', /which is a folder, not a regular file/);
    await rejectsWith(precheckImage(descriptor(vmDir(), '.')), 'IMAGE_EXTENT_OUTSIDE', /"\." as a data file/);
  });

  it('named through a QEMU protocol, even when a folder of that name exists in the image folder', async () => {
    const dir = vmDir();
    fs.mkdirSync(path.join(dir, 'file:', 'etc'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'file:', 'etc', 'shadow'), Buffer.alloc(8 << 20));
    await rejectsWith(precheckImage(descriptor(dir, 'file:/etc/shadow')), 'IMAGE_EXTENT_OUTSIDE', /is a QEMU protocol address/);
  });

  it('in an extent line QEMU would read but the strict parser does not (signed sector count)', async () => {
    const dir = vmDir();
    const file = path.join(dir, 'disk.vmdk');
    fs.writeFileSync(file, '# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\nRW 16384 FLAT "disk-flat.vmdk" 0\nRW +16384 FLAT "/etc/shadow" 0\n');
    victim(dir, 'disk-flat.vmdk');
    await rejectsWith(precheckImage(file), 'IMAGE_UNREADABLE', /extent line Guestprep cannot read: "RW \+16384 FLAT \\"\/etc\/shadow\\" 0"/);
  });

  it('named by the descriptor embedded in a sparse VMDK of capacity 0 (QEMU follows it)', async () => {
    const dir = vmDir();
    const file = makeImage(dir, 'wrapper.vmdk', 'vmdk', '8M');
    const v = victim(vmDir());
    // The sparse header: capacity (offset 12) 0, and the embedded descriptor (sector 1 on) names the victim.
    patchFile(file, 12, Buffer.alloc(8));
    const text = `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 16384 FLAT "${v}" 0\n`;
    patchFile(file, 512, Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(512)]));
    // QEMU itself agrees that this header names the victim (read-only and shared, so harmless here).
    assert.match(qemuImg('info', '-U', '--output=json', '-f', 'vmdk', file), /victim\.vmdk/);
    await rejectsWith(precheckImage(file), 'IMAGE_EXTENT_OUTSIDE', /wrapper\.vmdk names ".*victim\.vmdk" as a data file/);
  });
});

describe('precheckImage refuses a parent disk outside the folder before the layer refusal', () => {
  it('a qcow2 whose backing file is /dev/null or in another folder (its fix does not just say "merge")', async () => {
    const top = path.join(vmDir(), 'top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', '/dev/null', '-F', 'raw', top, '8M');
    await rejectsWith(precheckImage(top), 'IMAGE_EXTENT_OUTSIDE', /names "\/dev\/null" as its parent \(backing\) disk/, /Otherwise do not merge or convert it/);
    const base = makeImage(vmDir(), 'base.qcow2', 'qcow2', '8M');
    const top2 = path.join(vmDir(), 'top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top2);
    await rejectsWith(precheckImage(top2), 'IMAGE_EXTENT_OUTSIDE', /base\.qcow2" as its parent \(backing\) disk, which is outside/);
  });

  it('but a parent in the same folder, or a missing one, still gets the layer refusal', async () => {
    const dir = vmDir();
    const base = makeImage(dir, 'base.qcow2', 'qcow2', '8M');
    const top = path.join(dir, 'top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', top);
    await rejectsWith(precheckImage(top), 'IMAGE_HAS_BACKING_FILE', /on top of base\.qcow2/);
    fs.rmSync(base);
    await rejectsWith(precheckImage(top), 'IMAGE_HAS_BACKING_FILE', /on top of base\.qcow2/);
  });
});

describe('precheckImage accepts extents', () => {
  it('in the same folder (monolithicFlat, twoGbMaxExtentSparse), also when the descriptor is given through a symlink', async () => {
    const dir = vmDir();
    const flat = makeImage(dir, 'flat.vmdk', 'vmdk', '8M', 'subformat=monolithicFlat');
    assert.equal((await precheckImage(flat)).subformat, 'monolithicFlat');
    const split = makeImage(dir, 'split.vmdk', 'vmdk', '64M', 'subformat=twoGbMaxExtentSparse');
    assert.equal((await precheckImage(split)).subformat, 'twoGbMaxExtentSparse');
    const link = path.join(vmDir(), 'link.vmdk');
    fs.symlinkSync(flat, link);
    assert.equal((await precheckImage(link)).subformat, 'monolithicFlat');
  });

  it('in a subfolder, and through a symlink that stays inside the folder', async () => {
    const dir = vmDir();
    fs.mkdirSync(path.join(dir, 'data'));
    victim(path.join(dir, 'data'), 'disk-flat.vmdk');
    assert.equal((await precheckImage(descriptor(dir, 'data/disk-flat.vmdk'))).format, 'vmdk');
    fs.symlinkSync('data/disk-flat.vmdk', path.join(dir, 'alias-flat.vmdk'));
    assert.equal((await precheckImage(descriptor(dir, 'alias-flat.vmdk', 'alias.vmdk'))).format, 'vmdk');
    // Absolute names are fine when they lead into the folder.
    assert.equal((await precheckImage(descriptor(dir, path.join(dir, 'data', 'disk-flat.vmdk'), 'abs.vmdk'))).format, 'vmdk');
  });
});
