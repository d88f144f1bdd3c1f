import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { makeHostileArchive, makeSampleJre, makeSampleProactive, spreadFiller } from './archives';
import { restreamAsTar } from '../engine/archive/restream';
import { detectArchiveKind } from '../engine/archive/kind';
import { detectJre, detectProactive } from '../engine/archive/detect';

let dir: string;
let n = 0;
before(() => { dir = mkdtempSync(join(tmpdir(), 'guestprep-samples-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (): string => { const d = join(dir, String(n++)); mkdirSync(d); return d; };

/** Unpacks the archive's home into `into` with our restream and the host's GNU tar. */
async function unpack(archive: string, home: string, into: string): Promise<void> {
  mkdirSync(into, { recursive: true });
  const kind = await detectArchiveKind(archive);
  const child = spawn('tar', ['-xf', '-', '-C', into], { stdio: ['pipe', 'ignore', 'inherit'] });
  restreamAsTar(archive, kind, { stripPrefix: home }).pipe(child.stdin);
  const code = await new Promise((r) => child.once('close', r));
  assert.equal(code, 0);
}

function record(home: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of readFileSync(join(home, 'logs/guestprep-record.txt'), 'utf8').split('\n')) {
    if (line === '') continue;
    const i = line.indexOf('=');
    const key = i < 0 ? line : line.slice(0, i);
    (out[key] ??= []).push(i < 0 ? '' : line.slice(i + 1));
  }
  return out;
}

function run(script: string, args: string[], env: Record<string, string>) {
  // Run through the script's own #!/bin/sh (dash on Debian), with a clean environment.
  return spawnSync(script, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 10_000 });
}

test('real-looking names when given a folder; a file path is used as is', async () => {
  const d = fresh();
  const names = await Promise.all([
    makeSampleJre(d),
    makeSampleJre(d, { os: 'windows' }),
    makeSampleJre(d, { arch: 'i386', version: '1.8.0_392', kind: 'tar.xz' }),
    makeSampleProactive(d, { generation: 'modern' }),
    makeSampleProactive(d, { generation: 'legacy' }),
    makeSampleJre(join(d, 'custom-name.bin'), { kind: 'zip' }),
  ]);
  assert.deepEqual(names.map((p) => basename(p)), [
    'OpenJDK17U-jre_x64_linux.tar.gz',
    'OpenJDK17U-jre_x64_windows.zip',
    'OpenJDK8U-jre_x86-32_linux.tar.xz',
    'activeeon_enterprise-node-linux-x64-13.0.0.zip',
    'ProActiveScheduling-3.3.2_bin.tar.gz',
    'custom-name.bin',
  ]);
  assert.equal(await detectArchiveKind(names[5]!), 'zip');
});

test('filler is random (does not compress) and sized as asked', async () => {
  const p = await makeSampleJre(fresh(), { fillerBytes: 5 * 1024 * 1024 });
  assert.ok(statSync(p).size > 5 * 1024 * 1024, `archive is ${statSync(p).size} bytes`);
  assert.equal((await detectJre(p)).unpackedBytes > 5 * 1024 * 1024, true);
});

test('the fake scripts are valid POSIX sh (dash -n)', async () => {
  const jre = join(fresh(), 'jre');
  await unpack(await makeSampleJre(fresh()), 'jdk-17.0.9+9-jre', jre);
  const modern = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'modern' }), 'activeeon_enterprise-node-linux-x64-13.0.0', modern);
  const legacy = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'legacy' }), 'ProActiveScheduling-3.3.2_bin', legacy);
  for (const s of [join(jre, 'bin/java'), join(modern, 'bin/proactive-node'), join(legacy, 'bin/unix/rm-start-node')]) {
    const r = spawnSync('dash', ['-n', s], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
    assert.equal(statSync(s).mode & 0o777, 0o755);
  }
});

