import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distroOf, elfArchitecture, hostnameOf, parseFstab, parseOsRelease, productOf, resolveSpec, versionOf } from './quick-linux';

test('os-release values are unquoted and unescaped', () => {
  const r = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# comment\nNAME=\'Ubuntu\'\nX="a \\"b\\""\n');
  assert.equal(r.PRETTY_NAME, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(r.ID, 'debian');
  assert.equal(r.VERSION_ID, '12');
  assert.equal(r.NAME, 'Ubuntu');
  assert.equal(r.X, 'a "b"');
});

test('distributions get the names libguestfs uses', () => {
  assert.equal(distroOf('debian'), 'debian');
  assert.equal(distroOf('ubuntu'), 'ubuntu');
  assert.equal(distroOf('arch'), 'archlinux');
  assert.equal(distroOf('opensuse-leap'), 'opensuse');
  assert.equal(distroOf('ol'), 'oraclelinux');
  assert.equal(distroOf(''), 'unknown');
});

test('versions: VERSION_ID, with Debian minor versions from debian_version', () => {
  assert.deepEqual(versionOf({ ID: 'ubuntu', VERSION_ID: '22.04' }), { major: 22, minor: 4 });
  assert.deepEqual(versionOf({ ID: 'debian', VERSION_ID: '12' }, '12.5\n'), { major: 12, minor: 5 });
  // A testing/sid debian_version (a codename) leaves VERSION_ID alone.
  assert.deepEqual(versionOf({ ID: 'debian', VERSION_ID: '12' }, 'trixie/sid\n'), { major: 12, minor: 0 });
  assert.deepEqual(versionOf({ ID: 'fedora' }), { major: 0, minor: 0 });
});

test('product name: PRETTY_NAME, but Debian\'s debian_version text, as libguestfs reports it', () => {
  assert.equal(productOf({ ID: 'ubuntu', PRETTY_NAME: 'Ubuntu 22.04.4 LTS' }), 'Ubuntu 22.04.4 LTS');
  assert.equal(productOf({ ID: 'debian', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' }, '12.5\n'), '12.5');
  assert.equal(productOf({ ID: 'debian', PRETTY_NAME: 'Debian GNU/Linux trixie/sid' }, 'trixie/sid\n'), 'Debian GNU/Linux trixie/sid');
});

test('hostname: first non-comment line', () => {
  assert.equal(hostnameOf('# set by cloud-init\n\nnode-7\n'), 'node-7');
  assert.equal(hostnameOf(undefined), '');
});

test('fstab: disk filesystems kept, virtual ones and swap skipped', () => {
  const entries = parseFstab([
    '# /etc/fstab',
    'UUID=1111-2222 / ext4 errors=remount-ro 0 1',
    'LABEL=boot /boot/ ext4 defaults 0 2',
    '/dev/sda3 none swap sw 0 0',
    'proc /proc proc defaults 0 0',
    'tmpfs /tmp tmpfs defaults 0 0',
    '/dev/sdb1 /data xfs defaults 0 2',
    '/srv/a /srv/b none bind 0 0',
    'server:/export /mnt/nfs nfs defaults 0 0',
  ].join('\n'));
  assert.deepEqual(entries, [
    { spec: 'UUID=1111-2222', mountpoint: '/', type: 'ext4' },
    { spec: 'LABEL=boot', mountpoint: '/boot', type: 'ext4' },
    { spec: '/dev/sdb1', mountpoint: '/data', type: 'xfs' },
  ]);
});

test('fstab naming devices by LVM, mapper or PARTUUID is left to libguestfs', () => {
  assert.equal(parseFstab('/dev/mapper/vg-root / ext4 defaults 0 1\n'), undefined);
  assert.equal(parseFstab('/dev/vg0/root / ext4 defaults 0 1\n'), undefined);
  assert.equal(parseFstab('PARTUUID=abcd-01 / ext4 defaults 0 1\n'), undefined);
  assert.equal(parseFstab('/dev/md0 / ext4 defaults 0 1\n'), undefined);
});

test('fstab devices resolve on the guest\'s own drive only', () => {
  const ids = [
    { d: '/dev/sdb1', uuid: 'AAAA', label: 'root' },
    { d: '/dev/sdb2', uuid: 'BBBB', label: '' },
  ];
  const devices = ids.map((x) => x.d);
  assert.equal(resolveSpec('UUID=aaaa', 1, devices, ids), '/dev/sdb1');
  assert.equal(resolveSpec('/dev/disk/by-uuid/BBBB', 1, devices, ids), '/dev/sdb2');
  assert.equal(resolveSpec('LABEL=root', 1, devices, ids), '/dev/sdb1');
  // The guest's /dev/sda2 is its own second partition, here on drive 1.
  assert.equal(resolveSpec('/dev/sda2', 1, devices, ids), '/dev/sdb2');
  assert.equal(resolveSpec('/dev/vda2', 1, devices, ids), '/dev/sdb2', 'a KVM guest names its disk vda');
  assert.equal(resolveSpec('/dev/sda3', 1, devices, ids), undefined);
  assert.equal(resolveSpec('/dev/sdb1', 1, devices, ids), undefined, 'a second disk of the VM is not in this image');
  assert.equal(resolveSpec('UUID=CCCC', 1, devices, ids), undefined);
  // Two filesystems with one UUID on one disk: not ours to pick.
  assert.equal(resolveSpec('UUID=AAAA', 1, devices, [...ids, { d: '/dev/sdb3', uuid: 'AAAA', label: '' }]), undefined);
});

/** An ELF header: class (1 = 32-bit, 2 = 64-bit), data (1 = little-endian), e_machine. */
function elf(cls: number, data: number, machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = cls;
  b[5] = data;
  if (data === 1) b.writeUInt16LE(machine, 18);
  else b.writeUInt16BE(machine, 18);
  return b;
}

test('ELF machine: the names file-architecture gives; anything unusual is left to it', () => {
  assert.equal(elfArchitecture(elf(2, 1, 62)), 'x86_64');
  assert.equal(elfArchitecture(elf(1, 1, 3)), 'i386');
  assert.equal(elfArchitecture(elf(2, 1, 183)), 'aarch64');
  // x32 (an x86-64 machine in a 32-bit file), big-endian files, other machines, scripts.
  assert.equal(elfArchitecture(elf(1, 1, 62)), undefined);
  assert.equal(elfArchitecture(elf(2, 2, 21)), undefined);
  assert.equal(elfArchitecture(elf(2, 1, 243)), undefined);
  assert.equal(elfArchitecture(Buffer.from('#!/bin/sh\necho\n')), undefined);
});
