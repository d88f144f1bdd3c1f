import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addExtraFiles, sampleGuestTree, tinyX8664Elf, type SampleTree } from './sample-guest';

function text(tree: SampleTree, p: string): string {
  const e = tree.get(p);
  assert.ok(e && e.type === 'file', `${p} should be a file`);
  return e.content.toString();
}

test('the tiny ELF is an x86-64 executable header', () => {
  const b = tinyX8664Elf();
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(b[4], 2); // 64-bit
  assert.equal(b.readUInt16LE(16), 2); // ET_EXEC
  assert.equal(b.readUInt16LE(18), 0x3e); // x86-64
  assert.equal(Number(b.readBigUInt64LE(24)) - 0x400000, 120); // entry at the code
});

test('the tiny ELF really runs and exits 0 on an x86-64 Linux host', { skip: process.platform !== 'linux' || process.arch !== 'x64' }, (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-elf-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  const f = path.join(d, 'tiny');
  fs.writeFileSync(f, tinyX8664Elf(), { mode: 0o755 });
  const r = spawnSync(f);
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0);
});

test('every flavour looks like Debian 12 with a merged /usr and the hostname asked for', () => {
  for (const flavour of ['systemd', 'sysvinit', 'rclocal'] as const) {
    const t = sampleGuestTree(flavour, 'web-01');
    assert.match(text(t, '/usr/lib/os-release'), /^ID=debian$/m);
    assert.match(text(t, '/usr/lib/os-release'), /^VERSION_ID="12"$/m);
    assert.deepEqual(t.get('/etc/os-release'), { type: 'symlink', target: '../usr/lib/os-release' });
    assert.match(text(t, '/etc/debian_version'), /^12\./);
    assert.equal(text(t, '/etc/hostname'), 'web-01\n');
    assert.equal(text(t, '/etc/fstab'), '/dev/sda1 / ext4 defaults 0 1\n');
    assert.deepEqual(t.get('/bin'), { type: 'symlink', target: 'usr/bin' });
    assert.ok(text(t, '/usr/sbin/useradd').startsWith('#!/bin/sh'));
    assert.match(text(t, '/etc/passwd'), /^root:x:0:0:/);
    const shadow = t.get('/etc/shadow');
    assert.ok(shadow?.type === 'file' && shadow.mode === 0o640 && shadow.gid === 42);
    // Every entry's parent exists as a directory or a symlink to one (the tar must unpack).
    for (const p of t.keys()) {
      const parent = path.posix.dirname(p);
      if (parent !== '/') assert.equal(t.get(parent)?.type, 'dir', `parent of ${p} in ${flavour}`);
    }
  }
});

test('systemd flavour: /sbin/init links to systemd, sysusers and tmpfiles exist, no inittab or rc.local', () => {
  const t = sampleGuestTree('systemd', 'h');
  assert.deepEqual(t.get('/usr/sbin/init'), { type: 'symlink', target: '/lib/systemd/systemd' });
  assert.equal(t.get('/usr/lib/systemd/systemd')?.type, 'file');
  assert.equal(t.get('/usr/bin/systemd-sysusers')?.type, 'file');
  assert.equal(t.get('/usr/bin/systemd-tmpfiles')?.type, 'file');
  assert.equal(t.get('/etc/systemd/system')?.type, 'dir');
  assert.equal(t.get('/etc/inittab'), undefined);
  assert.equal(t.get('/etc/rc.local'), undefined);
  // As on real Debian 12 systemd guests: init.d and rc?.d exist, rc2.d-rc5.d are empty.
  assert.equal(t.get('/etc/init.d/udev')?.type, 'file');
  assert.equal(t.get('/etc/rc2.d')?.type, 'dir');
  assert.equal([...t.keys()].filter((k) => /^\/etc\/rc[2-5]\.d\//.test(k)).length, 0);
});

test('sysvinit flavour: init is a file, Debian runlevel dirs 0-6 and S exist', () => {
  const t = sampleGuestTree('sysvinit', 'h');
  assert.equal(t.get('/usr/sbin/init')?.type, 'file');
  assert.equal(t.get('/etc/init.d')?.type, 'dir');
  for (const n of ['0', '1', '2', '3', '4', '5', '6', 'S']) assert.equal(t.get(`/etc/rc${n}.d`)?.type, 'dir', `rc${n}.d`);
  assert.match(text(t, '/etc/inittab'), /^l2:2:wait:\/etc\/init\.d\/rc 2$/m);
  assert.equal(t.get('/usr/lib/systemd/systemd'), undefined);
  // Debian's initscripts rc.local: executable, and no `exit 0` line.
  assert.equal((t.get('/etc/rc.local') as { mode: number }).mode, 0o755);
  assert.ok(!text(t, '/etc/rc.local').split('\n').includes('exit 0'));
});

test('rclocal flavour: no rc2.d-rc5.d, inittab runs rc.local, exit 0 is not the last line', () => {
  const t = sampleGuestTree('rclocal', 'h');
  for (const n of [2, 3, 4, 5]) assert.equal(t.get(`/etc/rc${n}.d`), undefined);
  assert.match(text(t, '/etc/inittab'), /^l2:2:wait:\/etc\/rc\.local$/m);
  const rc = t.get('/etc/rc.local');
  assert.ok(rc?.type === 'file' && rc.mode === 0o755);
  const lines = rc.content.toString().trimEnd().split('\n');
  assert.equal(lines[0], '#!/bin/sh -e');
  assert.ok(lines.includes('exit 0'));
  assert.notEqual(lines[lines.length - 1], 'exit 0');
});

test('extraFiles add files with parents, and replace a whole directory', () => {
  const t = sampleGuestTree('systemd', 'h');
  addExtraFiles(t, {
    '/opt/proactive': 'not a directory',
    '/srv/a/b/c.txt': { content: 'x', mode: 0o600 },
    '/etc/systemd': 'gone',
  });
  assert.deepEqual(t.get('/opt/proactive'), { type: 'file', mode: 0o644, content: Buffer.from('not a directory') });
  assert.equal(t.get('/srv/a')?.type, 'dir');
  assert.equal(t.get('/srv/a/b')?.type, 'dir');
  assert.equal((t.get('/srv/a/b/c.txt') as { mode: number }).mode, 0o600);
  assert.equal(t.get('/etc/systemd')?.type, 'file');
  assert.equal(t.get('/etc/systemd/system'), undefined);
});

test('extraFiles refuse relative paths, .. and a file as a parent', () => {
  const t = sampleGuestTree('systemd', 'h');
  assert.throws(() => addExtraFiles(t, { 'etc/x': 'y' }), /absolute/);
  assert.throws(() => addExtraFiles(t, { '/etc/../../x': 'y' }), /bad guest path/);
  assert.throws(() => addExtraFiles(t, { '/etc/hostname/x': 'y' }), /not a directory/);
});
