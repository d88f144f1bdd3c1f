// Preparing an image: the checks that need no appliance (image, archives, settings), then the image
// transaction (transaction.ts: journal, overlay, one launch, write, verify, commit) with inspection and
// the plan in between. The image is byte-identical after any failure or cancel before the commit.

import { formatBytes } from '../../rules/units';
import { fail } from '../errors';
import type {
  GuestFacts,
  ImageFileInfo,
  JreInfo,
  NodeSettings,
  Plan,
  PlanStep,
  ProactiveInfo,
  RunEvent,
  SettingsInput,
  UploadRef,
} from '../types';
import { precheckImage } from '../image/precheck';
import { detectJre, detectProactive, checkArchivesForGuest } from '../archive/detect';
import { restreamAsTar } from '../archive/restream';
import { checkSettingsEarly, validateSettings } from '../settings/validate';
import { checkCredentialsFile } from './credentials';
import { buildPlan } from '../plan';
import { inspectGuest, installDirFacts, mountForWriting } from '../inspect/guest';
import { expandNodeName, isNodeNamePattern, nodeNameForEarlyCheck } from '../settings/node-name-pattern';
import type { WarmSession } from './warm';
import type { StepTiming } from '../execute/executor';
import type { VerifyResult } from '../execute/verify';
import { ImageTransaction } from './transaction';
import type { RunJournal } from './journal';
import { firstErrorInOrder, startRunContext, summariseGuest, type PhaseTimings } from './run-common';
import { writeDryRunScript } from './dry-run';
import { GUESTPREP_VERSION } from '../version';
import { DEFAULT_INSTALL_DIR } from './defaults';
import { join } from 'node:path';
import { ArchiveDisks, buildArchiveDisks, copyFromDisks, diskDevices, DISK_UPLOADS, type DiskUpload } from './archive-disks';
import { archiveCopyMode } from './archive-copy';
import { stageInMemory } from './memory-staging';
import type { GuestfishSession } from '../guestfish/session';

export interface PrepareRequest {
  image: string;
  jre?: string;
  proactive: string;
  settings: SettingsInput;
  /** Plan and write the equivalent guestfish script; change nothing. */
  dryRun?: boolean;
  /** Where the dry-run script goes (default: next to the current folder, named after the image). */
  scriptPath?: string;
}

export interface PrepareReport {
  runId: string;
  ok: true;
  dryRun: boolean;
  image: ImageFileInfo;
  guest: Omit<GuestFacts, 'linux'> & { init?: string; sysvLayout?: string; rcLocalPath?: string };
  settings: NodeSettings;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  plan: { steps: Array<{ id: string; title: string; commands: number }>; requiredBytes: number };
  steps: StepTiming[];
  verification?: VerifyResult;
  atNextBoot: string[];
  warnings: string[];
  notices: string[];
  hypervisor?: string;
  launches: number;
  failedLaunchAttempts: number;
  timings: PhaseTimings;
  scriptPath?: string;
  stagedFiles?: string[];
}

export interface PrepareHooks {
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /**
   * The crash journal and image lock (journal.ts). The CLI and the app pass the one in their shared
   * database; without one, an in-memory journal still locks within this process, but a crash cannot be
   * recovered by a later start.
   */
  journal?: RunJournal;
  /** Who runs this (for the lock message another run shows): "guestprep prepare", "the Guestprep app". */
  program?: string;
  /**
   * An appliance already up on this image with the guest inspected (warm.ts): the run then costs only the
   * writes, the verification and the commit. Ignored for dry runs and for another image.
   */
  warm?: WarmSession;
}

export interface Archives {
  jre?: JreInfo;
  proactive: ProactiveInfo;
  credentials?: { hostPath: string; bytes: number };
}

/** The archives and the credentials file, checked side by side, errors reported in the order given. */
export async function checkArchives(req: Pick<PrepareRequest, 'jre' | 'proactive' | 'settings'>): Promise<Archives> {
  const [jre, proactive, credentials] = await firstErrorInOrder([
    req.jre ? detectJre(req.jre) : Promise.resolve(undefined),
    detectProactive(req.proactive),
    req.settings.credentialsFile ? checkCredentialsFile(req.settings.credentialsFile) : Promise.resolve(undefined),
  ] as const);
  checkSettingsEarly(earlySettings(req.settings), proactive);
  return { jre, proactive, credentials };
}

