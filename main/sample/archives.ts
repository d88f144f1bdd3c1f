// Sample archives shaped like the real downloads (a Temurin-style JRE, the ProActive node 6.2+ and 3.x
// distributions) for `guestprep demo`, the tests and the benchmark. They hold POSIX sh stand-ins for
// `java` and the node start scripts that record how they were started, so a test can check what a
// booted guest really ran. Also hostile and damaged archives for the safety tests.
//
// What the stand-ins do (the convention other parts rely on):
// - <node home>/bin/proactive-node (6.2+) and <node home>/bin/unix/rm-start-node (3.x) append to
//   <node home>/logs/guestprep-record.txt (which must exist and be writable; they do not create it):
//   start-script=, user=, java-home=, java-opts=, one arg= per argument, started-at=; then exec java
//   (6.2+: <home>/jre/bin/java when <home>/jre exists, else $JAVA_HOME/bin/java; 3.x: $JAVA_HOME/bin/java,
//   and without JAVA_HOME an error= line and exit 1).
// - bin/java appends java-ran, java-path=<its own path>, one java-arg= per argument to the same record
//   (passed as GUESTPREP_RECORD), then sleeps like a running node (GUESTPREP_FAKE_JAVA_NOSLEEP=1: exits 0).

import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yazl from 'yazl';
import type { ArchiveKind } from '../engine/types';

// ------------------------------------------------------------------------------ generic writer

type Content = string | Buffer | { random: number } | { zeros: number };

export interface SampleFile { path: string; type?: 'file'; mode?: number; content?: Content }

export type SampleEntry =
  | SampleFile
  | { path: string; type: 'directory'; mode?: number }
  | { path: string; type: 'symlink' | 'hardlink'; target: string }
  | { path: string; type: 'character-device' | 'block-device' | 'fifo'; mode?: number };

/** Fixed date so that archives differ only by their random filler. */
const SAMPLE_MTIME = new Date('2023-10-17T12:00:00Z');
const CHUNK = 1024 * 1024;

function contentSize(c: Content | undefined): number {
  if (c === undefined) return 0;
  if (typeof c === 'string') return Buffer.byteLength(c);
  if (Buffer.isBuffer(c)) return c.length;
  return 'random' in c ? c.random : c.zeros;
}

async function* contentChunks(c: Content | undefined): AsyncGenerator<Buffer> {
  if (c === undefined) return;
  if (typeof c === 'string' || Buffer.isBuffer(c)) {
    yield Buffer.isBuffer(c) ? c : Buffer.from(c);
    return;
  }
  const random = 'random' in c;
  let left = random ? c.random : c.zeros;
  const zeros = random ? undefined : Buffer.alloc(Math.min(CHUNK, left));
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    // Random filler does not compress, so the archive is as large as its content (benchmark sizes).
    yield random ? randomFillSync(Buffer.allocUnsafe(n)) : zeros!.subarray(0, n);
    left -= n;
  }
}

async function writeAll(dest: Writable, chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of chunks) if (!dest.write(chunk)) await once(dest, 'drain');
}

