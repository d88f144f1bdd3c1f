// The steps every Linux plan has, whatever starts the node at boot: the install directory, the two
// archives, the logs directory, the credentials, the launcher, and the install record.

import { shQuote } from '../quote/sh';
import type { JreInfo, PlanStep, ProactiveInfo, UploadRef } from '../types';
import {
  baseName, createdDirs, credentialsPath, dirExpectation, gf, rootDir, rootTextFile, type PlanContext, type Section,
} from './common';
import { selfAndParentsOf } from './paths';
import { recordedPathAllowed } from './record-check';
import { launcherText, nodeArguments } from './texts/launcher';

/**
 * What the executor will stream for an archive re-packed as a plain tar. The real figure is the sum
 * over entries of a 512-byte header plus the size rounded up to 512, plus 1024 at the end; without the
 * entries, this ESTIMATE allows 1 KiB per entry and 10 KiB of slack. The executor counts real bytes.
 */
export function estimatedTarBytes(a: { unpackedBytes: number; entryCount: number }): number {
  return a.unpackedBytes + a.entryCount * 1024 + 10240;
}

/** Files an earlier run created that this run does not, and that are safe to remove. */
export function staleFiles(ctx: PlanContext, current: readonly string[]): string[] {
  const { dir } = ctx.paths;
  const previous = ctx.previous;
  const keep = new Set(current);
  const dirs = new Set(ctx.previous?.createdDirs ?? []);
  return ctx.previousFiles.filter((p) => {
    if (dirs.has(p)) return false;
    if (keep.has(p) || !p.startsWith('/') || p.split('/').some((c) => c === '..' || c === '.')) return false;
    // jre/ and node/ go as a whole; rc.local is edited, never removed.
    if (p === ctx.paths.jre || p === ctx.paths.node || p.startsWith(`${ctx.paths.jre}/`) || p.startsWith(`${ctx.paths.node}/`)) return false;
    if (p === ctx.linux.rcLocalPath) return false;
    // Only the exact paths an install of the earlier record creates (plan/record-check.ts): a changed
    // record must not make an update delete /etc/shadow. Others are left alone.
    return p !== dir && previous !== undefined && recordedPathAllowed(previous, ctx.guest, p);
  });
}

/**
 * Whether the install directory is Guestprep's own: it did not exist before the first install (an earlier
 * record lists it as created; a first install asks inspection, and takes it as new when unknown). A
 * directory that was there before is never listed, so `remove` empties it of our files but keeps it.
 */
export function installDirCreated(ctx: PlanContext): boolean {
  if (ctx.previous) return ctx.previousFiles.includes(ctx.paths.dir);
  return ctx.guest.dirsPresent?.[ctx.paths.dir] !== true;
}

export function prepareInstallDir(ctx: PlanContext, stale: string[]): Section {
  const { paths } = ctx;
  const updating = ctx.guest.existing !== undefined;
  const parents = selfAndParentsOf(paths.dir).slice(0, -1);
  const step: PlanStep = {
    id: 'prepare-install-dir',
    title: updating ? 'Prepare the install directory (replacing the earlier install)' : 'Prepare the install directory',
    commands: [
      ...(updating ? [gf.rmRf(paths.jre), gf.rmRf(paths.node)] : []),
      ...stale.map((p) => gf.rmF(p)),
      ...rootDir(paths.dir, 0o755),
      ...rootDir(paths.guestprep, 0o755),
    ],
  };
  return {
    steps: [step],
    expectations: [dirExpectation(paths.dir, 0o755), dirExpectation(paths.guestprep, 0o755), ...stale.map((path) => ({ kind: 'absent' as const, path }))],
    files: [...(installDirCreated(ctx) ? [paths.dir] : []), paths.guestprep],
    atNextBoot: [],
    createdDirs: createdDirs(ctx, parents),
  };
}

/**
 * `executables` get 0755 after unpacking: zips made on Windows carry no permission bits, so bin/java
 * and the start script would otherwise arrive as 0644 and the node could not start.
 */
function archiveStep(id: string, title: string, uploadId: string, archive: JreInfo | ProactiveInfo, target: string, executables: string[]): PlanStep {
  // The archive scan predicts the exact tar length; the estimate is for infos built without a scan.
  const bytes = archive.tarBytes ?? estimatedTarBytes(archive);
  const ref: UploadRef = { id: uploadId, kind: 'tar', source: archive.archivePath, bytes };
  return {
    id,
    title,
    bytes,
    commands: [gf.mkdir(target), gf.tarIn(ref, target), gf.chownRoot(target), gf.chmod(0o755, target), ...executables.map((p) => gf.chmod(0o755, p))],
  };
}