/** Settings as checked before any guest is known: a node name pattern gets stand-in values. */
export function earlySettings(settings: SettingsInput): SettingsInput {
  return { ...settings, nodeName: nodeNameForEarlyCheck(settings.nodeName) };
}

/** What the inspected guest and the settings make: the validated settings, the plan, every warning. */
export function planFor(guest: GuestFacts, settings: SettingsInput, a: Archives, nodeCtx: { n: number } = { n: 1 }) {
  // Which start script and which runtime build the guest needs is only known now, after inspection.
  const warnings = checkArchivesForGuest(a, guest);
  const concrete = isNodeNamePattern(settings.nodeName) ? { ...settings, nodeName: expandNodeName(settings.nodeName!, { n: nodeCtx.n, hostname: guest.hostname }) } : settings;
  const validated = validateSettings(concrete, { guest, jre: a.jre, proactive: a.proactive, credentials: a.credentials });
  warnings.push(...validated.warnings);
  const plan = buildPlan({ guest, settings: validated.settings, jre: a.jre, proactive: a.proactive, guestprepVersion: GUESTPREP_VERSION, now: new Date().toISOString() });
  warnings.push(...plan.warnings.filter((w) => !warnings.includes(w)));
  checkSpace(guest, plan);
  return { settings: validated.settings, plan, warnings };
}

export function reportBase(tx: ImageTransaction, image: ImageFileInfo, guest: GuestFacts, a: Archives, made: ReturnType<typeof planFor>, notices: string[], hypervisor: string | undefined, dryRun = false) {
  return {
    runId: tx.runId,
    ok: true as const,
    dryRun,
    image,
    guest: summariseGuest(guest),
    settings: made.settings,
    jre: a.jre,
    proactive: a.proactive,
    plan: { steps: made.plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.length })), requiredBytes: made.plan.requiredBytes },
    atNextBoot: made.plan.atNextBoot,
    warnings: made.warnings,
    notices,
    hypervisor,
  };
}

export async function prepare(req: PrepareRequest, hooks: PrepareHooks = {}): Promise<PrepareReport> {
  const run = startRunContext(hooks, 'guestprep prepare');
  const { t0, emit, progress, notices, stats, timings } = run;
  const installDir = req.settings.installDir ?? DEFAULT_INSTALL_DIR;

  // ---- checks: everything that can be refused without an appliance
  emit({ type: 'phase', phase: 'checks', message: 'Checking the image and the archives' });
  checkSettingsEarly(earlySettings(req.settings));
  const warm = !req.dryRun && hooks.warm?.matches(req.image) ? hooks.warm : undefined;
  // Checked side by side; when several are wrong, report them in the order the user gave them. A warm
  // session checked the image when it opened, and holds it since.
  const [image, archives] = await firstErrorInOrder([warm ? Promise.resolve(warm.image) : precheckImage(req.image), checkArchives(req)] as const);
  run.checksDone();

  // The warm session already knows the guest: archives that do not fit it are refused before the run takes
  // the session, so the appliance stays up for a second try with the right ones (no new launch).
  if (warm) checkArchivesForGuest(archives, warm.guest);

  let tx: ImageTransaction;
  let inspected: GuestFacts | undefined;
  // The archives as disks of the appliance (cold runs only: a warm appliance is already up without them).
  let disks: ArchiveDisks | undefined;
  if (warm) {
    ({ tx, guest: inspected } = warm.take({ emit, progress, signal: hooks.signal }));
    emit({ type: 'log', level: 'info', message: 'Using the appliance already running on this image (no launch, no second inspection)' });
    progress.phaseDone('launch');
  } else {
    tx = await run.open(image, 'prepare', !!req.dryRun, req.dryRun ? undefined : async (runDir) => {
      const td = Date.now();
      disks = await buildArchiveDisks(join(runDir.dir, 'disks'), diskUploads(archives), {
        signal: hooks.signal,
        log: (message) => emit({ type: 'log', level: 'warn', message }),
      });
      if (disks) timings.archiveDisksMs = Date.now() - td;
      return disks?.drives ?? [];
    });
  }
  try {
    timings.launchMs = stats.launchMs;

    emit({ type: 'phase', phase: 'inspect', message: warm ? 'Reusing the inspection' : 'Inspecting the guest' });
    const ti = Date.now();
    let guest: GuestFacts;
    if (inspected) {
      // Mounted read-only for the wizard: remount read-write by the devices already known.
      await mountForWriting(tx.session, inspected.mountpoints);
      guest = await installDirFacts(tx.session, inspected, installDir);
    } else {
      guest = await inspectGuest(tx.session, { installDir, readonly: !!req.dryRun, guestDrives: disks ? 1 : undefined });
    }
    const made = planFor(guest, req.settings, archives);
    timings.inspectMs = Date.now() - ti;
    progress.phaseDone('inspect');
    tx.checkAborted();
    const base = reportBase(tx, image, guest, archives, made, [...notices, ...(warm?.notices ?? [])], stats.hypervisor ?? warm?.hypervisor, !!req.dryRun);

    if (req.dryRun) {
      await tx.closeReadOnly();
      const written = await writeDryRunScript({ plan: made.plan, image, jre: archives.jre, proactive: archives.proactive, scriptPath: req.scriptPath });
      timings.totalMs = Date.now() - t0;
      progress.done();
      emit({ type: 'phase', phase: 'done', message: `Dry run: script written to ${written.scriptPath}` });
      return { ...base, steps: [], launches: stats.launches, failedLaunchAttempts: stats.failedAttempts, timings, scriptPath: written.scriptPath, stagedFiles: written.stagedFiles };
    }

    const tw = Date.now();
    const steps = await copyPlan(tx.session, guest, made.plan.steps, disks && diskDevices(disks, 1), (message) => emit({ type: 'log', level: 'warn', message }));
    const stepTimings = await tx.write(steps, { openUpload: (ref) => openUpload(ref, archives.jre, archives.proactive) });
    timings.writeMs = Date.now() - tw;

    const tv = Date.now();
    const verification = await tx.verify(made.plan.expectations, guest.mountpoints);
    timings.verifyMs = Date.now() - tv;

    const tc = Date.now();
    await tx.commit();
    timings.commitMs = Date.now() - tc;
    timings.totalMs = Date.now() - t0;
    emit({ type: 'phase', phase: 'done', message: 'Done' });
    return { ...base, steps: stepTimings, verification, launches: stats.launches, failedLaunchAttempts: stats.failedAttempts, timings };
  } catch (err) {
    throw await tx.abandon(err);
  }
}