async function writeTar(outPath: string, kind: 'tar' | 'tar.gz' | 'tar.xz', entries: SampleEntry[]): Promise<void> {
  const pack = tar.pack();
  const file = createWriteStream(outPath);
  const fileDone = once(file, 'finish');
  let compressorDone: Promise<unknown> = Promise.resolve();
  const failures: Promise<never>[] = [];
  const failOn = (s: NodeJS.EventEmitter): void => {
    failures.push(new Promise((_, reject) => s.once('error', reject)));
  };
  failOn(file);
  if (kind === 'tar.gz') {
    const gz = createGzip();
    failOn(gz);
    pack.pipe(gz as unknown as Writable);
    gz.pipe(file);
  } else if (kind === 'tar.xz') {
    // Node has no xz encoder; xz-utils is on every Debian/Ubuntu host. -0: the fastest (still ~8 MB/s
    // on random filler); the level does not matter to readers.
    const xz = spawn('xz', ['-z', '-c', '-0', '-T1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    failOn(xz);
    compressorDone = new Promise<void>((resolve, reject) =>
      xz.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`xz exited with ${code}`)))));
    pack.pipe(xz.stdin as unknown as Writable);
    xz.stdout.pipe(file);
  } else {
    pack.pipe(file as unknown as Writable);
  }

  const work = (async () => {
    for (const e of entries) {
      const base = { name: e.path, mtime: SAMPLE_MTIME, uname: 'root', gname: 'root' };
      if (e.type === 'directory') {
        await entryDone((cb) => pack.entry({ ...base, type: 'directory', mode: e.mode ?? 0o755 }, cb));
      } else if (e.type === 'symlink' || e.type === 'hardlink') {
        await entryDone((cb) =>
          pack.entry({ ...base, type: e.type === 'symlink' ? 'symlink' : 'link', linkname: e.target, mode: 0o777 }, cb));
      } else if (e.type === 'character-device' || e.type === 'block-device' || e.type === 'fifo') {
        await entryDone((cb) => pack.entry({ ...base, type: e.type, mode: e.mode ?? 0o644, devmajor: 1, devminor: 3 }, cb));
      } else {
        const f = e as SampleFile;
        let w: Writable | undefined;
        const done = entryDone((cb) => {
          w = pack.entry({ ...base, type: 'file', mode: f.mode ?? 0o644, size: contentSize(f.content) }, cb) as unknown as Writable;
        });
        await writeAll(w!, contentChunks(f.content));
        w!.end();
        await done;
      }
    }
    pack.finalize();
    await Promise.all([fileDone, compressorDone]);
  })();
  await Promise.race([work, ...failures]);
}

/** tar-stream calls an entry's callback once the entry is in the pack (void entries emit no 'finish'). */
function entryDone(start: (cb: (err?: Error | null) => void) => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    start((err) => (err ? reject(err) : resolve()));
  });
}

