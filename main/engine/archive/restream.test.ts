import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { restreamAsTar, totalTarBytes } from './restream';
import { detectJre, detectProactive, scanArchive } from './detect';
import { GuestprepError } from '../errors';
import { makeHostileArchive, makeSampleJre, makeSampleProactive, writeArchive, type HostileCase } from '../../sample/archives';
import type { ArchiveKind } from '../types';

let dir: string;
let n = 0;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-restream-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (): string => { const d = join(dir, String(n++)); mkdirSync(d); return d; };

/** Pipes the stream into GNU tar, as guestfish's tar-in does in the appliance. */
async function untar(stream: Readable, into: string): Promise<number> {
  mkdirSync(into, { recursive: true });
  const child = spawn('tar', ['-xf', '-', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  let bytes = 0;
  stream.on('data', (c: Buffer) => { bytes += c.length; });
  const streamErr = new Promise<never>((_, reject) => stream.once('error', reject));
  stream.pipe(child.stdin);
  const code = await Promise.race([new Promise<number | null>((r) => child.once('close', r)), streamErr]);
  assert.equal(code, 0, stderr);
  return bytes;
}

async function headers(stream: Readable): Promise<tar.Header[]> {
  const ex = tar.extract();
  const out: tar.Header[] = [];
  const done = (async () => {
    for await (const e of ex) {
      out.push(e.header);
      for await (const _ of e) { /* drain */ }
    }
  })();
  const err = new Promise<never>((_, reject) => stream.once('error', reject));
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  await Promise.race([done, err]);
  return out;
}

async function errorOf(stream: Readable): Promise<GuestprepError> {
  try {
    for await (const _ of stream) { /* consume */ }
  } catch (err) {
    assert.ok(err instanceof GuestprepError, `not a GuestprepError: ${String(err)}`);
    return err;
  }
  assert.fail('expected the stream to fail');
}

for (const kind of ['tar.gz', 'tar.xz', 'tar', 'zip'] as ArchiveKind[]) {
  test(`${kind}: the JRE home unpacks with GNU tar, prefix stripped, exact length`, async () => {
    const p = await makeSampleJre(fresh(), { kind, fillerBytes: 512 * 1024 + 7 });
    const info = await detectJre(p);
    let reported = 0;
    const out = join(fresh(), 'jre');
    const bytes = await untar(restreamAsTar(p, kind, { stripPrefix: info.home, onBytes: (s) => { reported = s; } }), out);
    assert.equal(bytes, info.tarBytes);
    assert.equal(reported, bytes);
    assert.equal(statSync(join(out, 'bin/java')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(out, 'release')).mode & 0o7777, 0o644);
    assert.equal(statSync(join(out, 'lib/modules')).size, 512 * 1024 + 7);
    assert.equal(readlinkSync(join(out, 'legal/java.logging/LICENSE')), '../java.base/LICENSE');
    assert.match(readFileSync(join(out, 'legal/java.logging/LICENSE'), 'utf8'), /Classpath/);
    assert.ok(!existsSync(join(out, 'jdk-17.0.9+9-jre')));
  });
}

test('owners root, modes sanitised, parents added, outside entries skipped', async () => {
  const p = join(fresh(), 'odd.tar.gz');
  await writeArchive(p, 'tar.gz', [
    { path: 'README.txt', content: 'next to the top folder' },
    { path: 'top/bin/suid', mode: 0o4755, content: '#!/bin/sh\n' },
    { path: 'top/bin/gw', mode: 0o775, content: 'x' },
    { path: 'top/world', type: 'directory', mode: 0o1777 },
    { path: 'top/deep/er/file', mode: 0o666, content: 'x' },
    { path: 'top/bin', type: 'directory', mode: 0o700 }, // after bin/ was implied: first come wins
    { path: 'top/bin/h', type: 'hardlink', target: 'top/bin/gw' },
  ]);
  const scan = await scanArchive(p);
  const hs = await headers(restreamAsTar(p, 'tar.gz', { stripPrefix: 'top' }));
  assert.deepEqual(hs.map((h) => [h.name, h.type, h.mode.toString(8), h.uid, h.gid, h.uname, h.gname]), [
    ['bin/', 'directory', '755', 0, 0, 'root', 'root'],
    ['bin/suid', 'file', '755', 0, 0, 'root', 'root'],
    ['bin/gw', 'file', '755', 0, 0, 'root', 'root'],
    ['world/', 'directory', '755', 0, 0, 'root', 'root'],
    ['deep/', 'directory', '755', 0, 0, 'root', 'root'],
    ['deep/er/', 'directory', '755', 0, 0, 'root', 'root'],
    ['deep/er/file', 'file', '644', 0, 0, 'root', 'root'],
    ['bin/h', 'link', '755', 0, 0, 'root', 'root'],
  ]);
  assert.equal(hs[7]!.linkname, 'bin/gw');
  const out = join(fresh(), 'x');
  const bytes = await untar(restreamAsTar(p, 'tar.gz', { stripPrefix: 'top' }), out);
  assert.equal(bytes, totalTarBytes(scan.entries, 'top', scan.name));
  assert.equal(lstatSync(join(out, 'bin/h')).ino, lstatSync(join(out, 'bin/gw')).ino);
  // with no prefix, everything goes (README included)
  const all = await headers(restreamAsTar(p, 'tar.gz', { stripPrefix: '' }));
  assert.equal(all[0]!.name, 'README.txt');
  assert.equal(all[1]!.name, 'top/');
});

test('ProActive archives: modern (zip, with jre/) and legacy keep their layout', async () => {
  const modern = await makeSampleProactive(fresh(), { generation: 'modern', bundledJre: true });
  const m = await detectProactive(modern);
  const mo = join(fresh(), 'node');
  assert.equal(await untar(restreamAsTar(modern, m.kind, { stripPrefix: m.home }), mo), m.tarBytes);
  assert.equal(statSync(join(mo, 'bin/proactive-node')).mode & 0o777, 0o755);
  assert.equal(statSync(join(mo, 'jre/bin/java')).mode & 0o777, 0o755);
  assert.ok(!existsSync(join(mo, 'logs')));
  const legacy = await makeSampleProactive(fresh(), { generation: 'legacy', kind: 'tar.xz' });
  const l = await detectProactive(legacy);
  const lo = join(fresh(), 'node');
  assert.equal(await untar(restreamAsTar(legacy, l.kind, { stripPrefix: l.home }), lo), l.tarBytes);
  assert.ok(statSync(join(lo, 'dist/lib/ProActive.jar')).isFile());
});

const HOSTILE: Array<[HostileCase, string, ArchiveKind?]> = [
  ['dotdot', 'ARCHIVE_UNSAFE_ENTRY'],
  ['dotdot', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['absolute', 'ARCHIVE_UNSAFE_ENTRY', 'tar'],
  ['symlink-out', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['symlink-abs', 'ARCHIVE_UNSAFE_ENTRY'],
  ['hardlink-out', 'ARCHIVE_UNSAFE_ENTRY'],
  ['device', 'ARCHIVE_UNSAFE_ENTRY'],
  ['zip-bomb', 'ARCHIVE_TOO_LARGE'],
  ['corrupt-gz', 'ARCHIVE_CORRUPT'],
  ['corrupt-zip', 'ARCHIVE_CORRUPT'],
];
for (const [hostile, code, kind] of HOSTILE) {
  test(`restreaming refuses ${hostile}${kind ? ` (${kind})` : ''} even without detection: ${code}`, async () => {
    const p = await makeHostileArchive(fresh(), hostile, { kind });
    const k: ArchiveKind = p.endsWith('.zip') ? 'zip' : p.endsWith('.tar') ? 'tar' : 'tar.gz';
    const err = await errorOf(restreamAsTar(p, k, { stripPrefix: 'jdk-17.0.9+9-jre' }));
    assert.equal(err.code, code, err.message);
  });
}

test('a symlink leaving the copied folder (but not the archive) is refused', async () => {
  const p = join(fresh(), 'a.zip');
  await writeArchive(p, 'zip', [
    { path: 'README', content: 'x' },
    { path: 'jdk/bin/java', content: '#!/bin/sh\n', mode: 0o755 },
    { path: 'jdk/readme', type: 'symlink', target: '../README' },
  ]);
  const err = await errorOf(restreamAsTar(p, 'zip', { stripPrefix: 'jdk' }));
  assert.equal(err.code, 'ARCHIVE_UNSAFE_ENTRY');
  assert.match(err.message, /"jdk\/readme".*outside "jdk"/);
  // detection says the same, when the archive is picked
  await assert.rejects(detectJre(p), (e: unknown) => e instanceof GuestprepError && e.code === 'ARCHIVE_UNSAFE_ENTRY');
});

test('maxBytes limits what is unpacked', async () => {
  const p = await makeSampleJre(fresh(), { fillerBytes: 3 * 1024 * 1024 });
  const err = await errorOf(restreamAsTar(p, 'tar.gz', { stripPrefix: 'jdk-17.0.9+9-jre', maxBytes: 1024 * 1024 }));
  assert.equal(err.code, 'ARCHIVE_TOO_LARGE');
});

test('back-pressure: a reader that stops gets no more than a few buffers ahead', async () => {
  const p = await makeSampleJre(fresh(), { kind: 'zip', fillerBytes: 24 * 1024 * 1024 });
  let produced = 0;
  const s = restreamAsTar(p, 'zip', { stripPrefix: 'jdk-17.0.9+9-jre', onBytes: (b) => { produced = b; } });
  s.pause();
  s.read(0);
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(produced > 0, 'started producing');
  assert.ok(produced < 2 * 1024 * 1024, `produced ${produced} bytes without a reader`);
  s.destroy();
  await new Promise((r) => s.once('close', r));
});

test('abort: the stream fails with CANCELLED and xz is stopped', async () => {
  const p = await makeSampleJre(join(fresh(), `abort-${process.pid}.tar.xz`), { kind: 'tar.xz', fillerBytes: 8 * 1024 * 1024 });
  const ac = new AbortController();
  const s = restreamAsTar(p, 'tar.xz', { stripPrefix: 'jdk-17.0.9+9-jre', signal: ac.signal });
  let got = 0;
  const err = await new Promise<unknown>((resolve) => {
    s.on('data', (c: Buffer) => { got += c.length; if (got > 64 * 1024) ac.abort(); });
    s.once('error', resolve);
    s.once('end', () => resolve(undefined));
  });
  assert.ok(err instanceof GuestprepError && err.code === 'CANCELLED', String(err));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(spawnSync('pgrep', ['-f', p]).status, 1, 'xz still running');
  // an already-aborted signal fails at once
  const late = restreamAsTar(p, 'tar.xz', { stripPrefix: '', signal: AbortSignal.abort() });
  assert.equal((await errorOf(late)).code, 'CANCELLED');
});