export function uploadJre(ctx: PlanContext): Section {
  const { jre, paths } = ctx;
  if (!jre) return { steps: [], expectations: [], files: [], atNextBoot: [] };
  return {
    steps: [archiveStep('upload-jre', `Upload the Java runtime ${jre.version}`, 'jre', jre, paths.jre, [`${paths.jre}/bin/java`])],
    expectations: [dirExpectation(paths.jre, 0o755), { kind: 'file', path: `${paths.jre}/bin/java`, mode: 0o755, uid: 0, gid: 0 }],
    files: [paths.jre],
    atNextBoot: [],
  };
}

export function uploadProactive(ctx: PlanContext): Section {
  const { proactive, paths } = ctx;
  const gen = proactive.generation === 'modern' ? '' : ' (3.x)';
  const expectations: Section['expectations'] = [
    dirExpectation(paths.node, 0o755),
    { kind: 'file', path: paths.startScript, mode: 0o755, uid: 0, gid: 0 },
  ];
  if (proactive.generation === 'modern' && proactive.bundledJre) {
    expectations.push({ kind: 'file', path: `${paths.node}/jre/bin/java`, mode: 0o755, uid: 0, gid: 0 });
  }
  return {
    steps: [
      archiveStep('upload-proactive', `Upload the ProActive node ${proactive.version}${gen}`, 'proactive', proactive, paths.node, [
        paths.startScript,
        ...(proactive.generation === 'modern' && proactive.bundledJre ? [`${paths.node}/jre/bin/java`] : []),
      ]),
    ],
    expectations,
    files: [paths.node],
    atNextBoot: [],
  };
}

export function createLogsDir(ctx: PlanContext): Section {
  const mode = ctx.settings.serviceUser === 'root' ? 0o755 : 0o750;
  return {
    steps: [{ id: 'create-logs-dir', title: 'Create the logs directory', commands: rootDir(ctx.paths.logs, mode) }],
    expectations: [dirExpectation(ctx.paths.logs, mode)],
    files: [ctx.paths.logs],
    atNextBoot: [],
  };
}

export function installCredentials(ctx: PlanContext): Section {
  const creds = ctx.settings.credentials;
  if (!creds) return { steps: [], expectations: [], files: [], atNextBoot: [] };
  const path = ctx.paths.credentials;
  const ref: UploadRef = { id: 'credentials', kind: 'file', source: creds.hostPath, bytes: creds.bytes };
  return {
    steps: [{
      id: 'install-credentials',
      title: `Install the credentials ${baseName(creds.hostPath)}`,
      bytes: creds.bytes,
      commands: [gf.upload(ref, path), gf.chownRoot(path), gf.chmod(0o600, path)],
    }],
    expectations: [{ kind: 'file', path, mode: 0o600, uid: 0, gid: 0 }],
    files: [path],
    atNextBoot: [],
  };
}

/** The start script's argv as the launcher runs it (also shown in reports). */
export function nodeCommand(ctx: PlanContext): string[] {
  const creds = credentialsPath(ctx);
  return [ctx.paths.startScript, ...nodeArguments(ctx.settings, ctx.proactive.generation, creds)];
}

export function writeLauncher(ctx: PlanContext): Section {
  const [startScript, ...args] = nodeCommand(ctx);
  const text = launcherText({
    guestprepVersion: ctx.guestprepVersion,
    generation: ctx.proactive.generation,
    serviceName: ctx.settings.serviceName,
    serviceUser: ctx.settings.serviceUser,
    javaHome: ctx.paths.javaHome,
    jvmOptions: ctx.settings.jvmOptions,
    nodeHome: ctx.paths.node,
    startScript,
    args,
  });
  // The URL as the launcher spells it (quoted), so the check holds for any URL.
  const file = rootTextFile(ctx.paths.launcher, text, 0o755, shQuote(ctx.settings.rm.url));
  return {
    steps: [{ id: 'write-launcher', title: 'Write the node launcher', commands: file.commands }],
    expectations: [file.expectation],
    files: [ctx.paths.launcher],
    atNextBoot: [],
  };
}