/** yazl refuses '..' and absolute names: write a same-length stand-in, then patch the bytes. */
function zipStandIn(p: string, used: Set<string>): string {
  let s = p.replace(/^\//, 'Q').split('/').map((part) => (part === '..' ? 'QQ' : part)).join('/');
  for (let i = 0; used.has(s); i++) s = s.slice(0, -1) + String.fromCharCode(97 + (i % 26));
  used.add(s);
  return s;
}

function needsStandIn(p: string): boolean {
  return p.startsWith('/') || p.split('/').includes('..');
}

async function writeZip(outPath: string, entries: SampleEntry[], compressionLevel = 6): Promise<void> {
  const zip = new yazl.ZipFile();
  const patches: Array<{ from: string; to: string }> = [];
  const used = new Set<string>();
  for (const e of entries) {
    let name = e.path;
    if (needsStandIn(name)) {
      const standIn = zipStandIn(name, used);
      patches.push({ from: standIn, to: name });
      name = standIn;
    }
    const opts = { mtime: SAMPLE_MTIME };
    if (e.type === 'directory') {
      zip.addEmptyDirectory(name, { ...opts, mode: 0o040000 | (e.mode ?? 0o755) });
    } else if (e.type === 'symlink') {
      zip.addBuffer(Buffer.from(e.target), name, { ...opts, mode: 0o120777, compress: false });
    } else if (e.type === 'hardlink') {
      throw new Error('zip archives have no hard links');
    } else if (e.type === 'character-device' || e.type === 'block-device' || e.type === 'fifo') {
      const fmt = e.type === 'character-device' ? 0o020000 : e.type === 'block-device' ? 0o060000 : 0o010000;
      zip.addBuffer(Buffer.alloc(0), name, { ...opts, mode: fmt | (e.mode ?? 0o644) });
    } else {
      const { content, mode: fileMode } = e as SampleFile;
      const mode = 0o100000 | (fileMode ?? 0o644);
      if (content === undefined || typeof content === 'string' || Buffer.isBuffer(content)) {
        const buf = content === undefined ? Buffer.alloc(0) : Buffer.isBuffer(content) ? content : Buffer.from(content);
        zip.addBuffer(buf, name, { ...opts, mode, compressionLevel });
      } else {
        zip.addReadStreamLazy(name, { ...opts, mode, size: contentSize(content), compressionLevel },
          (cb) => cb(null, Readable.from(contentChunks(content))));
      }
    }
  }
  const file = createWriteStream(outPath);
  const done = once(file, 'finish');
  zip.outputStream.pipe(file);
  zip.end();
  await Promise.race([done, once(zip, 'error').then(([err]) => { throw err; })]);
  if (patches.length > 0) {
    const buf = readFileSync(outPath);
    for (const { from, to } of patches) {
      const a = Buffer.from(from);
      const b = Buffer.from(to);
      let at = buf.indexOf(a);
      while (at >= 0) {
        b.copy(buf, at);
        at = buf.indexOf(a, at + a.length);
      }
    }
    writeFileSync(outPath, buf);
  }
}

/** Writes `entries` (in order) as an archive of `kind` at `outPath`. */
export async function writeArchive(outPath: string, kind: ArchiveKind, entries: SampleEntry[],
  opts: { zipCompressionLevel?: number } = {}): Promise<void> {
  if (kind === 'zip') await writeZip(outPath, entries, opts.zipCompressionLevel);
  else await writeTar(outPath, kind, entries);
}

// ------------------------------------------------------------------------------ stand-in programs

function fakeJavaScript(version: string): string {
  return `#!/bin/sh
# Sample "java" made by Guestprep's test kit: not a JVM. It records that it ran and its arguments,
# then keeps running like a node would (so a boot service sees a live process and does not restart it).
if [ "\${1:-}" = "-version" ]; then
  echo 'openjdk version "${version}" (Guestprep sample runtime, not a JVM)' >&2
  exit 0
fi
record() {
  printf 'java-ran\\n'
  printf 'java-path=%s\\n' "$0"
  for a in "$@"; do printf 'java-arg=%s\\n' "$a"; done
}
if [ -n "\${GUESTPREP_RECORD:-}" ]; then
  record "$@" >>"$GUESTPREP_RECORD" || exit 1
else
  record "$@"
fi
if [ "\${GUESTPREP_FAKE_JAVA_NOSLEEP:-}" = 1 ]; then exit 0; fi
exec sleep 100000
`;
}

/** The lines common to both start scripts: write the record, in <home>/logs (which must exist). */
function recordBlock(script: string): string {
  return `RECORD="$PA_HOME/logs/guestprep-record.txt"
{
  printf 'start-script=%s\\n' "$0"
  printf 'user=%s\\n' "$(id -un)"
  printf 'java-home=%s\\n' "\${JAVA_HOME:-}"
  printf 'java-opts=%s\\n' "\${JAVA_OPTS:-}"
  for a in "$@"; do printf 'arg=%s\\n' "$a"; done
  printf 'started-at=%s\\n' "$(date -u +%FT%TZ)"
} >>"$RECORD" || {
  echo "${script}: cannot write $RECORD (does $PA_HOME/logs exist, writable by $(id -un)?)" >&2
  exit 1
}
GUESTPREP_RECORD=$RECORD
export GUESTPREP_RECORD
`;
}

function modernStartScript(): string {
  return `#!/bin/sh
# Sample ProActive 6.2+ node start script made by Guestprep's test kit (not the real ProActive).
# Like the real one: its home is the parent of its bin folder, and it prefers the bundled jre/.
bindir=$(cd "$(dirname "$0")" && pwd) || exit 1
PA_HOME=$(dirname "$bindir")
${recordBlock('proactive-node')}if [ -d "$PA_HOME/jre" ]; then
  JAVA="$PA_HOME/jre/bin/java"
elif [ -n "\${JAVA_HOME:-}" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  printf 'error=no bundled jre/ and JAVA_HOME is not set\\n' >>"$RECORD"
  echo "proactive-node: no bundled jre/ and JAVA_HOME is not set" >&2
  exit 1
fi
# JAVA_OPTS is split on spaces on purpose, as the real scripts do.
exec "$JAVA" \${JAVA_OPTS:-} -cp "$PA_HOME/lib/*" org.ow2.proactive.resourcemanager.utils.RMNodeStarter "$@"
`;
}

function legacyStartScript(): string {
  return `#!/bin/sh
# Sample ProActive 3.x rm-start-node made by Guestprep's test kit (not the real ProActive).
# Like the real one: its home is two levels above bin/unix, and it needs JAVA_HOME.
bindir=$(cd "$(dirname "$0")" && pwd) || exit 1
PA_HOME=$(dirname "$(dirname "$bindir")")
${recordBlock('rm-start-node')}if [ -z "\${JAVA_HOME:-}" ]; then
  printf 'error=JAVA_HOME is not set\\n' >>"$RECORD"
  echo "rm-start-node: JAVA_HOME is not set" >&2
  exit 1
fi
exec "$JAVA_HOME/bin/java" \${JAVA_OPTS:-} -cp "$PA_HOME/dist/lib/*" org.ow2.proactive.resourcemanager.utils.RMNodeStarter "$@"
`;
}

function batScript(name: string): string {
  return ['@echo off', `rem Sample ${name} made by Guestprep's test kit (not the real ProActive).`,
    'echo This sample only runs on Linux guests.', 'exit /b 1', ''].join('\r\n');
}

export type SampleArch = 'x86_64' | 'i386' | 'aarch64';

const ELF_MACHINE: Record<SampleArch, { machine: number; class64: boolean }> = {
  x86_64: { machine: 0x3e, class64: true },
  i386: { machine: 0x03, class64: false },
  aarch64: { machine: 0xb7, class64: true },
};
const PE_MACHINE: Record<SampleArch, number> = { x86_64: 0x8664, i386: 0x14c, aarch64: 0xaa64 };

/** The first bytes of an ELF executable for `arch` (enough for detection; not runnable). */
export function elfStub(arch: SampleArch): Buffer {
  const b = Buffer.alloc(256);
  const m = ELF_MACHINE[arch];
  b.write('\u007fELF', 0, 'latin1');
  b[4] = m.class64 ? 2 : 1;
  b[5] = 1; // little endian
  b[6] = 1;
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(m.machine, 18);
  return b;
}

/** The first bytes of a Windows executable for `arch` (enough for detection; not runnable). */
export function peStub(arch: SampleArch): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\u0000\u0000', 0x80, 'latin1');
  b.writeUInt16LE(PE_MACHINE[arch], 0x84);
  return b;
}