/**
 * The plan's steps as this session runs them: the archives copied from their disks when there are disks
 * (archive-disks.ts), else, into a Windows guest, staged in memory (memory-staging.ts); else as planned.
 */
export async function copyPlan(
  s: GuestfishSession,
  guest: GuestFacts,
  steps: PlanStep[],
  devices: ReadonlyMap<string, string> | undefined,
  log: (message: string) => void,
): Promise<PlanStep[]> {
  if (!devices && guest.osType !== 'windows') return steps;
  const shell = await archiveCopyMode(s, guest, log);
  if (devices) return copyFromDisks(steps, devices, { shell });
  return shell?.direct ? stageInMemory(steps, shell) : steps;
}

/** The archives that get a disk of their own, each with the stream its `tar-in` would get. */
export function diskUploads(a: Archives): DiskUpload[] {
  return DISK_UPLOADS.filter((id) => id === 'proactive' || a.jre).map((id) => ({
    id,
    open: () => openUpload({ id, kind: 'tar', source: '', bytes: 0 }, a.jre, a.proactive),
  }));
}

export function openUpload(ref: UploadRef, jre: JreInfo | undefined, proactive: ProactiveInfo) {
  const info = ref.id === 'jre' ? jre : ref.id === 'proactive' ? proactive : undefined;
  if (!info) fail('INTERNAL', `Unknown upload ${ref.id}`, 'This is a bug in Guestprep.');
  return restreamAsTar(info.archivePath, info.kind, { stripPrefix: info.home });
}

export function checkSpace(guest: GuestFacts, plan: Plan): void {
  if (guest.freeBytes >= plan.requiredBytes) return;
  const size = formatBytes;
  fail(
    'GUEST_NO_SPACE',
    `The guest has ${size(guest.freeBytes)} free on ${guest.freeBytesMountpoint}, and the install needs about ${size(plan.requiredBytes)}.`,
    `Free at least ${size(plan.requiredBytes - guest.freeBytes)} in the VM, or enlarge its disk (VBoxManage modifymedium DISK --resize, then grow the partition), or choose --install-dir on a larger filesystem. Nothing was written.`,
  );
}
