import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkArchivesForGuest, checkJreForGuest, checkProactiveForGuest, detectJre, detectProactive, startScriptForGuest } from './detect';
import { GuestprepError } from '../errors';
import { elfStub, makeHostileArchive, makeSampleJre, makeSampleProactive, writeArchive, type HostileCase } from '../../sample/archives';
import type { ArchiveKind } from '../types';

let dir: string;
let n = 0;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-detect-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (): string => { const d = join(dir, String(n++)); mkdirSync(d); return d; };

async function errorOf(p: Promise<unknown>): Promise<GuestprepError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GuestprepError, `not a GuestprepError: ${String(err)}`);
    assert.ok(err.fix.length > 10);
    return err;
  }
  assert.fail('expected an error');
}

for (const kind of ['tar.gz', 'tar.xz', 'tar', 'zip'] as ArchiveKind[]) {
  test(`${kind}: a JRE with a release file`, async () => {
    const p = await makeSampleJre(fresh(), { kind, fillerBytes: 100 * 1024 });
    assert.match(p, new RegExp(`OpenJDK17U-jre_x64_linux\\.${kind.replace('.', '\\.')}$`));
    const info = await detectJre(p);
    assert.equal(info.archivePath, p);
    assert.equal(info.kind, kind);
    assert.equal(info.home, 'jdk-17.0.9+9-jre');
    assert.equal(info.version, '17.0.9');
    assert.equal(info.major, 17);
    assert.equal(info.os, 'linux');
    assert.equal(info.arch, 'x86_64');
    assert.equal(info.source, 'release-file');
    assert.ok(info.unpackedBytes >= 100 * 1024 && info.unpackedBytes < 120 * 1024, String(info.unpackedBytes));
    assert.equal(info.entryCount, 15);
    assert.ok(info.tarBytes! > info.unpackedBytes);
  });
}

test('Java 8 with amd64 in its release file', async () => {
  const info = await detectJre(await makeSampleJre(fresh(), { version: '1.8.0_392' }));
  assert.deepEqual([info.home, info.version, info.major, info.arch, info.source], ['jdk8u392-b08-jre', '1.8.0_392', 8, 'x86_64', 'release-file']);
});

test('Windows, i386 and aarch64 runtimes', async () => {
  const win = await detectJre(await makeSampleJre(fresh(), { os: 'windows' }));
  assert.deepEqual([win.kind, win.os, win.arch], ['zip', 'windows', 'x86_64']);
  const x86 = await detectJre(await makeSampleJre(fresh(), { arch: 'i386', version: '1.8.0_392' }));
  assert.equal(x86.arch, 'i386');
  const arm = await detectJre(await makeSampleJre(fresh(), { arch: 'aarch64' }));
  assert.equal(arm.arch, 'aarch64');
  // without a release file, the PE header of java.exe tells
  const winNoRel = await detectJre(await makeSampleJre(fresh(), { os: 'windows', arch: 'i386', withRelease: false }));
  assert.deepEqual([winNoRel.os, winNoRel.arch, winNoRel.source], ['windows', 'i386', 'inferred']);
});

test('without a release file: ELF header and names', async () => {
  const elf = await detectJre(await makeSampleJre(fresh(), { withRelease: false, javaBinary: 'elf', arch: 'aarch64' }));
  assert.deepEqual([elf.version, elf.major, elf.os, elf.arch, elf.source], ['17.0.9', 17, 'linux', 'aarch64', 'inferred']);
  // a script java: Linux, the CPU from the archive name (OpenJDK17U-jre_x64_linux)
  const script = await detectJre(await makeSampleJre(fresh(), { withRelease: false }));
  assert.deepEqual([script.os, script.arch, script.source], ['linux', 'x86_64', 'inferred']);
  // ... and unknown when the name says nothing
  const bare = join(fresh(), 'runtime.tar.gz');
  await writeArchive(bare, 'tar.gz', [{ path: 'rt/bin/java', mode: 0o755, content: '#!/bin/sh\n' }]);
  const b = await detectJre(bare);
  assert.deepEqual([b.home, b.version, b.major, b.os, b.arch], ['rt', 'unknown', 0, 'linux', 'unknown']);
});