// ------------------------------------------------------------------------------ sample JRE

export interface SampleJreOptions {
  version?: '17.0.9' | '1.8.0_392' | string;
  os?: 'linux' | 'windows';
  arch?: SampleArch;
  kind?: ArchiveKind;
  /** Bytes of random filler in lib/modules (default about 200 KB). */
  fillerBytes?: number;
  /** Bytes of random filler spread over many files in lib/ext, as real JREs hold them (spreadFiller). */
  spreadBytes?: number;
  /** Include the `release` file (default true). */
  withRelease?: boolean;
  /** Linux bin/java: a runnable sh stand-in (default) or an ELF header for `arch` (detection tests). */
  javaBinary?: 'script' | 'elf';
}

const DEFAULT_FILLER = 200 * 1024;

function jreTopDir(version: string): string {
  const m = /^1\.(\d+)\.0_(\d+)$/.exec(version);
  if (m) return `jdk${m[1]}u${m[2]}-b08-jre`;
  if (version === '17.0.9') return 'jdk-17.0.9+9-jre';
  return `jdk-${version}-jre`;
}

function javaFeature(version: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return 0;
  return m[1] === '1' && m[2] ? Number(m[2]) : Number(m[1]);
}

function releaseArch(arch: SampleArch, version: string): string {
  const legacy = javaFeature(version) <= 8;
  if (arch === 'x86_64') return legacy ? 'amd64' : 'x86_64';
  if (arch === 'i386') return legacy ? 'i586' : 'x86';
  return 'aarch64';
}

const ARCH_TOKEN: Record<SampleArch, string> = { x86_64: 'x64', i386: 'x86-32', aarch64: 'aarch64' };

