import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { restreamAsTar } from './restream';
import { sqfstarArgs, writeSquashfs } from './squashfs';
import { makeHostileArchive, writeArchive } from '../../sample/archives';
import { GuestprepError } from '../errors';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-squashfs-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** `unsquashfs -lln` lines without the date columns: mode, owner, size and path, sorted by path. */
function listing(image: string): string[] {
  const r = spawnSync('unsquashfs', ['-lln', '-d', '', image], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => /^[-dlcbps]/.test(l)).map((l) => {
    const f = l.trim().split(/\s+/);
    // mode owner/group size date time path [-> target]
    return row(f[0], f[1], f[2], f.slice(5).join(' ').replace(/^\//, ''));
  }).sort();
}

/** One comparable line: a link's mode and size mean nothing on Linux (always 0777, the target's length). */
function row(mode: string, owner: string, size: string, path: string): string {
  if (mode.startsWith('l')) return ['l', owner, path].join(' ');
  return [mode, owner, mode.startsWith('d') ? '-' : size, path].join(' ');
}

test('arguments: nothing compressed, root folder 0755 owned by root, never appended to an old image', () => {
  const a = sqfstarArgs('/r/jre.sqfs');
  for (const flag of ['-noI', '-noD', '-noF', '-noX', '-no-xattrs', '-force', '-quiet', '-no-progress']) assert.ok(a.includes(flag), flag);
  assert.deepEqual(a.slice(a.indexOf('-root-mode'), a.indexOf('-root-mode') + 6), ['-root-mode', '0755', '-root-uid', '0', '-root-gid', '0']);
  assert.equal(a.at(-1), '/r/jre.sqfs');
});

test('the image holds exactly what the re-streamed tar holds: modes, root ownership, links, sizes', async () => {
  const archive = join(dir, 'node.zip');
  // A zip made by a non-root user with odd modes: the tar stream sanitises them, the image must keep that.
  await writeArchive(archive, 'zip', [
    { path: 'ProActive/bin/proactive-node', mode: 0o775, content: '#!/bin/sh\necho node\n' },
    { path: 'ProActive/lib/a.jar', mode: 0o600, content: { random: 300_000 } },
    { path: 'ProActive/lib/empty', type: 'directory', mode: 0o700 },
    { path: 'ProActive/lib/latest.jar', type: 'symlink', target: 'a.jar' },
    { path: 'ProActive/config/with space & ümlaut.ini', content: 'x=1\n' },
  ]);
  const image = join(dir, 'node.sqfs');
  await writeSquashfs(restreamAsTar(archive, 'zip', { stripPrefix: 'ProActive' }), image);
  const got = listing(image);
  // The same stream as GNU tar (tar-in's unpacker) reads it, listed the same way.
  const tarOut = spawnSync('tar', ['-tvf', '-', '--numeric-owner'], { input: await streamBytes(restreamAsTar(archive, 'zip', { stripPrefix: 'ProActive' })), encoding: 'utf8' });
  assert.equal(tarOut.status, 0, tarOut.stderr);
  const want = tarOut.stdout.split('\n').filter(Boolean).map((l) => {
    const f = l.trim().split(/\s+/);
    return row(f[0], f[1], f[2], f.slice(5).join(' ').replace(/\/$/, ''));
  }).sort();
  const root = got.find((l) => l.endsWith(' '))!;
  assert.equal(root, 'drwxr-xr-x 0/0 - ', 'root folder as tar-in leaves its target');
  assert.deepEqual(got.filter((l) => l !== root), want);
  assert.ok(got.includes('l 0/0 lib/latest.jar -> a.jar'), got.join('\n'));
  assert.ok(got.includes('-rw------- 0/0 300000 lib/a.jar'), got.join('\n'));
  assert.ok(got.every((l) => l.split(' ')[1] === '0/0'), 'everything owned by root');
});

async function streamBytes(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('an unsafe archive stops the build with its own error', async () => {
  const bad = await makeHostileArchive(join(dir, 'bad.tar.gz'), 'dotdot');
  const image = join(dir, 'bad.sqfs');
  await assert.rejects(writeSquashfs(restreamAsTar(bad, 'tar.gz', { stripPrefix: '' }), image), (e: unknown) => e instanceof GuestprepError && e.code === 'ARCHIVE_UNSAFE_ENTRY');
});

test('a tar sqfstar cannot read is ARCHIVE_DISK_FAILED with its words', async () => {
  const image = join(dir, 'garbage.sqfs');
  await assert.rejects(writeSquashfs(Readable.from([Buffer.from('this is not a tar file'.repeat(100))]), image), (e: unknown) =>
    e instanceof GuestprepError && e.code === 'ARCHIVE_DISK_FAILED' && /exited with status/.test(e.message) && !!e.detail);
});