test('a JDK 8 (bin/java and jre/bin/java): the outer home wins; runtimes at the root and in macOS layout', async () => {
  const jdk = join(fresh(), 'jdk.tar.gz');
  await writeArchive(jdk, 'tar.gz', [
    { path: 'jdk1.8.0_392/jre/bin/java', content: elfStub('x86_64'), mode: 0o755 },
    { path: 'jdk1.8.0_392/bin/java', content: elfStub('x86_64'), mode: 0o755 },
    { path: 'jdk1.8.0_392/release', content: 'JAVA_VERSION="1.8.0_392"\nOS_NAME="Linux"\nOS_ARCH="amd64"\n' },
  ]);
  const j = await detectJre(jdk);
  assert.deepEqual([j.home, j.version, j.source], ['jdk1.8.0_392', '1.8.0_392', 'release-file']);
  const root = join(fresh(), 'flat.zip');
  await writeArchive(root, 'zip', [{ path: 'bin/java', content: elfStub('x86_64'), mode: 0o755 }, { path: 'lib/x', content: 'x' }]);
  const r = await detectJre(root);
  assert.deepEqual([r.home, r.arch, r.entryCount], ['', 'x86_64', 2]);
  const mac = join(fresh(), 'OpenJDK17U-jre_x64_mac.tar.gz');
  await writeArchive(mac, 'tar.gz', [{ path: 'jdk-17.0.9+9-jre/Contents/Home/bin/java', content: '#!/bin/sh\n', mode: 0o755 }]);
  const m = await detectJre(mac);
  assert.deepEqual([m.home, m.os], ['jdk-17.0.9+9-jre/Contents/Home', 'macos']);
});

test('not a JRE: JRE_NOT_FOUND, with a hint when it is the ProActive archive', async () => {
  const other = join(fresh(), 'docs.zip');
  await writeArchive(other, 'zip', [{ path: 'docs/readme.txt', content: 'hi' }]);
  const e1 = await errorOf(detectJre(other));
  assert.equal(e1.code, 'JRE_NOT_FOUND');
  assert.match(e1.message, /no bin\/java/);
  assert.match(e1.fix, /OpenJDK17U-jre_x64_linux\.tar\.gz/);
  const pa = await makeSampleProactive(fresh(), { generation: 'modern' });
  const e2 = await errorOf(detectJre(pa));
  assert.equal(e2.code, 'JRE_NOT_FOUND');
  assert.match(e2.message, /ProActive node distribution/);
});

for (const kind of ['zip', 'tar.gz'] as ArchiveKind[]) {
  test(`${kind}: ProActive 6.2+ and 3.x`, async () => {
    const modern = await detectProactive(await makeSampleProactive(fresh(), { generation: 'modern', kind }));
    assert.equal(modern.home, 'activeeon_enterprise-node-linux-x64-13.0.0');
    assert.equal(modern.generation, 'modern');
    assert.equal(modern.version, '13.0.0');
    assert.equal(modern.startScript, 'bin/proactive-node');
    assert.equal(modern.windowsStartScript, 'bin/proactive-node.bat');
    assert.equal(modern.bundledJre, undefined);
    assert.equal(modern.kind, kind);
    const legacy = await detectProactive(await makeSampleProactive(fresh(), { generation: 'legacy', kind }));
    assert.deepEqual([legacy.home, legacy.generation, legacy.version, legacy.startScript, legacy.windowsStartScript],
      ['ProActiveScheduling-3.3.2_bin', 'legacy', '3.3.2', 'bin/unix/rm-start-node', 'bin/windows/rm-start-node.bat']);
  });
}