/** Entries of a JRE home, relative to it (also used for the jre/ bundled in a ProActive node). */
function jreEntries(o: Required<Pick<SampleJreOptions, 'version' | 'os' | 'arch'>> & SampleJreOptions): SampleEntry[] {
  const out: SampleEntry[] = [];
  if (o.withRelease !== false) {
    out.push({
      path: 'release',
      content: [
        `IMPLEMENTOR="Guestprep sample (not a JVM)"`,
        `JAVA_VERSION="${o.version}"`,
        `OS_NAME="${o.os === 'windows' ? 'Windows' : 'Linux'}"`,
        `OS_ARCH="${releaseArch(o.arch, o.version)}"`,
        '',
      ].join('\n'),
    });
  }
  out.push({ path: 'bin', type: 'directory' });
  if (o.os === 'windows') {
    out.push({ path: 'bin/java.exe', mode: 0o755, content: peStub(o.arch) });
  } else if (o.javaBinary === 'elf') {
    out.push({ path: 'bin/java', mode: 0o755, content: elfStub(o.arch) });
  } else {
    out.push({ path: 'bin/java', mode: 0o755, content: fakeJavaScript(o.version) });
  }
  out.push(
    { path: 'conf', type: 'directory' },
    { path: 'conf/security', type: 'directory' },
    { path: 'conf/security/java.security', content: 'securerandom.source=file:/dev/random\n' },
    { path: 'legal', type: 'directory' },
    { path: 'legal/java.base', type: 'directory' },
    { path: 'legal/java.base/LICENSE', content: 'GPLv2 with the Classpath exception (sample).\n' },
    { path: 'legal/java.logging', type: 'directory' },
    // Real JDKs share legal files through relative symlinks like this one.
    { path: 'legal/java.logging/LICENSE', type: 'symlink', target: '../java.base/LICENSE' },
    { path: 'lib', type: 'directory' },
    { path: 'lib/jvm.cfg', content: '-server KNOWN\n-client IGNORE\n' },
    { path: 'lib/tzdb.dat', content: { random: 4096 } },
    { path: 'lib/modules', content: { random: o.fillerBytes ?? DEFAULT_FILLER } },
  );
  if (o.spreadBytes) out.push({ path: 'lib/ext', type: 'directory' }, ...spreadFiller('lib/ext/filler', o.spreadBytes));
  return out;
}

/** Sizes the small files of spreadFiller cycle through (a mean of about 183 KB). */
const SPREAD_SMALL = [4, 12, 32, 96, 256, 700].map((k) => k * 1024);

/**
 * `total` bytes of random filler over many files, as real distributions hold their bytes: 40 % in files of
 * 2 MiB (the large jars), 60 % in files of 4-700 KB (the many small ones). Named PREFIX-N.jar.
 */
export function spreadFiller(prefix: string, total: number): SampleEntry[] {
  const out: SampleEntry[] = [];
  const file = (bytes: number) => out.push({ path: `${prefix}-${out.length + 1}.jar`, content: { random: bytes } });
  let large = Math.floor(total * 0.4);
  for (; large >= 2 * 1024 * 1024; large -= 2 * 1024 * 1024) file(2 * 1024 * 1024);
  let small = total - Math.floor(total * 0.4) + large;
  for (let k = 0; small > 0; k++) {
    const bytes = Math.min(SPREAD_SMALL[k % SPREAD_SMALL.length], small);
    file(bytes);
    small -= bytes;
  }
  return out;
}

function under(prefix: string, entries: SampleEntry[]): SampleEntry[] {
  return [
    { path: prefix, type: 'directory' },
    ...entries.map((e) => ({ ...e, path: `${prefix}/${e.path}` })),
  ];
}

function resolveOut(outPath: string, fileName: string): string {
  try {
    if (statSync(outPath).isDirectory()) return join(outPath, fileName);
  } catch {
    /* not there yet: it is the file to write */
  }
  return outPath;
}

/**
 * Writes a sample JRE archive. `outPath` is the file to write, or a folder to write it into under a
 * real-looking name (OpenJDK17U-jre_x64_linux.tar.gz). Returns the path written.
 */
