import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectArchiveKind, kindFromHeader } from './kind';
import { GuestprepError } from '../errors';
import { makeSampleJre } from '../../sample/archives';
import type { ArchiveKind } from '../types';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-kind-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function code(err: unknown): string | undefined {
  return err instanceof GuestprepError ? err.code : undefined;
}

test('kindFromHeader reads magic bytes', () => {
  assert.equal(kindFromHeader(Buffer.from([0x1f, 0x8b, 8, 0])), 'tar.gz');
  assert.equal(kindFromHeader(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 4])), 'tar.xz');
  assert.equal(kindFromHeader(Buffer.from('PK\u0003\u0004rest', 'latin1')), 'zip');
  assert.equal(kindFromHeader(Buffer.from('PK\u0005\u0006' + '\u0000'.repeat(18), 'latin1')), 'zip');
  const tarHead = Buffer.alloc(512);
  tarHead.write('ustar\u000000', 257, 'latin1');
  assert.equal(kindFromHeader(tarHead), 'tar');
  const gnuHead = Buffer.alloc(512);
  gnuHead.write('ustar  \u0000', 257, 'latin1');
  assert.equal(kindFromHeader(gnuHead), 'tar');
  assert.equal(kindFromHeader(Buffer.from('BZh91AY&SY')), undefined);
  assert.equal(kindFromHeader(Buffer.alloc(0)), undefined);
  assert.equal(kindFromHeader(Buffer.alloc(100)), undefined);
});

test('the content decides, not the name', async () => {
  for (const kind of ['tar.gz', 'tar.xz', 'tar', 'zip'] as ArchiveKind[]) {
    const p = await makeSampleJre(join(dir, `real.${kind}`), { kind, fillerBytes: 1000 });
    const misnamed = join(dir, `misnamed-${kind.replace('.', '')}.zip.download`);
    renameSync(p, misnamed);
    assert.equal(await detectArchiveKind(misnamed), kind);
  }
});

test('unsupported files are refused with the accepted formats in the fix', async () => {
  const cases: Array<[string, Buffer | string, RegExp]> = [
    ['page.tar.gz', '<html>404</html>', /not an archive Guestprep can read/],
    ['jre.tar.bz2', Buffer.from('BZh91AY&SY\u0000\u0000', 'latin1'), /bzip2/],
    ['empty.zip', Buffer.alloc(0), /empty file/],
    ['setup.exe', Buffer.from('MZ\u0090\u0000', 'latin1'), /Windows program/],
  ];
  for (const [name, content, message] of cases) {
    const p = join(dir, name);
    writeFileSync(p, content);
    await assert.rejects(detectArchiveKind(p), (err: unknown) => {
      assert.equal(code(err), 'ARCHIVE_FORMAT_UNSUPPORTED');
      assert.match((err as Error).message, message);
      assert.match((err as GuestprepError).fix, /\.tar\.gz.*\.tgz.*\.tar\.xz.*\.zip/);
      return true;
    });
  }
});

test('missing, folder and unreadable paths have their own errors', async () => {
  await assert.rejects(detectArchiveKind(join(dir, 'nope.tar.gz')), (e: unknown) => code(e) === 'ARCHIVE_NOT_FOUND');
  await assert.rejects(detectArchiveKind(dir), (e: unknown) => code(e) === 'ARCHIVE_UNREADABLE');
  if (process.getuid?.() !== 0) {
    const p = join(dir, 'secret.tar.gz');
    writeFileSync(p, 'x');
    chmodSync(p, 0);
    await assert.rejects(detectArchiveKind(p), (e: unknown) => code(e) === 'ARCHIVE_UNREADABLE');
  }
});
