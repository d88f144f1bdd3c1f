// The prepare transaction: checks -> overlay -> one appliance launch (inspect, plan, write, verify) ->
// commit. The user's image is opened read-only (as the overlay's backing file) until verification has
// passed; only `qemu-img commit` writes to it. Any failure or cancel before that deletes the overlay and
// leaves the image byte-identical.

import { statSync } from 'node:fs';
import { GuestprepError, fail } from '../errors';
import type {
  GuestFacts,
  ImageFileInfo,
  JreInfo,
  NodeSettings,
  Plan,
  ProactiveInfo,
  RunEvent,
  SettingsInput,
  UploadRef,
} from '../types';
import { precheckImage } from '../image/precheck';
import { createOverlay, commitOverlay } from '../image/qemu-img';
import { detectJre, detectProactive, checkJreForGuest } from '../archive/detect';
import { restreamAsTar } from '../archive/restream';
import { checkSettingsEarly, validateSettings } from '../settings/validate';
import { checkCredentialsFile } from './credentials';
import { buildPlan } from '../plan';
import { launchAppliance, newLaunchStats, LaunchStats } from '../guestfish/launch';
import type { GuestfishSession } from '../guestfish/session';
import { inspectGuest } from '../inspect/guest';
import { executeSteps, StepTiming } from '../execute/executor';
import { verifyExpectations, VerifyResult } from '../execute/verify';
import { newRunDir } from './state';
import { ProgressModel } from './progress';
import { writeDryRunScript } from './dry-run';
import { GUESTPREP_VERSION } from '../version';
import { DEFAULT_INSTALL_DIR } from './defaults';

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
  timings: { checksMs: number; launchMs: number; inspectMs: number; writeMs: number; verifyMs: number; commitMs: number; totalMs: number };
  scriptPath?: string;
  stagedFiles?: string[];
}

export interface PrepareHooks {
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
}


export async function prepare(req: PrepareRequest, hooks: PrepareHooks = {}): Promise<PrepareReport> {
  const t0 = Date.now();
  const emit = (e: RunEvent) => hooks.onEvent?.(e);
  const progress = new ProgressModel(emit);
  const notices: string[] = [];
  const stats: LaunchStats = newLaunchStats();
  const timings = { checksMs: 0, launchMs: 0, inspectMs: 0, writeMs: 0, verifyMs: 0, commitMs: 0, totalMs: 0 };

  // ---- checks: everything that can be refused without an appliance
  emit({ type: 'phase', phase: 'checks', message: 'Checking the image and the archives' });
  checkSettingsEarly(req.settings);
  // Checked side by side; when several are wrong, report them in the order the user gave them.
  const [image, jre, proactive, credentials] = await firstErrorInOrder([
    precheckImage(req.image),
    req.jre ? detectJre(req.jre) : Promise.resolve(undefined),
    detectProactive(req.proactive),
    req.settings.credentialsFile ? checkCredentialsFile(req.settings.credentialsFile) : Promise.resolve(undefined),
  ] as const);
  checkSettingsEarly(req.settings, proactive);
  const before = fileIdentity(req.image);
  timings.checksMs = Date.now() - t0;
  progress.phaseDone('checks');
  checkAborted(hooks.signal);

  const run = newRunDir();
  let session: GuestfishSession | undefined;
  // Once the commit has started, the overlay is the only complete copy of the changes: keep it on failure.
  let committing = false;
  let keepOverlay = false;
  try {
    if (!req.dryRun) {
      emit({ type: 'phase', phase: 'overlay', message: 'Creating a temporary overlay (the image stays untouched until the end)' });
      await createOverlay(req.image, image.format, run.overlay);
    }
    emit({ type: 'phase', phase: 'launch', message: 'Starting the libguestfs appliance' });
    session = await launchAppliance({
      drives: [req.dryRun ? { path: req.image, format: image.format } : { path: run.overlay, format: 'qcow2' }],
      readonly: !!req.dryRun,
      stats,
      signal: hooks.signal,
      onLine: (line) => emit({ type: 'log', level: 'debug', message: line }),
      onNotice: (m) => {
        notices.push(m);
        emit({ type: 'log', level: 'warn', message: m });
      },
    });
    timings.launchMs = stats.launchMs;
    progress.phaseDone('launch');
    checkAborted(hooks.signal);

    emit({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest' });
    const ti = Date.now();
    const installDir = req.settings.installDir ?? DEFAULT_INSTALL_DIR;
    const guest = await inspectGuest(session, { installDir, readonly: !!req.dryRun });
    const warnings: string[] = [];
    if (jre) warnings.push(...checkJreForGuest(jre, guest).warnings);
    if (proactive.bundledJre) {
      warnings.push(...checkJreForGuest(proactive.bundledJre, guest, 'The JRE bundled with ProActive').warnings);
    }
    const validated = validateSettings(req.settings, { guest, jre, proactive, credentials });
    warnings.push(...validated.warnings);
    const plan = buildPlan({
      guest,
      settings: validated.settings,
      jre,
      proactive,
      guestprepVersion: GUESTPREP_VERSION,
      now: new Date().toISOString(),
    });
    warnings.push(...plan.warnings.filter((w) => !warnings.includes(w)));
    checkSpace(guest, plan);
    timings.inspectMs = Date.now() - ti;
    progress.phaseDone('inspect');
    checkAborted(hooks.signal);

    const base = {
      runId: run.id,
      ok: true as const,
      dryRun: !!req.dryRun,
      image,
      guest: summariseGuest(guest),
      settings: validated.settings,
      jre,
      proactive,
      plan: { steps: plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.length })), requiredBytes: plan.requiredBytes },
      atNextBoot: plan.atNextBoot,
      warnings,
      notices,
      hypervisor: stats.hypervisor,
    };

    if (req.dryRun) {
      await session.close();
      session = undefined;
      const written = await writeDryRunScript({ plan, image, jre, proactive, scriptPath: req.scriptPath });
      timings.totalMs = Date.now() - t0;
      progress.done();
      emit({ type: 'phase', phase: 'done', message: `Dry run: script written to ${written.scriptPath}` });
      return { ...base, steps: [], launches: stats.launches, failedLaunchAttempts: stats.failedAttempts, timings, scriptPath: written.scriptPath, stagedFiles: written.stagedFiles };
    }

    // ---- write
    emit({ type: 'phase', phase: 'write', message: 'Writing into the overlay' });
    const tw = Date.now();
    const totalBytes = plan.steps.reduce((n, s) => n + (s.bytes ?? 0), 0);
    progress.planWrite(plan.steps.length, totalBytes);
    const stepTimings = await executeSteps(session, plan.steps, {
      signal: hooks.signal,
      openUpload: (ref) => openUpload(ref, jre, proactive),
      onEvent: (e) => {
        emit(e);
        progress.writeEvent(e);
      },
    });
    timings.writeMs = Date.now() - tw;
    progress.phaseDone('write');
    checkAborted(hooks.signal);

    // ---- verify (same session, reading the overlay)
    emit({ type: 'phase', phase: 'verify', message: 'Verifying what was written' });
    const tv = Date.now();
    const verification = await verifyExpectations(session, plan.expectations);
    timings.verifyMs = Date.now() - tv;
    if (verification.failures.length) {
      fail('VERIFY_FAILED', `Verification found ${verification.failures.length} problem(s): ${verification.failures.slice(0, 5).join('; ')}`, 'Nothing was committed and the image was not changed. Please report this with the details.', {
        detail: verification.failures.join('\n'),
      });
    }
    // `quit` makes guestfish unmount and sync the overlay before we commit it.
    await session.close();
    session = undefined;
    progress.phaseDone('verify');
    checkAborted(hooks.signal);

    // ---- commit: the only moment the image is written
    emit({ type: 'phase', phase: 'commit', message: 'Committing into the image' });
    const tc = Date.now();
    assertUnchanged(req.image, before);
    committing = true;
    await commitOverlay(run.overlay, (pct) => progress.commitPercent(pct));
    timings.commitMs = Date.now() - tc;
    timings.totalMs = Date.now() - t0;
    progress.done();
    emit({ type: 'phase', phase: 'done', message: 'Done' });
    return { ...base, steps: stepTimings, verification, launches: stats.launches, failedLaunchAttempts: stats.failedAttempts, timings };
  } catch (err) {
    if (committing && err instanceof GuestprepError && err.code === 'COMMIT_FAILED') {
      keepOverlay = true;
      throw new GuestprepError({
        ...err.toData(),
        fix: `${err.fix} The changes are kept in ${run.overlay}: once the cause is fixed, finish with \`qemu-img commit ${run.overlay}\` (re-committing is safe), then run \`guestprep inspect\` on the image.`,
      });
    }
    if (hooks.signal?.aborted && !(err instanceof GuestprepError && err.code === 'CANCELLED')) {
      throw new GuestprepError({ code: 'CANCELLED', message: 'The run was cancelled; the image was not changed.', fix: 'Start the run again when you are ready.', step: err instanceof GuestprepError ? err.step : undefined });
    }
    throw err;
  } finally {
    if (session) {
      session.kill();
      await session.waitExit();
    }
    if (!keepOverlay) run.remove();
  }
}