export async function makeSampleJre(outPath: string, opts: SampleJreOptions = {}): Promise<string> {
  const version = opts.version ?? '17.0.9';
  const os = opts.os ?? 'linux';
  const arch = opts.arch ?? 'x86_64';
  const kind = opts.kind ?? (os === 'windows' ? 'zip' : 'tar.gz');
  const file = resolveOut(outPath, `OpenJDK${javaFeature(version)}U-jre_${ARCH_TOKEN[arch]}_${os}.${kind}`);
  await writeArchive(file, kind, under(jreTopDir(version), jreEntries({ ...opts, version, os, arch })));
  return file;
}

// ------------------------------------------------------------------------------ sample ProActive

export interface SampleProactiveOptions {
  generation: 'modern' | 'legacy';
  version?: string;
  kind?: ArchiveKind;
  /** Ship a jre/ (a sample x86_64 Java 17; a Windows build when `scripts` is windows) in the node's home, like the real 6.2+ archives. */
  bundledJre?: boolean;
  /** Bytes of random filler in a jar (default about 200 KB). */
  fillerBytes?: number;
  /** Bytes of random filler spread over many jars in the lib folder (spreadFiller). */
  spreadBytes?: number;
  /**
   * Which start scripts it carries (default both). Real node distributions are made per OS: a Windows one
   * may have only bin/proactive-node.bat (3.x: bin/windows/rm-start-node.bat), a Linux one only the POSIX script.
   */
  scripts?: 'both' | 'linux' | 'windows';
}

/**
 * Writes a sample ProActive node archive (activeeon_enterprise-node-linux-x64-13.0.0.zip, ...-windows-x64-...
 * for a Windows-only one, or ProActiveScheduling-3.3.2_bin.tar.gz when `outPath` is a folder). Returns the
 * path written.
 */
export async function makeSampleProactive(outPath: string, opts: SampleProactiveOptions): Promise<string> {
  const modern = opts.generation === 'modern';
  const version = opts.version ?? (modern ? '13.0.0' : '3.3.2');
  const kind = opts.kind ?? (modern ? 'zip' : 'tar.gz');
  const filler = { random: opts.fillerBytes ?? DEFAULT_FILLER };
  const scripts = opts.scripts ?? 'both';
  const top = modern
    ? `activeeon_enterprise-node-${scripts === 'windows' ? 'windows' : 'linux'}-x64-${version}`
    : `ProActiveScheduling-${version}_bin`;
  const layout: SampleEntry[] = modern
    ? [
        { path: 'bin', type: 'directory' },
        { path: 'bin/proactive-node', mode: 0o755, content: modernStartScript() },
        { path: 'bin/proactive-node.bat', content: batScript('proactive-node.bat') },
        { path: 'config', type: 'directory' },
        { path: 'config/network', type: 'directory' },
        { path: 'config/network/node.ini', content: 'proactive.communication.protocol=pnp\n' },
        { path: 'config/log', type: 'directory' },
        { path: 'config/log/node.properties', content: 'log4j.rootLogger=INFO, FILE\n' },
        { path: 'lib', type: 'directory' },
        { path: `lib/rm-node-${version}.jar`, content: { random: 2048 } },
        { path: `lib/programming-core-${version}.jar`, content: { random: 2048 } },
        { path: 'lib/third-party-libs.jar', content: filler },
      ]
    : [
        { path: 'bin', type: 'directory' },
        { path: 'bin/unix', type: 'directory' },
        { path: 'bin/unix/rm-start-node', mode: 0o755, content: legacyStartScript() },
        { path: 'bin/windows', type: 'directory' },
        { path: 'bin/windows/rm-start-node.bat', content: batScript('rm-start-node.bat') },
        { path: 'config', type: 'directory' },
        { path: 'config/rm', type: 'directory' },
        { path: 'config/rm/settings.ini', content: 'pa.rm.node.source.ping.frequency=45000\n' },
        { path: 'dist', type: 'directory' },
        { path: 'dist/lib', type: 'directory' },
        { path: 'dist/lib/ProActive.jar', content: { random: 2048 } },
        { path: 'dist/lib/ProActive_ResourceManager.jar', content: { random: 2048 } },
        { path: 'dist/lib/ProActive_Scheduler-core.jar', content: filler },
      ];
  const dropped = scripts === 'linux'
    ? ['bin/proactive-node.bat', 'bin/windows', 'bin/windows/rm-start-node.bat']
    : scripts === 'windows' ? ['bin/proactive-node', 'bin/unix', 'bin/unix/rm-start-node'] : [];
  const entries = layout.filter((e) => !dropped.includes(e.path));
  if (opts.spreadBytes) entries.push(...spreadFiller(modern ? 'lib/filler' : 'dist/lib/filler', opts.spreadBytes));
  if (opts.bundledJre) {
    entries.push(...under('jre', jreEntries({ version: '17.0.9', os: scripts === 'windows' ? 'windows' : 'linux', arch: 'x86_64', fillerBytes: 64 * 1024 })));
  }
  const file = resolveOut(outPath, `${top}.${kind}`);
  await writeArchive(file, kind, under(top, entries));
  return file;
}