test('a bundled jre/ is reported; versions from jars or the archive name', async () => {
  const withJre = await detectProactive(await makeSampleProactive(fresh(), { generation: 'modern', version: '14.1.0', bundledJre: true }));
  assert.deepEqual(withJre.bundledJre, { major: 17, version: '17.0.9', os: 'linux', arch: 'x86_64' });
  assert.equal(withJre.version, '14.1.0');
  const noVersionDir = join(fresh(), 'node.zip');
  await writeArchive(noVersionDir, 'zip', [
    { path: 'node/bin/proactive-node', content: '#!/bin/sh\n', mode: 0o755 },
    { path: 'node/lib/log4j-1.2.17.jar', content: 'x' },
    { path: 'node/lib/rm-node-12.0.4.jar', content: 'x' },
  ]);
  assert.equal((await detectProactive(noVersionDir)).version, '12.0.4');
  const byName = join(fresh(), 'activeeon_enterprise-node-linux-x64-10.1.0.tar.gz');
  await writeArchive(byName, 'tar.gz', [{ path: 'bin/proactive-node', content: '#!/bin/sh\n', mode: 0o755 }]);
  const b = await detectProactive(byName);
  assert.deepEqual([b.home, b.version], ['', '10.1.0']);
  const none = join(fresh(), 'node.tar');
  await writeArchive(none, 'tar', [{ path: 'n/bin/unix/rm-start-node', content: '#!/bin/sh\n', mode: 0o755 }]);
  assert.equal((await detectProactive(none)).version, 'unknown');
});

test('not ProActive: PROACTIVE_NOT_FOUND', async () => {
  const jre = await makeSampleJre(fresh());
  const e1 = await errorOf(detectProactive(jre));
  assert.equal(e1.code, 'PROACTIVE_NOT_FOUND');
  assert.match(e1.message, /is a Java runtime/);
  const other = join(fresh(), 'x.tar.gz');
  await writeArchive(other, 'tar.gz', [{ path: 'x/y', content: 'z' }]);
  const e3 = await errorOf(detectProactive(other));
  assert.equal(e3.code, 'PROACTIVE_NOT_FOUND');
  assert.match(e3.message, /neither bin\/proactive-node nor bin\/proactive-node\.bat \(6\.2\+\), nor bin\/unix\/rm-start-node nor bin\/windows\/rm-start-node\.bat \(3\.x\)/);
  assert.match(e3.fix, /activeeon_enterprise-node-windows-x64-13\.0\.0\.zip/);
});

// Node distributions are made per OS: an archive with the start script of one OS only is a node archive;
// whether it fits is decided against the guest.
const LAYOUT_CASES = [
  ['modern', 'windows', { windowsStartScript: 'bin/proactive-node.bat' }, 'activeeon_enterprise-node-windows-x64-13.0.0'],
  ['modern', 'linux', { startScript: 'bin/proactive-node' }, 'activeeon_enterprise-node-linux-x64-13.0.0'],
  ['legacy', 'windows', { windowsStartScript: 'bin/windows/rm-start-node.bat' }, 'ProActiveScheduling-3.3.2_bin'],
  ['legacy', 'linux', { startScript: 'bin/unix/rm-start-node' }, 'ProActiveScheduling-3.3.2_bin'],
] as const;
for (const [generation, scripts, want, home] of LAYOUT_CASES) {
  test(`ProActive ${generation}, ${scripts} start script only: detected, with only that script`, async () => {
    const info = await detectProactive(await makeSampleProactive(fresh(), { generation, scripts }));
    assert.equal(info.generation, generation);
    assert.equal(info.home, home);
    assert.deepEqual({ startScript: info.startScript, windowsStartScript: info.windowsStartScript }, { startScript: undefined, windowsStartScript: undefined, ...want });
  });
}

test('an archive with bin/proactive-node.bat alone is a 6.2+ node distribution', async () => {
  const winOnly = join(fresh(), 'win.zip');
  await writeArchive(winOnly, 'zip', [{ path: 'pa/bin/proactive-node.bat', content: 'x' }]);
  const w = await detectProactive(winOnly);
  assert.deepEqual([w.home, w.generation, w.startScript, w.windowsStartScript], ['pa', 'modern', undefined, 'bin/proactive-node.bat']);
});

const notFound = (re: RegExp, fix: RegExp) => (e: unknown) =>
  e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND' && re.test(e.message) && fix.test(e.fix);

