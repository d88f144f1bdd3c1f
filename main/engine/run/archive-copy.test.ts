import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestprepError } from '../errors';
import type { CommandResult, GuestfishSession } from '../guestfish/session';
import { applianceShellEnabled, archiveCopyCommand, archiveCopyMode, archiveCopyScript, DIRECT_MIN_BYTES, directCopyEnabled, DISK_MOUNTS, stagingScript, type ArchiveCopy } from './archive-copy';

test('the script mounts the disk outside the guest, names the target under the sysroot single-quoted, and stops at the first error', () => {
  const s = archiveCopyScript({ from: { label: 'gpjre' }, to: "/Program Files/it's/node", direct: true });
  assert.match(s, /^set -eu$/m);
  assert.match(s, new RegExp(`^disk=/dev/disk/guestfs/gpjre src=${DISK_MOUNTS}/gpjre$`, 'm'));
  assert.match(s, /^dst=\$root'\/Program Files\/it'\\''s\/node'$/m);
  assert.match(s, /mount -t squashfs -o ro "\$disk" "\$src"/);
  assert.match(s, new RegExp(`-size \\+${DIRECT_MIN_BYTES - 1}c`));
  assert.match(s, /oflag=direct/);
  const linux = archiveCopyScript({ from: { label: 'gpjre' }, to: '/opt/proactive/jre', direct: false });
  assert.doesNotMatch(linux, /dd |find /, 'no direct writes into a Linux guest');
  assert.match(linux, /^cp -a \. "\$dst"$/m);
});

test('a folder name with a NUL byte is refused with a setting error; a label that is not a drive label is a bug', () => {
  assert.throws(() => archiveCopyScript({ from: { label: 'gpjre' }, to: '/b\0c', direct: false }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
  assert.throws(() => archiveCopyScript({ from: { label: 'gp jre; reboot' }, to: '/b', direct: false }), (e: unknown) => e instanceof GuestprepError && e.code === 'INTERNAL');
});

test('a folder too long for one guestfish line gives no command (the caller keeps the guestfish route)', () => {
  assert.ok(archiveCopyCommand({ from: { label: 'gpnode' }, to: '/a', direct: true }));
  assert.equal(archiveCopyCommand({ from: { label: 'gpnode' }, to: '/' + 'd'.repeat(6000), direct: false }), undefined);
});

test('GUESTPREP_APPLIANCE_SHELL=0 and GUESTPREP_DIRECT_COPY=0 turn the script and its direct writes off', () => {
  assert.equal(applianceShellEnabled({}), true);
  assert.equal(applianceShellEnabled({ GUESTPREP_APPLIANCE_SHELL: '0' }), false);
  assert.equal(directCopyEnabled({}), true);
  assert.equal(directCopyEnabled({ GUESTPREP_DIRECT_COPY: '0' }), false);
});

test('the script where the appliance runs scripts, direct writes for Windows guests only; else the guestfish route, said once', async () => {
  const session = (ok: boolean) =>
    ({ exec: async (): Promise<CommandResult> => (ok ? { ok: true, output: 'guestprep-appliance-shell' } : { ok: false, output: '', error: 'no' }) }) as unknown as GuestfishSession;
  const logs: string[] = [];
  assert.deepEqual(await archiveCopyMode(session(true), { osType: 'linux' }), { direct: false });
  assert.deepEqual(await archiveCopyMode(session(true), { osType: 'windows' }), { direct: true });
  assert.equal(await archiveCopyMode(session(false), { osType: 'windows' }, (m: string) => logs.push(m)), undefined);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /cannot run scripts/);
});

// ---- the script itself, run by the host's sh and coreutils (the appliance's are the same programs)

const MiB = 1024 * 1024;

/** Every entry under `dir`: type, mode, owner, mtime (ns), size, content hash or link target. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p, { bigint: true });
    const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
    out.push(`${JSON.stringify(rel)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeNs} ${st.isDirectory() ? '' : st.size} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel === '.' ? name : join(rel, name));
  };
  walk('.');
  return out;
}

/** A source tree with what archives hold: large and small files, odd names, links, an empty private folder. */
function makeSource(src: string): void {
  const t = new Date('2001-02-03T04:05:06Z');
  const file = (rel: string, bytes: number, mode: number, seed: number) => {
    const data = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i += 4096) data[i] = (i / 4096 + seed) & 0xff;
    writeFileSync(join(src, rel), data);
    chmodSync(join(src, rel), mode);
    utimesSync(join(src, rel), t, t);
  };
  mkdirSync(join(src, 'lib', 'sub dir'), { recursive: true });
  mkdirSync(join(src, 'empty-private'));
  file('lib/sub dir/modules', 3 * MiB + 1, 0o640, 1); // direct, with a last block that is not a whole MiB
  file('lib/exactly-1MiB', DIRECT_MIN_BYTES, 0o644, 2); // direct
  file('lib/just-under', DIRECT_MIN_BYTES - 1, 0o600, 3); // with the tree
  file("-it's\nodd $name", 2 * MiB, 0o755, 4); // direct, a name no shell may see unquoted
  file('release', 100, 0o644, 5);
  symlinkSync('sub dir/modules', join(src, 'lib', 'link'));
  chmodSync(join(src, 'empty-private'), 0o700);
  // Folder times last, as an archive's are: writing into a folder moves its mtime.
  for (const d of ['lib/sub dir', 'lib', 'empty-private', '.']) utimesSync(join(src, d), t, t);
}

/**
 * Programs behind shims in `dir`/bin that log each call (record separator between calls: names may hold
 * newlines): dd, which with `refuseDirect` fails as a filesystem without O_DIRECT support does (tmpfs
 * accepts it since Linux 6.6, so no real filesystem is at hand for that); and mount, which stands for the
 * squashfs mount by copying the disk's tree to the mountpoint and adding the line the kernel would add
 * to the (stand-in) mount table; and umount, which empties the mountpoint as a tmpfs going away does.
 */
function shims(dir: string, disk: string, table: string, refuseDirect: boolean) {
  const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = (name: string) => join(dir, `${name}.log`);
  const shim = (name: string, body: string[]) => {
    writeFileSync(log(name), '');
    writeFileSync(join(bin, name), ['#!/bin/sh', `printf '%s\\036' "$*" >> '${log(name)}'`, ...body, ''].join('\n'), { mode: 0o755 });
  };
  shim('dd', [refuseDirect ? 'case "$*" in *oflag=direct*) echo "dd: Invalid argument" >&2; exit 1;; esac' : '', `exec '${which('dd')}' "$@"`]);
  // mount -t squashfs -o ro DISK MOUNTPOINT
  shim('mount', [`cp -a '${disk}/.' "$6"`, `printf '%s %s squashfs ro 0 0\\n' "$5" "$6" >> '${table}'`]);
  // umount MOUNTPOINT: the tmpfs goes, and with it what was staged on it.
  shim('umount', ['find "$1" -mindepth 1 -delete']);
  const calls = (name: string) => readFileSync(log(name), 'utf8').split('\x1e').filter(Boolean);
  return { env: { PATH: `${bin}:${process.env.PATH}` }, dd: () => calls('dd'), mount: () => calls('mount'), umount: () => calls('umount') };
}

/**
 * A guest root, a disk tree and shims under a temp folder. `run` runs the script as the appliance would,
 * with its mount table and mount folder moved into the temp folder.
 */
function scene(refuseDirect = false) {
  const dir = mkdtempSync(join(tmpdir(), 'gp-archive-copy-'));
  const root = join(dir, 'sysroot');
  const disk = join(dir, 'disk');
  const table = join(dir, 'mounts');
  mkdirSync(root);
  makeSource(disk);
  writeFileSync(table, '/dev/sda1 /sysroot ext4 rw 0 0\n');
  const sh = shims(dir, disk, table, refuseDirect);
  const run = (c: ArchiveCopy) => {
    const script = archiveCopyScript(c).replaceAll('/proc/mounts', table).replaceAll(DISK_MOUNTS, join(dir, 'run'));
    return spawnSync('sh', ['-c', script], { env: { ...process.env, ...sh.env, root }, encoding: 'utf8' });
  };
  return { dir, root, disk, run, ...sh, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `cp -a` of the disk's tree into a fresh folder, and the tree of that copy: what the script must give. */
function reference(s: ReturnType<typeof scene>): string[] {
  const ref = join(s.dir, 'ref');
  mkdirSync(ref);
  const c = spawnSync('cp', ['-a', s.disk + '/.', ref], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  return tree(ref);
}

/** Copies into a fresh folder of the guest and compares it with cp -a (the top folder is the plan's own, its time aside). */
function copyAndCompare(s: ReturnType<typeof scene>, to: string, direct: boolean, from: ArchiveCopy['from'] = { label: 'gpjre' }): string {
  mkdirSync(join(s.root, to), { recursive: true });
  const r = s.run({ from, to, direct });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr when all goes well (a refused O_DIRECT included)');
  const [top, ...got] = tree(join(s.root, to));
  const [refTop, ...want] = reference(s);
  rmSync(join(s.dir, 'ref'), { recursive: true });
  assert.deepEqual(got, want);
  assert.equal(top.split(' ')[1], refTop.split(' ')[1]);
  assert.equal(got.length, 9, 'every entry of the disk is there');
  return r.stdout;
}

test('Windows: the copy equals cp -a (contents, modes, owners, times, links), files of 1 MiB and more written with O_DIRECT', () => {
  const s = scene();
  try {
    assert.equal(copyAndCompare(s, '/ProActive/jre', true), '', 'silent');
    const calls = s.dd();
    assert.equal(calls.length, 3, calls.join('\n'));
    assert.ok(calls.every((c) => c.includes('oflag=direct') && c.includes('bs=1M')));
    assert.deepEqual(calls.map((c) => /if=(.*?) of=/s.exec(c)![1]).sort(), ["./-it's\nodd $name", './lib/exactly-1MiB', './lib/sub dir/modules']);
  } finally {
    s.done();
  }
});

test('Windows: where O_DIRECT is refused, each large file is written buffered instead, with the same result', () => {
  const s = scene(true);
  try {
    copyAndCompare(s, '/ProActive/jre', true);
    assert.equal(s.dd().length, 6);
    assert.equal(s.dd().filter((c) => c.includes('oflag=direct')).length, 3);
  } finally {
    s.done();
  }
});

test('Linux: plain cp -a, no dd; the disk is mounted by the first copy only (the next images of a batch find it mounted)', () => {
  const s = scene();
  try {
    copyAndCompare(s, '/opt/proactive/jre', false);
    copyAndCompare(s, '/opt/proactive/jre-2', false);
    assert.deepEqual(s.dd(), []);
    assert.equal(s.mount().length, 1, s.mount().join('\n'));
    assert.match(s.mount()[0], /^-t squashfs -o ro \/dev\/disk\/guestfs\/gpjre .*\/run\/gpjre$/);
  } finally {
    s.done();
  }
});

test('it refuses to copy into a folder that is not empty, before mounting anything, and leaves that folder as it was', () => {
  const s = scene();
  try {
    mkdirSync(join(s.root, 'dst'));
    writeFileSync(join(s.root, 'dst', 'release'), 'mine');
    for (const direct of [true, false]) {
      const r = s.run({ from: { label: 'gpjre' }, to: '/dst', direct });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /dst is not an empty folder/);
    }
    assert.deepEqual(readdirSync(join(s.root, 'dst')), ['release']);
    assert.equal(readFileSync(join(s.root, 'dst', 'release'), 'utf8'), 'mine');
    assert.deepEqual(s.mount(), []);
  } finally {
    s.done();
  }
});

test('a missing target, or a failing mount, stops the script with an error', () => {
  const s = scene();
  try {
    assert.notEqual(s.run({ from: { label: 'gpjre' }, to: '/missing', direct: false }).status, 0);
    mkdirSync(join(s.root, 'dst'));
    writeFileSync(join(s.dir, 'bin', 'mount'), '#!/bin/sh\necho "mount: /dev/sdc: wrong fs type" >&2\nexit 32\n');
    const r = s.run({ from: { label: 'gpjre' }, to: '/dst', direct: false });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /wrong fs type/);
    assert.match(r.stderr, /\/dev\/disk\/guestfs\/gpjre could not be mounted; mounted now:\n\/dev\/sda1 \/sysroot ext4/, 'and says what was mounted');
    assert.deepEqual(readdirSync(join(s.root, 'dst')), []);
  } finally {
    s.done();
  }
});

test('from a staged folder (a tmpfs the archive was streamed into): the same copy, then the tmpfs unmounted and its folder removed', () => {
  const s = scene();
  try {
    const staged = '/ProActive/node.guestprep-staging';
    mkdirSync(join(s.root, 'ProActive'));
    assert.equal(spawnSync('cp', ['-a', s.disk, join(s.root, staged)]).status, 0);
    copyAndCompare(s, '/ProActive/node', true, { staged });
    assert.equal(s.dd().length, 3);
    assert.deepEqual(s.mount(), [], 'nothing to mount');
    assert.deepEqual(s.umount(), [join(s.root, staged)]);
    assert.deepEqual(readdirSync(join(s.root, 'ProActive')), ['node'], 'the staging folder is gone');
  } finally {
    s.done();
  }
});

test('the staging script makes the folder and mounts a tmpfs on it, and fails if the folder is there already', () => {
  const t = stagingScript("/Program Files/it's.guestprep-staging");
  assert.match(t, /^src=\$root'\/Program Files\/it'\\''s\.guestprep-staging'$/m);
  assert.match(t, /^mkdir "\$src"$/m);
  assert.match(t, /^mount -t tmpfs -o mode=0755 guestprep-staging "\$src"$/m);
  const s = scene();
  try {
    mkdirSync(join(s.root, 'x.guestprep-staging'));
    const r = spawnSync('sh', ['-c', stagingScript('/x.guestprep-staging')], { env: { ...process.env, ...s.env, root: s.root }, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.deepEqual(s.mount(), []);
  } finally {
    s.done();
  }
});
