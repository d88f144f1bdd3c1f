import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { once } from 'node:events';
import { readEntries, type ArchiveEntry } from './entries';
import { GuestprepError } from '../errors';
import { makeSampleJre, writeArchive } from '../../sample/archives';
import type { ArchiveEntryInfo, ArchiveKind } from '../types';

const KINDS: ArchiveKind[] = ['tar.gz', 'tar.xz', 'tar', 'zip'];
const TOP = 'jdk-17.0.9+9-jre';
let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-entries-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

async function text(e: ArchiveEntry): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of e.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function list(path: string, kind: ArchiveKind): Promise<ArchiveEntryInfo[]> {
  const out: ArchiveEntryInfo[] = [];
  for await (const e of readEntries(path, kind)) out.push(e.info);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<GuestprepError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GuestprepError, `not a GuestprepError: ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

for (const kind of KINDS) {
  test(`${kind}: entries, types, modes, sizes, symlinks and contents`, async () => {
    const p = await makeSampleJre(join(dir, `jre.${kind}`), { kind, fillerBytes: 300 * 1024 });
    const seen = new Map<string, ArchiveEntryInfo>();
    const texts = new Map<string, string>();
    for await (const e of readEntries(p, kind)) {
      seen.set(e.info.path, e.info);
      if (e.info.path.endsWith('/release') || e.info.path.endsWith('bin/java')) texts.set(e.info.path, await text(e));
      if (e.info.path.endsWith('lib/modules')) {
        let n = 0;
        for await (const c of e.open()) n += (c as Buffer).length;
        assert.equal(n, 300 * 1024);
      }
      assert.ok(e.mtime > 1_600_000_000, `mtime of ${e.info.path}`);
    }
    assert.deepEqual(seen.get(TOP), { path: TOP, type: 'directory', size: 0, mode: 0o755 });
    const java = seen.get(`${TOP}/bin/java`)!;
    assert.equal(java.type, 'file');
    assert.equal(java.mode, 0o755);
    assert.equal(java.size, Buffer.byteLength(texts.get(`${TOP}/bin/java`)!));
    assert.match(texts.get(`${TOP}/bin/java`)!, /^#!\/bin\/sh\n/);
    assert.match(texts.get(`${TOP}/release`)!, /JAVA_VERSION="17\.0\.9"/);
    assert.deepEqual(seen.get(`${TOP}/legal/java.logging/LICENSE`),
      { path: `${TOP}/legal/java.logging/LICENSE`, type: 'symlink', size: 0, mode: kind === 'zip' ? 0o777 : 0o777, linkTarget: '../java.base/LICENSE' });
    assert.equal(seen.get(`${TOP}/lib/modules`)!.size, 300 * 1024);
  });

  test(`${kind}: content not read (or read in part) is skipped`, async () => {
    const p = await makeSampleJre(join(dir, `skip.${kind}`), { kind, fillerBytes: 2 * 1024 * 1024 });
    const all = await list(p, kind);
    const partial: string[] = [];
    for await (const e of readEntries(p, kind)) {
      partial.push(e.info.path);
      if (e.info.path.endsWith('lib/tzdb.dat')) e.open(); // opened, never read
      if (e.info.path.endsWith('lib/modules')) {
        for await (const c of e.open()) { assert.ok((c as Buffer).length > 0); break; } // one chunk only
      }
      if (e.info.path.endsWith('conf/security/java.security')) assert.match(await text(e), /securerandom/);
    }
    assert.deepEqual(partial, all.map((x) => x.path));
    assert.ok(all.length >= 15);
  });

  test(`${kind}: stopping early releases the archive`, async () => {
    const p = await makeSampleJre(join(dir, `early-${process.pid}.${kind}`), { kind, fillerBytes: 4 * 1024 * 1024 });
    for await (const e of readEntries(p, kind)) {
      if (e.info.path.endsWith('bin/java')) break;
    }
    if (kind === 'tar.xz') {
      await new Promise((r) => setTimeout(r, 200));
      const r = spawnSync('pgrep', ['-f', p]);
      assert.equal(r.status, 1, 'xz is still running after the consumer stopped');
    }
  });

  test(`${kind}: a truncated archive is ARCHIVE_CORRUPT`, async () => {
    const p = await makeSampleJre(join(dir, `cut.${kind}`), { kind, fillerBytes: 200 * 1024 });
    truncateSync(p, Math.floor(statSync(p).size * 0.6));
    const err = await errorOf((async () => {
      for await (const e of readEntries(p, kind)) if (e.info.type === 'file') await text(e);
    })());
    assert.equal(err.code, 'ARCHIVE_CORRUPT');
    assert.match(err.message, /damaged or incomplete/);
    assert.match(err.fix, /Download the archive again/);
    if (kind === 'tar.xz') assert.match(err.detail ?? '', /xz/i);
  });
}

test('GNU tar archives: ./ prefixes, long names, hard links, symlinks', async () => {
  const src = join(dir, 'gnu-src');
  const longName = `${'d'.repeat(80)}/${'f'.repeat(120)}`;
  mkdirSync(join(src, 'd'.repeat(80)), { recursive: true });
  writeFileSync(join(src, longName), 'long');
  writeFileSync(join(src, 'a.txt'), 'a');
  chmodSync(join(src, 'a.txt'), 0o4755);
  linkSync(join(src, 'a.txt'), join(src, 'b.txt'));
  symlinkSync('a.txt', join(src, 'c'));
  const out = join(dir, 'gnu.tar.gz');
  const r = spawnSync('tar', ['--format=gnu', '--sort=name', '-czf', out, '-C', src, '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const entries = await list(out, 'tar.gz');
  const byPath = new Map(entries.map((e) => [e.path, e]));
  assert.ok(!byPath.has(''), 'the ./ root is not an entry');
  assert.ok([...byPath.keys()].every((k) => !k.startsWith('./')));
  assert.equal(byPath.get(longName)?.size, 4);
  assert.equal(byPath.get('a.txt')?.mode, 0o4755);
  assert.deepEqual(byPath.get('b.txt'), { path: 'b.txt', type: 'hardlink', size: 0, mode: 0o4755, linkTarget: './a.txt' });
  assert.equal(byPath.get('c')?.type, 'symlink');
  assert.equal(byPath.get('c')?.linkTarget, 'a.txt');
});

test('zip without unix modes (made on Windows) gets default modes', async () => {
  const p = join(dir, 'win.zip');
  const yazl = await import('yazl');
  const z = new yazl.ZipFile();
  z.addEmptyDirectory('top/', { mode: 0 });
  z.addBuffer(Buffer.from('x'), 'top/bin/run.bat', { mode: 0 });
  const ws = createWriteStream(p);
  z.outputStream.pipe(ws);
  z.end();
  await once(ws, 'finish');
  const entries = await list(p, 'zip');
  assert.deepEqual(entries, [
    { path: 'top', type: 'directory', size: 0, mode: 0o755 },
    { path: 'top/bin/run.bat', type: 'file', size: 1, mode: 0o644 },
  ]);
});

test('zip names with .. or absolute paths reach the caller (to be refused there, by name)', async () => {
  const p = join(dir, 'evil.zip');
  await writeArchive(p, 'zip', [{ path: 'ok/../../evil', content: 'x' }, { path: '/abs', content: 'y' }]);
  assert.deepEqual((await list(p, 'zip')).map((e) => e.path), ['ok/../../evil', '/abs']);
});

test('tar.gz that is not a tar inside, and gzip garbage', async () => {
  const notTar = join(dir, 'notar.tar.gz');
  writeFileSync(notTar, gzipSync(Buffer.alloc(2048, 0x41)));
  const e1 = await errorOf(list(notTar, 'tar.gz'));
  assert.equal(e1.code, 'ARCHIVE_CORRUPT');
  assert.match(e1.message, /not a valid tar archive/);
  const garbage = join(dir, 'garbage.tar.gz');
  writeFileSync(garbage, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(1000, 0x55)]));
  assert.equal((await errorOf(list(garbage, 'tar.gz'))).code, 'ARCHIVE_CORRUPT');
});

test('tar.xz without the xz program says how to install it', async () => {
  const p = await makeSampleJre(join(dir, 'noxz.tar.xz'), { kind: 'tar.xz', fillerBytes: 1000 });
  const empty = mkdtempSync(join(dir, 'emptypath-'));
  const saved = process.env.PATH;
  process.env.PATH = empty;
  try {
    const err = await errorOf(list(p, 'tar.xz'));
    assert.equal(err.code, 'ARCHIVE_UNREADABLE');
    assert.match(err.message, /xz program is not installed/);
    assert.match(err.fix, /xz-utils/);
  } finally {
    process.env.PATH = saved;
  }
});