test('modern start script: record, then JAVA_HOME java with the arguments', async () => {
  const jre = join(fresh(), 'jre');
  await unpack(await makeSampleJre(fresh()), 'jdk-17.0.9+9-jre', jre);
  const home = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'modern' }), 'activeeon_enterprise-node-linux-x64-13.0.0', home);
  mkdirSync(join(home, 'logs'));
  const script = join(home, 'bin/proactive-node');
  const args = ['-r', 'pnp://rm.example.org:64738', '-s', 'Default', '-n', 'node with spaces', '-w', '4', '-f', '/opt/p/c.cred', 'back\\slash\\n'];
  const r = run(script, args, {
    JAVA_HOME: jre, JAVA_OPTS: '-Xmx512m -XX:+IgnoreUnrecognizedVMOptions', GUESTPREP_FAKE_JAVA_NOSLEEP: '1',
  });
  assert.equal(r.status, 0, r.stderr);
  const rec = record(home);
  assert.deepEqual(rec['start-script'], [script]);
  assert.deepEqual(rec.user, [userInfo().username]);
  assert.deepEqual(rec['java-home'], [jre]);
  assert.deepEqual(rec['java-opts'], ['-Xmx512m -XX:+IgnoreUnrecognizedVMOptions']);
  assert.deepEqual(rec.arg, args);
  assert.match(rec['started-at']![0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(rec['java-ran'], ['']);
  assert.deepEqual(rec['java-path'], [join(jre, 'bin/java')]);
  assert.deepEqual(rec['java-arg'], [
    '-Xmx512m', '-XX:+IgnoreUnrecognizedVMOptions', '-cp', `${home}/lib/*`,
    'org.ow2.proactive.resourcemanager.utils.RMNodeStarter', ...args,
  ]);
});

test('modern start script prefers the bundled jre/ over JAVA_HOME', async () => {
  const home = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'modern', bundledJre: true }), 'activeeon_enterprise-node-linux-x64-13.0.0', home);
  mkdirSync(join(home, 'logs'));
  const r = run(join(home, 'bin/proactive-node'), ['-r', 'pnp://x:64738'], { JAVA_HOME: '/nonexistent', GUESTPREP_FAKE_JAVA_NOSLEEP: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(record(home)['java-path'], [join(home, 'jre/bin/java')]);
});

test('modern without jre/ nor JAVA_HOME, and without logs/: fails clearly', async () => {
  const home = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'modern' }), 'activeeon_enterprise-node-linux-x64-13.0.0', home);
  const noLogs = run(join(home, 'bin/proactive-node'), [], {});
  assert.notEqual(noLogs.status, 0);
  assert.match(noLogs.stderr, /cannot write .*guestprep-record\.txt/);
  mkdirSync(join(home, 'logs'));
  const noJava = run(join(home, 'bin/proactive-node'), [], {});
  assert.equal(noJava.status, 1);
  assert.match(record(home).error![0]!, /JAVA_HOME is not set/);
});

test('legacy rm-start-node: JAVA_HOME java, and an error line without JAVA_HOME', async () => {
  const jre = join(fresh(), 'jre');
  await unpack(await makeSampleJre(fresh(), { version: '1.8.0_392' }), 'jdk8u392-b08-jre', jre);
  const home = join(fresh(), 'node');
  await unpack(await makeSampleProactive(fresh(), { generation: 'legacy', kind: 'zip' }), 'ProActiveScheduling-3.3.2_bin', home);
  mkdirSync(join(home, 'logs'));
  const script = join(home, 'bin/unix/rm-start-node');
  const args = ['-r', 'rmi://rm:1099', '-n', 'n1', '-s', 'Default'];
  const ok = run(script, args, { JAVA_HOME: jre, GUESTPREP_FAKE_JAVA_NOSLEEP: '1' });
  assert.equal(ok.status, 0, ok.stderr);
  let rec = record(home);
  assert.deepEqual(rec['start-script'], [script]);
  assert.deepEqual(rec.arg, args);
  assert.deepEqual(rec['java-opts'], ['']);
  assert.deepEqual(rec['java-path'], [join(jre, 'bin/java')]);
  assert.deepEqual(rec['java-arg'], ['-cp', `${home}/dist/lib/*`, 'org.ow2.proactive.resourcemanager.utils.RMNodeStarter', ...args]);
  const bad = run(script, args, {});
  assert.equal(bad.status, 1);
  rec = record(home);
  assert.deepEqual(rec.error, ['JAVA_HOME is not set']);
  assert.equal(rec['start-script']!.length, 2);
});

