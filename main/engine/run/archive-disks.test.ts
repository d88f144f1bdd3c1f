import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PlanStep, UploadRef } from '../types';
import { archiveDisksEnabled, copyFromDisks, diskDevices, reservedBytes, startArchiveDisks } from './archive-disks';

const jre: UploadRef = { id: 'jre', kind: 'tar', source: '/a/jre.tar.gz', bytes: 100 };
const node: UploadRef = { id: 'proactive', kind: 'tar', source: '/a/node.zip', bytes: 200 };
const creds: UploadRef = { id: 'credentials', kind: 'file', source: '/a/creds', bytes: 10 };

test('tar-ins of uploads with a disk become a copy through a folder that exists only while copying; the rest is untouched', () => {
  const steps: PlanStep[] = [
    { id: 'upload-jre', title: 'JRE', bytes: 100, commands: [{ argv: ['mkdir', '/opt/p/jre'] }, { argv: ['tar-in', { upload: jre }, '/opt/p/jre'] }, { argv: ['chmod', '0755', '/opt/p/jre'] }] },
    { id: 'creds', title: 'credentials', commands: [{ argv: ['upload', { upload: creds }, '/opt/p/creds'] }] },
    { id: 'upload-proactive', title: 'node', commands: [{ argv: ['tar-in', { upload: node }, '/opt/p/node'] }] },
  ];
  const out = copyFromDisks(steps, new Map([['jre', '/dev/sdc']]));
  assert.deepEqual(out[0].commands.map((c) => c.argv), [
    ['mkdir', '/opt/p/jre'],
    ['mkdir', '/opt/p/jre.guestprep-staging'],
    ['blockdev-flushbufs', '/dev/sdc'],
    ['mount-vfs', 'ro', 'squashfs', '/dev/sdc', '/opt/p/jre.guestprep-staging'],
    ['cp-a', '/opt/p/jre.guestprep-staging/.', '/opt/p/jre'],
    ['umount', '/opt/p/jre.guestprep-staging'],
    ['rmdir', '/opt/p/jre.guestprep-staging'],
    ['chmod', '0755', '/opt/p/jre'],
  ]);
  assert.equal(out[0].id, 'upload-jre');
  assert.equal(out[0].bytes, 100, 'the step keeps its size for the progress');
  assert.equal(out[1], steps[1], 'a file upload has no disk');
  assert.equal(out[2], steps[2], 'an archive without a disk keeps its stream');
});

test('a Windows target (backslash-free guestfish path with spaces) is copied the same way', () => {
  const steps: PlanStep[] = [{ id: 'upload-proactive', title: 'node', commands: [{ argv: ['tar-in', { upload: node }, '/Program Files/ProActive/node'] }] }];
  const [s] = copyFromDisks(steps, new Map([['proactive', '/dev/sdb']]));
  assert.deepEqual(s.commands[3].argv, ['cp-a', '/Program Files/ProActive/node.guestprep-staging/.', '/Program Files/ProActive/node']);
});

test('disks come after the guest drives: one guest -> sdb, sdc; eight guests -> sdi, sdj', () => {
  const disks = { images: [{ id: 'jre', path: '/r/jre.sqfs' }, { id: 'proactive', path: '/r/proactive.sqfs' }] };
  assert.deepEqual([...diskDevices(disks, 1)], [['jre', '/dev/sdb'], ['proactive', '/dev/sdc']]);
  assert.deepEqual([...diskDevices(disks, 8)], [['jre', '/dev/sdi'], ['proactive', '/dev/sdj']]);
});

test('GUESTPREP_ARCHIVE_DISKS=0 turns the disks off; anything else keeps them', () => {
  assert.equal(archiveDisksEnabled({}), true);
  assert.equal(archiveDisksEnabled({ GUESTPREP_ARCHIVE_DISKS: '1' }), true);
  assert.equal(archiveDisksEnabled({ GUESTPREP_ARCHIVE_DISKS: '0' }), false);
});

test('room for an image: the tar size plus 1 MiB, in whole 4 KiB blocks', () => {
  assert.equal(reservedBytes(0), 1024 * 1024);
  assert.equal(reservedBytes(1), 1024 * 1024 + 4096);
  assert.equal(reservedBytes(100 * 4096), 1024 * 1024 + 100 * 4096);
});