test('checkProactiveForGuest: refused only when the archive lacks the start script of the guest\'s OS', async () => {
  const linuxGuest = { osType: 'linux', arch: 'x86_64' };
  const winGuest = { osType: 'windows', arch: 'x86_64' };
  const make = async (generation: 'modern' | 'legacy', scripts: 'both' | 'linux' | 'windows') =>
    detectProactive(await makeSampleProactive(fresh(), { generation, scripts }));
  const [modernWin, modernLinux, modernBoth, legacyWin, legacyLinux] = await Promise.all([
    make('modern', 'windows'), make('modern', 'linux'), make('modern', 'both'), make('legacy', 'windows'), make('legacy', 'linux'),
  ]);
  // What fits passes, and gives the script the plan calls.
  for (const [p, g] of [[modernWin, winGuest], [modernLinux, linuxGuest], [modernBoth, winGuest], [modernBoth, linuxGuest], [legacyWin, winGuest], [legacyLinux, linuxGuest]] as const) {
    assert.doesNotThrow(() => checkProactiveForGuest(p, g), `${p.archivePath} in ${g.osType}`);
  }
  assert.equal(startScriptForGuest(modernWin, 'windows'), 'bin/proactive-node.bat');
  assert.equal(startScriptForGuest(legacyLinux, 'linux'), 'bin/unix/rm-start-node');
  // A Linux guest with the Windows distribution: named, with the Linux download.
  assert.throws(() => checkProactiveForGuest(modernWin, linuxGuest), notFound(
    /^activeeon_enterprise-node-windows-x64-13\.0\.0\.zip is the ProActive node distribution for Windows: it has bin\\proactive-node\.bat but not bin\/proactive-node, the start script the node needs in this Linux guest\.$/,
    /activeeon_enterprise-node-linux-x64-13\.0\.0\.zip/));
  assert.throws(() => checkProactiveForGuest(modernLinux, winGuest), notFound(
    /for Linux: it has bin\/proactive-node but not bin\\proactive-node\.bat, the start script the node needs in this Windows guest/,
    /activeeon_enterprise-node-windows-x64-13\.0\.0\.zip/));
  assert.throws(() => checkProactiveForGuest(modernLinux, { osType: 'windows', arch: 'i386' }), notFound(/Windows guest/, /node-windows-x86-13\.0\.0\.zip/));
  assert.throws(() => checkProactiveForGuest(legacyWin, linuxGuest), notFound(
    /ProActiveScheduling-3\.3\.2_bin\.tar\.gz .*has bin\\windows\\rm-start-node\.bat but not bin\/unix\/rm-start-node/,
    /has bin\/unix\/rm-start-node \(e\.g\. ProActiveScheduling-3\.3\.2_bin\.tar\.gz, which has both start scripts\)/));
  assert.throws(() => checkProactiveForGuest(legacyLinux, winGuest), notFound(/but not bin\\windows\\rm-start-node\.bat/, /has bin\\windows\\rm-start-node\.bat/));
  // Guests of another OS are refused elsewhere (GUEST_UNSUPPORTED_OS), not here.
  assert.doesNotThrow(() => checkProactiveForGuest(modernWin, { osType: 'hurd', arch: 'x86_64' }));
  // All archives at once, in the order given: the JRE's misfit first, then the node's.
  const winJre = { os: 'windows' as const, arch: 'x86_64' as const, major: 17 };
  assert.deepEqual(checkArchivesForGuest({ jre: winJre, proactive: modernWin }, winGuest), []);
  assert.throws(() => checkArchivesForGuest({ jre: winJre, proactive: modernWin }, linuxGuest), (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_OS');
  assert.throws(() => checkArchivesForGuest({ proactive: modernWin }, linuxGuest), notFound(/for Windows/, /linux/));
});

const HOSTILE: Array<[HostileCase, string, ArchiveKind?]> = [
  ['dotdot', 'ARCHIVE_UNSAFE_ENTRY'],
  ['dotdot', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['absolute', 'ARCHIVE_UNSAFE_ENTRY'],
  ['absolute', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['symlink-out', 'ARCHIVE_UNSAFE_ENTRY'],
  ['symlink-out', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['symlink-abs', 'ARCHIVE_UNSAFE_ENTRY', 'tar.xz'],
  ['hardlink-out', 'ARCHIVE_UNSAFE_ENTRY'],
  ['device', 'ARCHIVE_UNSAFE_ENTRY'],
  ['device', 'ARCHIVE_UNSAFE_ENTRY', 'zip'],
  ['zip-bomb', 'ARCHIVE_TOO_LARGE'],
  ['corrupt-gz', 'ARCHIVE_CORRUPT'],
  ['corrupt-zip', 'ARCHIVE_CORRUPT'],
  ['not-an-archive', 'ARCHIVE_FORMAT_UNSUPPORTED'],
];
for (const [hostile, code, kind] of HOSTILE) {
  test(`hostile ${hostile}${kind ? ` (${kind})` : ''} is refused when picked: ${code}`, async () => {
    const p = await makeHostileArchive(fresh(), hostile, { kind });
    const err = await errorOf(detectJre(p));
    assert.equal(err.code, code, err.message);
    if (code === 'ARCHIVE_UNSAFE_ENTRY') assert.match(err.message, /the entry "[^"]+"/);
  });
}

test('checkJreForGuest: OS and CPU fit', () => {
  const linuxGuest = { osType: 'linux', arch: 'x86_64' };
  assert.deepEqual(checkJreForGuest({ os: 'linux', arch: 'x86_64', major: 17 }, linuxGuest), { warnings: [] });
  const wrongOs = (os: 'windows' | 'macos') => () => checkJreForGuest({ os, arch: 'x86_64', major: 17 }, linuxGuest);
  assert.throws(wrongOs('windows'), (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_OS' &&
    /built for Windows, but the guest runs Linux/.test(e.message) && /OpenJDK17U-jre_x64_linux/.test(e.fix));
  assert.throws(wrongOs('macos'), (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_OS');
  assert.throws(() => checkJreForGuest({ os: 'linux', arch: 'aarch64' }, linuxGuest),
    (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_ARCH' && /aarch64 CPUs, but the guest is x86_64/.test(e.message));
  assert.throws(() => checkJreForGuest({ os: 'linux', arch: 'x86_64' }, { osType: 'linux', arch: 'i386' }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_ARCH' && /x86-32/.test(e.fix));
  const i386 = checkJreForGuest({ os: 'linux', arch: 'i386' }, linuxGuest);
  assert.equal(i386.warnings.length, 1);
  assert.match(i386.warnings[0]!, /32-bit.*libc6:i386/);
  const unknown = checkJreForGuest({ os: 'unknown', arch: 'unknown' }, linuxGuest, 'The JRE bundled with ProActive');
  assert.equal(unknown.warnings.length, 2);
  assert.ok(unknown.warnings.every((w) => w.startsWith('The JRE bundled with ProActive')));
  // guest arch names as libguestfs gives them
  assert.deepEqual(checkJreForGuest({ os: 'linux', arch: 'x86_64' }, { osType: 'linux', arch: 'amd64' }), { warnings: [] });
});

test('a hard link to a file the archive lacks is refused naming the archive, the entry and the missing target', async () => {
  const f = join(fresh(), 'OpenJDK17U-jre_x64_linux.tar.gz');
  await writeArchive(f, 'tar.gz', [
    { path: 'jdk-17.0.9+9-jre/bin/java', content: elfStub('x86_64'), mode: 0o755 },
    { path: 'jdk-17.0.9+9-jre/release', content: 'JAVA_VERSION="17.0.9"\nOS_NAME="Linux"\nOS_ARCH="x86_64"\n' },
    { path: 'jdk-17.0.9+9-jre/lib/libjava.so', type: 'hardlink', target: 'jdk-17.0.9+9-jre/lib/gone.so' },
  ]);
  const e = await errorOf(detectJre(f));
  assert.equal(e.code, 'ARCHIVE_UNSAFE_ENTRY');
  assert.match(e.message, /^OpenJDK17U-jre_x64_linux\.tar\.gz: the entry "jdk-17\.0\.9\+9-jre\/lib\/libjava\.so" is a hard link to "jdk-17\.0\.9\+9-jre\/lib\/gone\.so", which is missing/);
});
