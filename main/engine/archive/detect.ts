// Detects what the user picked, in one streaming pass over each archive: a Java runtime (where its
// home is, which version, OS and CPU) or a ProActive node distribution (3.x or 6.2+ layout, version,
// bundled JRE). The same pass runs the safety checks, so a hostile or damaged archive is refused when
// it is picked, not halfway through writing into the guest.

import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArchiveEntryInfo, ArchiveKind, CpuArch, JavaOs, JreInfo, ProactiveInfo, ProactiveStartScripts } from '../types';
import { fail } from '../errors';
import { archivesFit, javaFit, proactiveFit, startScriptFit, type Fit } from '../../rules/guest-fit';
import { detectArchiveKind } from './kind';
import { readEntries } from './entries';
import { EntryChecker, isUnder } from './safety';
import { totalTarBytes } from './tar-writer';
import { binaryFacts, factsFromNames, javaMajor, normaliseArch, normaliseOs, parseReleaseFile } from './java-facts';

/** bin/java may sit this many folders deep (Contents/Home of macOS runtimes is 3). */
const MAX_JAVA_HOME_DEPTH = 3;
/** The ProActive start scripts may sit under this many folders. */
const MAX_PROACTIVE_HOME_DEPTH = 2;
const RELEASE_MAX_BYTES = 64 * 1024;
/** Enough for an ELF header and a PE header at its usual e_lfanew. */
const EXECUTABLE_HEAD_BYTES = 1024;

export interface ArchiveScan {
  archivePath: string;
  name: string;
  kind: ArchiveKind;
  /** All entries, in archive order (metadata only). */
  entries: ArchiveEntryInfo[];
  /** Contents (or first bytes) of the entries worth reading: release files, java executables. */
  contents: Map<string, Buffer>;
}

function depth(p: string): number {
  return p === '' ? 0 : p.split('/').length;
}