/** A small tar, as the restreamed archives are: root-owned entries under no top folder. */
function smallTar(dir: string, bytes: number): Buffer {
  const src = join(dir, `src-${bytes}`);
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(join(src, 'bin', 'java'), Buffer.alloc(bytes, 7), { mode: 0o755 });
  const r = spawnSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'bin'], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-disks-'));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the files exist at their reserved size before the build ends, and the image is written into the same file', () =>
  withDir(async (dir) => {
    const tar = smallTar(dir, 200_000);
    const logs: string[] = [];
    const p = startArchiveDisks(join(dir, 'disks'), [{ id: 'jre', tarBytes: tar.length, open: () => Readable.from([tar]) }], { log: (m) => logs.push(m), removeDir: true })!;
    assert.deepEqual(p.drives, [{ path: join(dir, 'disks', 'jre.sqfs'), format: 'raw' }]);
    // What qemu opens at launch: a file of the reserved size; it keeps that file (inode) open.
    const before = statSync(p.drives[0].path);
    assert.equal(before.size, reservedBytes(tar.length));
    // Still that file, still that size, while sqfstar writes.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(statSync(p.drives[0].path).size, before.size);
    const disks = await p.ready;
    assert.deepEqual(disks, { images: [{ id: 'jre', path: p.drives[0].path }] });
    const after = statSync(p.drives[0].path);
    assert.equal(after.ino, before.ino, 'the same file, not a new one beside it');
    assert.equal(after.size, before.size, 'the size qemu saw at launch');
    assert.deepEqual(readdirSync(join(dir, 'disks')), ['jre.sqfs'], 'nothing beside it');
    const list = spawnSync('unsquashfs', ['-lln', p.drives[0].path], { encoding: 'utf8' });
    assert.match(list.stdout, /-rwxr-xr-x 0\/0\s+200000 .*squashfs-root\/bin\/java/);
    assert.deepEqual(logs, []);
    p.remove();
    assert.equal(existsSync(join(dir, 'disks')), false);
  }));

test('an image larger than its room is not used: the run streams, and the log says why', () =>
  withDir(async (dir) => {
    const tar = smallTar(dir, 3 * 1024 * 1024);
    const logs: string[] = [];
    // A tar size far below the truth (as a wrong estimate would be).
    const p = startArchiveDisks(join(dir, 'disks'), [{ id: 'proactive', tarBytes: 1000, open: () => Readable.from([tar]) }], { log: (m) => logs.push(m) })!;
    assert.equal(await p.ready, undefined);
    assert.match(logs.join('\n'), /could not be unpacked into disk images \(the image of proactive needs \d+ bytes, \d+ were reserved\); they are streamed/);
    p.remove();
  }));

test('without sqfstar the run streams, and the log says what to install', () =>
  withDir(async (dir) => {
    const saved = process.env.GUESTPREP_SQFSTAR;
    process.env.GUESTPREP_SQFSTAR = 'guestprep-no-such-sqfstar';
    try {
      const logs: string[] = [];
      const p = startArchiveDisks(join(dir, 'disks'), [{ id: 'jre', tarBytes: 10, open: () => Readable.from([Buffer.alloc(1024)]) }], { log: (m) => logs.push(m), removeDir: true })!;
      assert.equal(await p.ready, undefined);
      assert.match(logs.join('\n'), /guestprep-no-such-sqfstar was not found/);
      p.remove();
      assert.equal(existsSync(join(dir, 'disks')), false);
    } finally {
      if (saved === undefined) delete process.env.GUESTPREP_SQFSTAR;
      else process.env.GUESTPREP_SQFSTAR = saved;
    }
  }));

test('cancel stops a build that is still reading its archive, quietly', () =>
  withDir(async (dir) => {
    const logs: string[] = [];
    // An archive stream that gives nothing yet (a slow network share).
    const endless = new Readable({ read() { /* never */ } });
    const p = startArchiveDisks(join(dir, 'disks'), [{ id: 'jre', tarBytes: 10, open: () => endless }], { log: (m) => logs.push(m) })!;
    await new Promise((r) => setTimeout(r, 100));
    await p.cancel();
    assert.equal(await p.ready, undefined);
    assert.deepEqual(logs, [], 'a cancel is not a failure to report');
    p.remove();
  }));

test('off: no disks, nothing made', () =>
  withDir(async (dir) => {
    const saved = process.env.GUESTPREP_ARCHIVE_DISKS;
    process.env.GUESTPREP_ARCHIVE_DISKS = '0';
    try {
      assert.equal(startArchiveDisks(join(dir, 'disks'), [{ id: 'jre', tarBytes: 10, open: () => Readable.from([]) }], { log: () => undefined }), undefined);
      assert.equal(existsSync(join(dir, 'disks')), false);
    } finally {
      if (saved === undefined) delete process.env.GUESTPREP_ARCHIVE_DISKS;
      else process.env.GUESTPREP_ARCHIVE_DISKS = saved;
    }
  }));
