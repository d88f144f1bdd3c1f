import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EntryChecker, normaliseEntryPath, unsafeSymlinkReason, BOMB_MIN_BYTES } from './safety';
import { GuestprepError } from '../errors';
import type { ArchiveEntryInfo } from '../types';

const MB = 1024 * 1024;

function file(path: string, size = 10): ArchiveEntryInfo {
  return { path, type: 'file', size, mode: 0o644 };
}
function symlink(path: string, target: string): ArchiveEntryInfo {
  return { path, type: 'symlink', size: 0, mode: 0o777, linkTarget: target };
}
function hardlink(path: string, target: string): ArchiveEntryInfo {
  return { path, type: 'hardlink', size: 0, mode: 0o644, linkTarget: target };
}

function refusal(entries: ArchiveEntryInfo[], opts: { root?: string; archiveBytes?: number; maxBytes?: number; compressed?: number } = {}): string | undefined {
  const c = new EntryChecker({ archiveName: 'a.tar.gz', root: opts.root ?? '', archiveBytes: opts.archiveBytes ?? 1e9, maxBytes: opts.maxBytes });
  try {
    for (const e of entries) c.check(e, opts.compressed);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof GuestprepError, String(err));
    assert.ok(err.fix.length > 0);
    return `${err.code}: ${err.message}`;
  }
}

test('entry paths are normalised but traversal is kept for the checks', () => {
  assert.equal(normaliseEntryPath('./jdk/bin/java'), 'jdk/bin/java');
  assert.equal(normaliseEntryPath('././/jdk//bin/./java'), 'jdk/bin/java');
  assert.equal(normaliseEntryPath('jdk/lib/'), 'jdk/lib');
  assert.equal(normaliseEntryPath('./'), '');
  assert.equal(normaliseEntryPath('/etc/passwd'), '/etc/passwd');
  assert.equal(normaliseEntryPath('jdk/../../x'), 'jdk/../../x');
});

test('safe archives pass', () => {
  assert.equal(refusal([
    { path: 'jdk', type: 'directory', size: 0, mode: 0o755 },
    file('jdk/bin/java'),
    file('jdk/legal/java.base/LICENSE'),
    symlink('jdk/legal/java.logging/LICENSE', '../java.base/LICENSE'),
    symlink('jdk/lib/self', '.'),
    symlink('jdk/lib/sibling', 'jvm.cfg'),
    hardlink('jdk/bin/java2', 'jdk/bin/java'),
  ], { root: 'jdk' }), undefined);
});

test('hostile entries are refused, naming the entry', () => {
  const cases: Array<[ArchiveEntryInfo[], RegExp, string?]> = [
    [[file('/etc/passwd')], /"\/etc\/passwd" has an absolute path/],
    [[file('C:/Windows/x')], /absolute path/],
    [[file('jdk/../../etc/x')], /"jdk\/\.\.\/\.\.\/etc\/x" climbs out/],
    [[{ path: 'jdk/dev', type: 'other', size: 0, mode: 0o644 }], /device, FIFO/],
    [[symlink('jdk/l', '/etc')], /symlink to the absolute path "\/etc"/],
    [[symlink('jdk/l', '../..')], /points outside the archive/],
    [[symlink('jdk/a/b/l', 'x/../../../..')], /goes down then up/],
    [[symlink('jdk/l', '')], /empty target/],
    // inside the archive but outside the folder that is copied
    [[symlink('jdk/l', '../README')], /points outside "jdk"/, 'jdk'],
    [[symlink('jdk/d', 'sub'), file('jdk/d/x')], /below "jdk\/d", which the archive made a symlink/],
    [[hardlink('jdk/x', '/etc/shadow')], /hard link to "\/etc\/shadow"/],
    [[hardlink('jdk/x', '../etc/shadow')], /hard link/],
    [[file('README'), hardlink('jdk/x', 'README')], /outside "jdk"/, 'jdk'],
    [[symlink('jdk/a/b/s', '../x'), hardlink('jdk/s2', 'jdk/a/b/s')], /hard link to the symlink/],
    [[symlink('jdk/d', 'sub'), hardlink('jdk/y', 'jdk/d/x')], /through the symlink "jdk\/d"/],
  ];
  for (const [entries, message, root] of cases) {
    const r = refusal(entries, { root });
    assert.ok(r, `not refused: ${JSON.stringify(entries)}`);
    assert.match(r, /^ARCHIVE_UNSAFE_ENTRY: a\.tar\.gz: the entry /);
    assert.match(r, message);
  }
});

test('symlink targets climbing exactly to the root are fine, one more is not', () => {
  assert.equal(unsafeSymlinkReason('a/b/c/l', '../../..', ''), undefined);
  assert.match(unsafeSymlinkReason('a/b/c/l', '../../../..', '') ?? '', /outside/);
  assert.equal(unsafeSymlinkReason('jdk/b/l', '../x', 'jdk'), undefined);
  assert.match(unsafeSymlinkReason('jdk/b/l', '../../x', 'jdk') ?? '', /outside "jdk"/);
});

test('accepted symlinks never resolve outside their root (property)', () => {
  const seg = fc.constantFrom('..', '.', 'a', 'b', 'lib', '');
  fc.assert(fc.property(
    fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 4 }),
    fc.array(seg, { minLength: 1, maxLength: 7 }),
    (dirs, targetParts) => {
      const linkPath = ['root', ...dirs, 'link'].join('/');
      const target = targetParts.join('/');
      if (unsafeSymlinkReason(linkPath, target, 'root') !== undefined) return;
      // Resolve lexically (no symlinks involved here): the result must stay at or under root/.
      const stack = ['root', ...dirs];
      for (const p of target.split('/')) {
        if (p === '' || p === '.') continue;
        if (p === '..') stack.pop();
        else stack.push(p);
        assert.ok(stack.length >= 1 && stack[0] === 'root', `${linkPath} -> ${target} escapes`);
      }
    },
  ), { numRuns: 2000 });
});

test('sizes: total limit, zip entry ratio, tar stream ratio', () => {
  assert.match(refusal([file('a', 3 * MB), file('b', 3 * MB)], { maxBytes: 5 * MB }) ?? '', /^ARCHIVE_TOO_LARGE: a\.tar\.gz unpacks to more than 5\.0 MiB/);
  assert.equal(refusal([file('a', 3 * MB)], { maxBytes: 5 * MB }), undefined);
  // zip: a 150 MB entry stored in 100 KB
  assert.match(refusal([file('bomb', 150 * MB)], { compressed: 100 * 1024 }) ?? '', /zip bomb/);
  // big but plausible ratio, or absurd ratio but small: fine
  assert.equal(refusal([file('big', 150 * MB)], { compressed: 50 * MB }), undefined);
  assert.equal(refusal([file('small', 50 * MB)], { compressed: 1024 }), undefined);
  // tar streams: the whole stream's ratio against the archive size
  assert.match(refusal([file('a', 60 * MB), file('b', 60 * MB)], { archiveBytes: 100 * 1024 }) ?? '', /decompression bomb/);
  assert.equal(refusal([file('a', BOMB_MIN_BYTES + 1)], { archiveBytes: 50 * MB }), undefined);
  // the second pass (checkSizes: false) ignores sizes
  const c = new EntryChecker({ archiveName: 'x', root: '', archiveBytes: 1, maxBytes: 1, checkSizes: false });
  c.check(file('a', 500 * MB));
});
