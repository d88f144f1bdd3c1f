import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, lstatSync, readlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';
import { encodeHeaders, memberBytes, paddingFor, sanitiseMode, splitUstarName, TarLayout, totalTarBytes, type TarMember } from './tar-writer';
import { GuestprepError } from '../errors';
import type { ArchiveEntryInfo } from '../types';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-tarw-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function tarOf(members: Array<TarMember & { data?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(encodeHeaders(m));
    if (m.type === 'file') {
      parts.push(m.data ?? Buffer.alloc(m.size, 0x61));
      parts.push(Buffer.alloc(paddingFor(m.size)));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function parse(buf: Buffer): Promise<tar.Header[]> {
  const ex = tar.extract();
  const out: tar.Header[] = [];
  const done = (async () => {
    for await (const e of ex) {
      out.push(e.header);
      for await (const _ of e) { /* drain */ }
    }
  })();
  Readable.from([buf]).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

const long = 'a'.repeat(60) + '/' + 'b'.repeat(60) + '/' + 'c'.repeat(90);
const veryLong = ('x'.repeat(99) + '/').repeat(3) + 'file-with-a-long-name';
const longLink = '../'.repeat(5) + 'l'.repeat(120);

test('modes lose setuid/setgid/sticky and group/other write', () => {
  assert.equal(sanitiseMode(0o4755), 0o755);
  assert.equal(sanitiseMode(0o2775), 0o755);
  assert.equal(sanitiseMode(0o1777), 0o755);
  assert.equal(sanitiseMode(0o666), 0o644);
  assert.equal(sanitiseMode(0o600), 0o600);
});

test('ustar name split', () => {
  assert.deepEqual(splitUstarName('short'), { prefix: '', name: 'short' });
  assert.deepEqual(splitUstarName(long), { prefix: 'a'.repeat(60) + '/' + 'b'.repeat(60), name: 'c'.repeat(90) });
  assert.equal(splitUstarName(veryLong), undefined);
  assert.equal(splitUstarName('n'.repeat(101)), undefined);
});

test('headers parse back with tar-stream, long names and links included', async () => {
  const members: TarMember[] = [
    { name: 'dir', type: 'directory', mode: 0o755, size: 0, mtime: 1697544000 },
    { name: 'dir/file', type: 'file', mode: 0o644, size: 700, mtime: 1697544000 },
    { name: long, type: 'file', mode: 0o755, size: 3, mtime: 0 },
    { name: veryLong, type: 'file', mode: 0o644, size: 1, mtime: 0 },
    { name: 'dir/link', type: 'symlink', mode: 0o755, size: 0, mtime: 0, linkname: longLink },
    { name: 'dir/hard', type: 'hardlink', mode: 0o644, size: 0, mtime: 0, linkname: 'dir/file' },
    { name: 'dir/é-ünïcode', type: 'file', mode: 0o644, size: 0, mtime: 0 },
  ];
  const buf = tarOf(members);
  assert.equal(buf.length, members.reduce((n, m) => n + memberBytes(m), 1024));
  const headers = await parse(buf);
  assert.deepEqual(headers.map((h) => h.name), ['dir/', 'dir/file', long, veryLong, 'dir/link', 'dir/hard', 'dir/é-ünïcode']);
  assert.deepEqual(headers.map((h) => h.type), ['directory', 'file', 'file', 'file', 'symlink', 'link', 'file']);
  assert.equal(headers[4]!.linkname, longLink);
  assert.equal(headers[1]!.size, 700);
  for (const h of headers) {
    assert.equal(h.uid, 0);
    assert.equal(h.gid, 0);
    assert.equal(h.uname, 'root');
    assert.equal(h.gname, 'root');
  }
  assert.equal(headers[2]!.mode, 0o755);
  assert.equal(headers[1]!.mtime.getTime(), 1697544000 * 1000);
});

test('GNU tar extracts what we write', () => {
  const members: Array<TarMember & { data?: Buffer }> = [
    { name: 'bin', type: 'directory', mode: 0o755, size: 0, mtime: 0 },
    { name: 'bin/java', type: 'file', mode: 0o755, size: 5, mtime: 0, data: Buffer.from('hello') },
    { name: veryLong, type: 'file', mode: 0o600, size: 2, mtime: 0, data: Buffer.from('ok') },
    { name: 'bin/j', type: 'symlink', mode: 0o755, size: 0, mtime: 0, linkname: 'java' },
    { name: 'bin/h', type: 'hardlink', mode: 0o755, size: 0, mtime: 0, linkname: 'bin/java' },
  ];
  const tarPath = join(dir, 'out.tar');
  writeFileSync(tarPath, tarOf(members));
  const out = join(dir, 'x');
  spawnSync('mkdir', ['-p', out]);
  const r = spawnSync('tar', ['-xf', tarPath, '-C', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(out, 'bin/java'), 'utf8'), 'hello');
  assert.equal(lstatSync(join(out, 'bin/java')).mode & 0o7777, 0o755);
  assert.equal(readFileSync(join(out, veryLong), 'utf8'), 'ok');
  assert.equal(readlinkSync(join(out, 'bin/j')), 'java');
  assert.equal(lstatSync(join(out, 'bin/h')).ino, lstatSync(join(out, 'bin/java')).ino);
});

function e(path: string, type: ArchiveEntryInfo['type'] = 'file', extra: Partial<ArchiveEntryInfo> = {}): ArchiveEntryInfo {
  return { path, type, size: type === 'file' ? 10 : 0, mode: type === 'directory' ? 0o775 : 0o664, ...extra };
}

test('layout strips the prefix, adds parents, keeps the first directory, skips what is outside', () => {
  const l = new TarLayout('jdk', 'jre.tar.gz');
  assert.deepEqual(l.map(e('jdk', 'directory')), []);
  assert.deepEqual(l.map(e('README')), []);
  assert.deepEqual(l.map(e('jdk2/x')), []);
  const m = l.map(e('jdk/lib/server/libjvm.so', 'file', { mode: 0o4775 }));
  assert.deepEqual(m.map((x) => [x.name, x.type, x.mode.toString(8)]), [
    ['lib', 'directory', '755'], ['lib/server', 'directory', '755'], ['lib/server/libjvm.so', 'file', '755'],
  ]);
  assert.deepEqual(l.map(e('jdk/lib', 'directory', { mode: 0o700 })), []); // already written
  assert.deepEqual(l.map(e('jdk/conf', 'directory', { mode: 0o700 })).map((x) => x.mode), [0o700]);
  assert.deepEqual(l.map(e('jdk/lib/l', 'symlink', { linkTarget: 'server' })).map((x) => x.linkname), ['server']);
  assert.deepEqual(l.map(e('jdk/lib/h', 'hardlink', { linkTarget: 'jdk/lib/server/libjvm.so' })).map((x) => x.linkname), ['lib/server/libjvm.so']);
  assert.throws(() => l.map(e('jdk/lib/h2', 'hardlink', { linkTarget: 'README' })),
    (err: unknown) => err instanceof GuestprepError && err.code === 'ARCHIVE_UNSAFE_ENTRY' && /^jre\.tar\.gz: the entry "jdk\/lib\/h2" is a hard link to "README", which is outside the copied folder "jdk"/.test(err.message));
  assert.throws(() => l.map(e('jdk/lib/h3', 'hardlink', { linkTarget: 'jdk/later' })),
    (err: unknown) => err instanceof GuestprepError && /^jre\.tar\.gz: the entry "jdk\/lib\/h3" is a hard link to "jdk\/later", which is missing/.test(err.message));
});

test('totalTarBytes adds headers, padded data and the end marker', () => {
  assert.equal(totalTarBytes([], '', 'a.tar'), 1024);
  // prefix dir skipped; bin/ added; 1 byte file padded to 512
  assert.equal(totalTarBytes([e('jdk', 'directory'), e('jdk/bin/java', 'file', { size: 1 })], 'jdk', 'a.tar'), 512 + 512 + 512 + 1024);
  assert.equal(totalTarBytes([e('jdk/a', 'file', { size: 512 })], 'jdk', 'a.tar'), 512 + 512 + 1024);
  // a name needing a pax header costs the pax header block, its data block, then the real header
  assert.equal(totalTarBytes([e('n'.repeat(150), 'file', { size: 0 })], '', 'a.tar'), 512 * 3 + 1024);
});
