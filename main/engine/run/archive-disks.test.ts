import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PlanStep, UploadRef } from '../types';
import { archiveDisksEnabled, batchDisksDir, buildArchiveDisks, copyFromDisks, diskDevices, diskLabel, removeStaleDisks } from './archive-disks';

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
  assert.deepEqual(s.commands[2].argv, ['cp-a', '/Program Files/ProActive/node.guestprep-staging/.', '/Program Files/ProActive/node']);
});

test('where the appliance runs scripts, each tar-in with a disk becomes one script; a folder too long for one line keeps the commands', () => {
  const steps: PlanStep[] = [
    { id: 'upload-jre', title: 'JRE', bytes: 100, commands: [{ argv: ['mkdir', '/ProActive/jre'] }, { argv: ['tar-in', { upload: jre }, '/ProActive/jre'] }] },
    { id: 'upload-proactive', title: 'node', commands: [{ argv: ['tar-in', { upload: node }, '/' + 'n'.repeat(6000)] }] },
  ];
  const [a, b] = copyFromDisks(steps, new Map([['jre', '/dev/sdb'], ['proactive', '/dev/sdc']]), { shell: { direct: true } });
  assert.deepEqual(a.commands.map((c) => c.argv.slice(0, 2)), [['mkdir', '/ProActive/jre'], ['debug', 'sh']]);
  const script = Buffer.from(/^echo (\S+) \| base64 -d \| sh$/.exec(a.commands[1].argv[2] as string)![1], 'base64').toString();
  assert.match(script, /^disk=\/dev\/disk\/guestfs\/gpjre /m);
  assert.match(script, /^dst=\$root'\/ProActive\/jre'$/m);
  assert.match(script, /oflag=direct/);
  assert.deepEqual(b.commands.map((c) => c.argv[0]), ['mkdir', 'mount-vfs', 'cp-a', 'umount', 'rmdir']);
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

/** A small tar, as the restreamed archives are: root-owned entries under no top folder. */
function smallTar(dir: string, bytes: number): Buffer {
  const src = join(dir, `src-${bytes}`);
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(join(src, 'bin', 'java'), Buffer.alloc(bytes, 7), { mode: 0o755 });
  const r = spawnSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'bin'], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

/** Runs `f` with one environment variable set, then puts it back as it was. */
async function withEnv(name: string, value: string, f: () => Promise<void>): Promise<void> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    await f();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-disks-'));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('one image per archive, built before the launch, where the drives say', () =>
  withDir(async (dir) => {
    const tar = smallTar(dir, 200_000);
    const logs: string[] = [];
    const disks = (await buildArchiveDisks(join(dir, 'disks'), [{ id: 'jre', open: () => Readable.from([tar]) }], { log: (m) => logs.push(m), removeDir: true }))!;
    const path = join(dir, 'disks', 'jre.sqfs');
    assert.deepEqual(disks.images, [{ id: 'jre', path }]);
    assert.deepEqual(disks.drives, [{ path, format: 'raw', label: 'gpjre' }], 'labelled, for scripts in the appliance');
    const list = spawnSync('unsquashfs', ['-lln', path], { encoding: 'utf8' });
    assert.match(list.stdout, /-rwxr-xr-x 0\/0\s+200000 .*squashfs-root\/bin\/java/);
    assert.deepEqual(readdirSync(join(dir, 'disks')), ['jre.sqfs'], 'nothing beside it');
    assert.deepEqual(logs, []);
    disks.remove();
    assert.equal(existsSync(join(dir, 'disks')), false);
  }));

test('when one image fails the other stops too, nothing is left, and the log says why', () =>
  withDir(async (dir) => {
    const tar = smallTar(dir, 100_000);
    const logs: string[] = [];
    const never = new Readable({ read() { /* a slow share: never done on its own */ } });
    const disks = await buildArchiveDisks(join(dir, 'disks'), [
      { id: 'jre', open: () => never },
      { id: 'proactive', open: () => Readable.from([Buffer.from('not a tar at all'.repeat(64)), tar]) },
    ], { log: (m) => logs.push(m), removeDir: true });
    assert.equal(disks, undefined);
    assert.match(logs.join('\n'), /could not be unpacked into disk images \(.*sqfstar exited with status.*\); they are streamed/);
    assert.equal(existsSync(join(dir, 'disks')), false);
  }));

test('without sqfstar the run streams, and the log says what to install', () =>
  withDir(async (dir) => {
    await withEnv('GUESTPREP_SQFSTAR', 'guestprep-no-such-sqfstar', async () => {
      const logs: string[] = [];
      const disks = await buildArchiveDisks(join(dir, 'disks'), [{ id: 'jre', open: () => Readable.from([Buffer.alloc(1024)]) }], { log: (m) => logs.push(m), removeDir: true });
      assert.equal(disks, undefined);
      assert.match(logs.join('\n'), /guestprep-no-such-sqfstar was not found/);
      assert.equal(existsSync(join(dir, 'disks')), false);
    });
  }));

test('a cancel stops a build that is still reading its archive, quietly', () =>
  withDir(async (dir) => {
    const logs: string[] = [];
    // An archive stream that gives nothing yet (a slow network share).
    const endless = new Readable({ read() { /* never */ } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const disks = await buildArchiveDisks(join(dir, 'disks'), [{ id: 'jre', open: () => endless }], { signal: ac.signal, log: (m) => logs.push(m), removeDir: true });
    assert.equal(disks, undefined);
    assert.deepEqual(logs, [], 'a cancel is not a failure to report');
    assert.equal(existsSync(join(dir, 'disks')), false);
  }));

test('off: no disks, nothing made', () =>
  withDir(async (dir) => {
    await withEnv('GUESTPREP_ARCHIVE_DISKS', '0', async () => {
      assert.equal(await buildArchiveDisks(join(dir, 'disks'), [{ id: 'jre', open: () => Readable.from([]) }], { log: () => undefined }), undefined);
      assert.equal(existsSync(join(dir, 'disks')), false);
    });
  }));

test('a batch\'s disk folder is named after its process; folders of processes gone are removed, live ones kept', () =>
  withDir(async (dir) => {
    const mine = batchDisksDir(dir);
    assert.match(mine, new RegExp(`/disks/${process.pid}-[0-9a-f]{8}$`));
    mkdirSync(mine, { recursive: true });
    // Above any pid_max: no such process.
    const dead = join(dir, 'disks', '2147483646-deadbeef');
    mkdirSync(dead);
    writeFileSync(join(dead, 'jre.sqfs'), 'x');
    const odd = join(dir, 'disks', 'not-a-pid');
    mkdirSync(odd);
    removeStaleDisks(dir);
    assert.deepEqual(readdirSync(join(dir, 'disks')).sort(), [mine.split('/').pop()!, 'not-a-pid'].sort());
    removeStaleDisks(join(dir, 'nowhere'));
  }));

test('drive labels: gp and the upload id, letters only; an id that cannot make one is a bug', () => {
  assert.equal(diskLabel('jre'), 'gpjre');
  assert.equal(diskLabel('proactive'), 'gpproactive');
  assert.throws(() => diskLabel('jre-2'), /No drive label/);
});