function openUpload(ref: UploadRef, jre: JreInfo | undefined, proactive: ProactiveInfo) {
  const info = ref.id === 'jre' ? jre : ref.id === 'proactive' ? proactive : undefined;
  if (!info) fail('INTERNAL', `Unknown upload ${ref.id}`, 'This is a bug in Guestprep.');
  return restreamAsTar(info.archivePath, info.kind, { stripPrefix: info.home });
}

function checkSpace(guest: GuestFacts, plan: Plan): void {
  if (guest.freeBytes >= plan.requiredBytes) return;
  const mb = (n: number) => `${Math.ceil(n / 1024 / 1024)} MB`;
  fail(
    'GUEST_NO_SPACE',
    `The guest has ${mb(guest.freeBytes)} free on ${guest.freeBytesMountpoint}, and the install needs about ${mb(plan.requiredBytes)}.`,
    `Free at least ${mb(plan.requiredBytes - guest.freeBytes)} in the VM, or enlarge its disk (VBoxManage modifymedium DISK --resize, then grow the partition), or choose --install-dir on a larger filesystem. Nothing was written.`,
  );
}

function summariseGuest(g: GuestFacts): PrepareReport['guest'] {
  const { linux, ...rest } = g;
  return { ...rest, init: linux?.init, sysvLayout: linux?.sysvLayout, rcLocalPath: linux?.rcLocalPath };
}

interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

function fileIdentity(path: string): FileIdentity {
  const st = statSync(path);
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** Someone (a VM started meanwhile?) wrote the image during the run: committing would mix two writers. */
function assertUnchanged(path: string, before: FileIdentity): void {
  const now = fileIdentity(path);
  if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
    fail('IMAGE_CHANGED_DURING_RUN', 'The image was modified by another program while Guestprep was preparing it.', 'Make sure the VM is powered off and nothing else uses the disk, then run again. Guestprep did not write to it.');
  }
}

async function firstErrorInOrder<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(ps);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) fail('CANCELLED', 'The run was cancelled; the image was not changed.', 'Start the run again when you are ready.');
}