// ------------------------------------------------------------------------------ hostile archives

export type HostileCase =
  | 'dotdot' | 'absolute' | 'symlink-out' | 'symlink-abs' | 'hardlink-out' | 'device'
  | 'zip-bomb' | 'corrupt-gz' | 'corrupt-zip' | 'not-an-archive';

/**
 * Writes an archive Guestprep must refuse. Each looks like a JRE (jdk-17.0.9+9-jre/bin/java, release)
 * plus the one bad thing, so that detection gets as far as the bad part. `kind` applies to the cases
 * that can take several (default tar.gz; zip-bomb and corrupt-zip are zips, corrupt-gz a tar.gz).
 * Returns the path written.
 */
export async function makeHostileArchive(outPath: string, hostile: HostileCase, opts: { kind?: ArchiveKind } = {}): Promise<string> {
  const top = 'jdk-17.0.9+9-jre';
  const base = under(top, jreEntries({ version: '17.0.9', os: 'linux', arch: 'x86_64', fillerBytes: 16 * 1024 }));
  const kind = opts.kind ?? 'tar.gz';
  const file = resolveOut(outPath, `hostile-${hostile}.${hostile === 'zip-bomb' || hostile === 'corrupt-zip' ? 'zip' : hostile === 'not-an-archive' ? 'tar.gz' : kind}`);
  switch (hostile) {
    case 'dotdot':
      await writeArchive(file, kind, [...base, { path: `${top}/../../../etc/cron.d/guestprep-evil`, content: '* * * * * root id\n' }]);
      break;
    case 'absolute':
      await writeArchive(file, kind, [...base, { path: '/etc/cron.d/guestprep-evil', content: '* * * * * root id\n' }]);
      break;
    case 'symlink-out':
      await writeArchive(file, kind, [...base, { path: `${top}/lib/escape`, type: 'symlink', target: '../../../../etc' }]);
      break;
    case 'symlink-abs':
      await writeArchive(file, kind, [...base, { path: `${top}/lib/escape`, type: 'symlink', target: '/etc/shadow' }]);
      break;
    case 'hardlink-out':
      await writeArchive(file, kind === 'zip' ? 'tar.gz' : kind, [...base, { path: `${top}/lib/shadow`, type: 'hardlink', target: '/etc/shadow' }]);
      break;
    case 'device':
      await writeArchive(file, kind, [...base, { path: `${top}/lib/disk`, type: 'block-device' }]);
      break;
    case 'zip-bomb':
      // 150 MiB of zeros deflate at level 9 to ~150 KB: above both the 100 MB and the 1000:1 limits.
      await writeArchive(file, 'zip', [...base, { path: `${top}/lib/bomb`, content: { zeros: 150 * 1024 * 1024 } }],
        { zipCompressionLevel: 9 });
      break;
    case 'corrupt-gz':
    case 'corrupt-zip': {
      await writeArchive(file, hostile === 'corrupt-gz' ? 'tar.gz' : 'zip', base);
      // Cut the file like an interrupted download: its first 60 % only.
      truncateSync(file, Math.floor(statSync(file).size * 0.6));
      break;
    }
    case 'not-an-archive':
      writeFileSync(file, '<html><body>404 Not Found</body></html>\n');
      break;
  }
  return file;
}