test('the fake java keeps running like a node unless told not to, and answers -version', async () => {
  const jre = join(fresh(), 'jre');
  await unpack(await makeSampleJre(fresh()), 'jdk-17.0.9+9-jre', jre);
  const v = run(join(jre, 'bin/java'), ['-version'], {});
  assert.equal(v.status, 0);
  assert.match(v.stderr, /version "17\.0\.9"/);
  const logs = fresh();
  const child = spawn(join(jre, 'bin/java'), ['a'], { env: { PATH: process.env.PATH, GUESTPREP_RECORD: join(logs, 'r.txt') }, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(child.exitCode, null, 'java stopped instead of running on');
  child.kill();
  await new Promise((r) => child.once('close', r));
  assert.match(readFileSync(join(logs, 'r.txt'), 'utf8'), /^java-ran\njava-path=.*\njava-arg=a\n$/);
});

test('hostile archives are written for every case', async () => {
  const d = fresh();
  for (const c of ['dotdot', 'absolute', 'symlink-out', 'symlink-abs', 'hardlink-out', 'device', 'corrupt-gz', 'corrupt-zip', 'not-an-archive'] as const) {
    const p = await makeHostileArchive(d, c);
    assert.ok(statSync(p).size > 0, c);
  }
  assert.equal(readdirSync(d).length, 9);
});

test('detection and the generator agree on every kind, OS and CPU', async () => {
  for (const kind of ['tar.gz', 'tar.xz', 'tar', 'zip'] as const) {
    for (const arch of ['x86_64', 'i386', 'aarch64'] as const) {
      const info = await detectJre(await makeSampleJre(fresh(), { kind, arch, fillerBytes: 1024 }));
      assert.deepEqual([info.kind, info.arch, info.os], [kind, arch, 'linux']);
    }
  }
  const pa = await detectProactive(await makeSampleProactive(fresh(), { generation: 'legacy', version: '3.4.1', kind: 'tar' }));
  assert.deepEqual([pa.kind, pa.version, pa.home], ['tar', '3.4.1', 'ProActiveScheduling-3.4.1_bin']);
});

test('spread filler: exactly the bytes asked, 40 % in 2 MiB files and the rest in small ones', () => {
  for (const total of [20 * 1024 * 1024, 40 * 1024 * 1024 + 12345, 3000]) {
    const entries = spreadFiller('lib/ext/filler', total);
    const sizes = entries.map((e) => ('content' in e ? (e.content as { random: number }).random : -1));
    assert.equal(sizes.reduce((a, b) => a + b, 0), total);
    const large = sizes.filter((n) => n === 2 * 1024 * 1024).reduce((a, b) => a + b, 0);
    assert.ok(large <= total * 0.4 && large > total * 0.4 - 2 * 1024 * 1024, `${large} of ${total}`);
    assert.ok(sizes.every((n) => n === 2 * 1024 * 1024 || n <= 700 * 1024));
    assert.equal(new Set(entries.map((e) => e.path)).size, entries.length, 'names are unique');
    assert.ok(entries.every((e) => /^lib\/ext\/filler-\d+\.jar$/.test(e.path)));
  }
  assert.ok(spreadFiller('x', 20 * 1024 * 1024).length > 60, 'many files, as real archives have');
});