function parent(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function lastName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** How many bytes of an entry detection wants to read (0: none). */
function bytesWanted(e: ArchiveEntryInfo): number {
  if (e.type !== 'file') return 0;
  const name = lastName(e.path);
  if (name === 'release' && depth(e.path) <= MAX_JAVA_HOME_DEPTH + 2 && e.size <= RELEASE_MAX_BYTES) return RELEASE_MAX_BYTES;
  if ((name === 'java' || name === 'java.exe') && lastName(parent(e.path)) === 'bin') return EXECUTABLE_HEAD_BYTES;
  return 0;
}

async function readHead(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    chunks.push(b);
    n += b.length;
    if (n >= limit) break; // the rest is skipped by readEntries when the next entry is pulled
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * One pass over an archive: every entry's metadata, the contents detection needs, and the safety
 * checks (ARCHIVE_UNSAFE_ENTRY, ARCHIVE_TOO_LARGE). Throws the archive errors of kind/entries too.
 */
export async function scanArchive(archivePath: string, opts: { maxBytes?: number } = {}): Promise<ArchiveScan> {
  const kind = await detectArchiveKind(archivePath);
  const name = basename(archivePath);
  const archiveBytes = (await stat(archivePath)).size;
  const checker = new EntryChecker({ archiveName: name, root: '', archiveBytes, maxBytes: opts.maxBytes });
  const entries: ArchiveEntryInfo[] = [];
  const contents = new Map<string, Buffer>();
  for await (const e of readEntries(archivePath, kind)) {
    checker.check(e.info, e.compressedSize);
    entries.push(e.info);
    const want = bytesWanted(e.info);
    if (want > 0) contents.set(e.info.path, await readHead(e.open(), want));
  }
  return { archivePath, name, kind, entries, contents };
}

/** Symlink and hard-link checks again, now relative to the folder that will be copied. */
function checkTree(scan: ArchiveScan, home: string): void {
  const checker = new EntryChecker({ archiveName: scan.name, root: home, archiveBytes: 0, checkSizes: false });
  for (const e of scan.entries) checker.check(e);
}

function sizeOf(scan: ArchiveScan, home: string): { unpackedBytes: number; entryCount: number; tarBytes: number } {
  let unpackedBytes = 0;
  let entryCount = 0;
  for (const e of scan.entries) {
    if (!isUnder(e.path, home) || e.path === home) continue;
    entryCount++;
    if (e.type === 'file') unpackedBytes += e.size;
  }
  return { unpackedBytes, entryCount, tarBytes: totalTarBytes(scan.entries, home, scan.name) };
}

function join(home: string, rel: string): string {
  return home === '' ? rel : `${home}/${rel}`;
}

export interface JavaFacts {
  version: string;
  major: number;
  os: JavaOs;
  arch: CpuArch;
  source: 'release-file' | 'inferred';
}

/** Version, OS and CPU of the runtime whose home is `home` in the scanned archive. */
export function javaFactsAt(scan: ArchiveScan, home: string): JavaFacts {
  const releaseBytes = scan.contents.get(join(home, 'release'));
  const release = releaseBytes ? parseReleaseFile(releaseBytes.toString('utf8')) : {};
  const hasExe = scan.entries.some((e) => e.path === join(home, 'bin/java.exe'));
  const head = scan.contents.get(join(home, 'bin/java')) ?? scan.contents.get(join(home, 'bin/java.exe'));
  const bin = head ? binaryFacts(head) : undefined;
  // Folder names from the home up, then the archive's own name.
  const names = home === '' ? [] : home.split('/').reverse();
  const fromNames = factsFromNames([...names, scan.name]);

  const relVersion = release.JAVA_VERSION || undefined;
  const relOs = normaliseOs(release.OS_NAME);
  const relArch = normaliseArch(release.OS_ARCH);

  const macLayout = /(^|\/)Contents\/Home$/.test(home);
  const os: JavaOs = relOs !== 'unknown' ? relOs
    : hasExe ? 'windows'
    : macLayout ? 'macos'
    : bin && bin.format !== 'script' ? bin.os
    : fromNames.os ?? bin?.os ?? 'unknown';
  const arch: CpuArch = relArch !== 'unknown' ? relArch
    : bin && bin.arch !== 'unknown' ? bin.arch
    : fromNames.arch ?? 'unknown';
  const version = relVersion ?? fromNames.version ?? 'unknown';
  const source = relVersion && relOs !== 'unknown' && relArch !== 'unknown' ? 'release-file' : 'inferred';
  return { version, major: javaMajor(version), os, arch, source };
}

/** Homes of the runtimes in the archive (folders holding bin/java or bin/java.exe), best first. */
function javaHomes(scan: ArchiveScan): string[] {
  const homes: Array<{ home: string; exe: boolean }> = [];
  for (const e of scan.entries) {
    if (e.type !== 'file' && e.type !== 'symlink' && e.type !== 'hardlink') continue;
    const m = /^(?:(.*)\/)?bin\/java(\.exe)?$/.exec(e.path);
    if (!m) continue;
    const home = m[1] ?? '';
    if (depth(home) > MAX_JAVA_HOME_DEPTH) continue;
    homes.push({ home, exe: !!m[2] });
  }
  // The shallowest wins: a JDK 8 has both <home>/bin/java and <home>/jre/bin/java.
  homes.sort((a, b) => depth(a.home) - depth(b.home) || Number(a.exe) - Number(b.exe));
  return [...new Set(homes.map((h) => h.home))];
}

export async function detectJre(archivePath: string): Promise<JreInfo> {
  const scan = await scanArchive(archivePath);
  return jreFromScan(scan);
}

export function jreFromScan(scan: ArchiveScan): JreInfo {
  const home = javaHomes(scan)[0];
  if (home === undefined) {
    const isProactive = proactiveHomes(scan).length > 0;
    const deep = scan.entries.find((e) => /(^|\/)bin\/java(\.exe)?$/.test(e.path));
    fail(
      'JRE_NOT_FOUND',
      isProactive
        ? `${scan.name} is a ProActive node distribution, not a Java runtime.`
        : deep
          ? `${scan.name} has ${deep.path}, but deeper than Guestprep looks (${MAX_JAVA_HOME_DEPTH} folders): it is not a Java runtime archive as published.`
          : `${scan.name} contains no bin/java: it is not a Java runtime.`,
      'Pick the archive of a Java runtime (it contains bin/java) — e.g. OpenJDK17U-jre_x64_linux.tar.gz' +
        (isProactive ? ', and give this archive as the ProActive node distribution.' : '.'),
    );
  }
  checkTree(scan, home);
  return {
    archivePath: scan.archivePath,
    kind: scan.kind,
    home,
    ...javaFactsAt(scan, home),
    ...sizeOf(scan, home),
  };
}

// ---------------------------------------------------------------------------------- ProActive

/** A folder holding one start script or more (at least one of the two is set). */
interface ProactiveHome {
  home: string;
  generation: 'modern' | 'legacy';
  startScript?: string;
  windowsStartScript?: string;
}

const LAYOUTS = [
  { generation: 'modern' as const, posix: 'bin/proactive-node', windows: 'bin/proactive-node.bat' },
  { generation: 'legacy' as const, posix: 'bin/unix/rm-start-node', windows: 'bin/windows/rm-start-node.bat' },
];

/**
 * Folders that hold a start script, of either OS (node distributions are made per OS), shallowest first,
 * modern before legacy.
 */
function proactiveHomes(scan: ArchiveScan): ProactiveHome[] {
  const found = new Map<string, ProactiveHome>();
  for (const e of scan.entries) {
    if (e.type !== 'file' && e.type !== 'symlink' && e.type !== 'hardlink') continue;
    for (const l of LAYOUTS) {
      for (const [script, key] of [[l.posix, 'startScript'], [l.windows, 'windowsStartScript']] as const) {
        if (e.path !== script && !e.path.endsWith(`/${script}`)) continue;
        const home = e.path.slice(0, e.path.length - script.length).replace(/\/$/, '');
        if (depth(home) > MAX_PROACTIVE_HOME_DEPTH) continue;
        const id = `${l.generation}:${home}`;
        const h = found.get(id) ?? { home, generation: l.generation };
        h[key] = script;
        found.set(id, h);
      }
    }
  }
  return [...found.values()].sort((a, b) =>
    depth(a.home) - depth(b.home) ||
    Number(a.generation === 'legacy') - Number(b.generation === 'legacy'));
}

const VERSION_RE = /\d+\.\d+(?:\.\d+)*(?:[-.](?:RC|M|SNAPSHOT)[\w.]*)?/gi;
const PROACTIVE_JAR_RE = /^(?:rm|scheduler|programming|proactive)[\w-]*?-(\d+\.\d+(?:\.\d+)*(?:-SNAPSHOT)?)\.jar$/i;

function lastVersionIn(s: string): string | undefined {
  const all = s.replace(/\.(tar\.gz|tgz|tar\.xz|txz|tar|zip)$/i, '').match(VERSION_RE);
  return all ? all[all.length - 1] : undefined;
}

/** Version from the home folder's name, else a ProActive jar's name, else the archive's name. */
export function proactiveVersion(scan: ArchiveScan, home: string): string {
  const fromHome = home === '' ? undefined : lastVersionIn(lastName(home));
  if (fromHome) return fromHome;
  for (const e of scan.entries) {
    if (e.type !== 'file' || !isUnder(e.path, home)) continue;
    const m = PROACTIVE_JAR_RE.exec(lastName(e.path));
    if (m) return m[1]!;
  }
  return lastVersionIn(scan.name) ?? 'unknown';
}

export async function detectProactive(archivePath: string): Promise<ProactiveInfo> {
  const scan = await scanArchive(archivePath);
  return proactiveFromScan(scan);
}

export function proactiveFromScan(scan: ArchiveScan): ProactiveInfo {
  const homes = proactiveHomes(scan);
  const best = homes[0];
  if (!best) {
    const isJre = javaHomes(scan).length > 0;
    fail(
      'PROACTIVE_NOT_FOUND',
      isJre
        ? `${scan.name} is a Java runtime, not the ProActive node distribution.`
        : `${scan.name}: this archive has no start script of a ProActive node: neither bin/proactive-node nor ` +
          'bin/proactive-node.bat (6.2+), nor bin/unix/rm-start-node nor bin/windows/rm-start-node.bat (3.x).',
      'Pick the ProActive node distribution for the guest\'s OS (e.g. activeeon_enterprise-node-linux-x64-13.0.0.zip or ' +
        'activeeon_enterprise-node-windows-x64-13.0.0.zip, or ProActiveScheduling-3.3.2_bin.tar.gz for 3.x)' +
        (isJre ? ', and give this archive as the Java runtime.' : '.'),
    );
  }
  const { home } = best;
  checkTree(scan, home);
  // Whether the guest needs the other OS's script is decided once the guest is known (checkProactiveForGuest).
  const scripts: ProactiveStartScripts = best.startScript
    ? { startScript: best.startScript, ...(best.windowsStartScript ? { windowsStartScript: best.windowsStartScript } : {}) }
    : { windowsStartScript: best.windowsStartScript! };
  const info: ProactiveInfo = {
    archivePath: scan.archivePath,
    kind: scan.kind,
    home,
    generation: best.generation,
    version: proactiveVersion(scan, home),
    ...scripts,
    ...sizeOf(scan, home),
  };
  const jreHome = join(home, 'jre');
  const jreMarkers = ['release', 'bin/java', 'bin/java.exe'].map((r) => join(jreHome, r));
  if (scan.entries.some((e) => jreMarkers.includes(e.path))) {
    const f = javaFactsAt(scan, jreHome);
    info.bundledJre = { major: f.major, version: f.version, os: f.os, arch: f.arch };
  }
  return info;
}

// ---------------------------------------------------------------------------------- guest fit
// The rules live in rules/guest-fit.ts (the page checks the same ones); here a misfit becomes error data.

function orFail(f: Fit): { warnings: string[] } {
  if (f.problem) return fail(f.problem.code, f.problem.message, f.problem.fix);
  return { warnings: f.warnings };
}

/**
 * Whether a runtime (a JRE archive, or the one bundled in a ProActive archive) can run in the guest.
 * Throws JRE_WRONG_OS / JRE_WRONG_ARCH; returns warnings for what may work or could not be told.
 */
export function checkJreForGuest(
  jre: { os: JavaOs; arch: CpuArch; version?: string; major?: number },
  guest: { osType: string; arch: string },
  what = 'The Java runtime',
): { warnings: string[] } {
  return orFail(javaFit(jre, guest, what));
}

/**
 * The distribution's start script for a guest OS (relative to its home, '/'-separated). Throws
 * PROACTIVE_NOT_FOUND naming the archive and the missing script, with the download that has it, when the
 * archive is the distribution of the other OS.
 */
export function startScriptForGuest(proactive: ProactiveInfo, guestOs: 'linux' | 'windows', guestArch = 'x86_64'): string {
  const r = startScriptFit(proactive, guestOs, guestArch);
  if ('problem' in r) return fail(r.problem.code, r.problem.message, r.problem.fix);
  return r.script;
}

/** Whether the node distribution can start in the guest: it must carry the start script of the guest's OS. */
export function checkProactiveForGuest(proactive: ProactiveInfo, guest: { osType: string; arch: string }): void {
  orFail(proactiveFit(proactive, guest));
}

/**
 * Every archive against the inspected guest, in the order the user gave them: the Java runtime, then the
 * node distribution (its start script, and its bundled runtime). Throws the first misfit; returns warnings.
 */
export function checkArchivesForGuest(
  a: { jre?: { os: JavaOs; arch: CpuArch; version?: string; major?: number }; proactive: ProactiveInfo },
  guest: { osType: string; arch: string },
): string[] {
  return orFail(archivesFit(a, guest)).warnings;
}
