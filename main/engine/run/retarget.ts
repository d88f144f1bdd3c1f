// Retargeting an installed node: the same image transaction as prepare (transaction.ts: journal, overlay,
// one launch, write, verify, commit), with a plan that rewrites only the files carrying the manager
// settings (plan/retarget.ts). No archive is needed or streamed; the install record supplies the rest.
// The image is byte-identical after any failure or cancel before the commit.

import { fail } from '../errors';
import type { ImageFileInfo, NodeSettings, RetargetSettingsInput } from '../types';
import { precheckImage } from '../image/precheck';
import { checkRetargetEarly, retargetSettings, type RetargetSettings } from '../settings/retarget';
import { checkCredentialsFile } from './credentials';
import { buildRetargetPlan } from '../plan/retarget';
import { notPrepared } from '../plan/retarget';
import { inspectGuest } from '../inspect/guest';
import type { StepTiming } from '../execute/executor';
import type { VerifyResult } from '../execute/verify';
import { GUESTPREP_VERSION } from '../version';
import { DEFAULT_INSTALL_DIR } from './defaults';
import type { PrepareHooks } from './prepare';
import { firstErrorInOrder, startRunContext, summariseGuest, type GuestSummary, type PhaseTimings } from './run-common';

export interface RetargetRequest {
  image: string;
  /** The manager settings to change; the rest comes from the install record. */
  settings: RetargetSettingsInput;
  /** Where the earlier install is (default /opt/proactive; Windows guests: C:\ProActive). */
  installDir?: string;
}

export type RunTimings = PhaseTimings;

export interface RetargetReport {
  operation: 'retarget';
  runId: string;
  ok: true;
  image: ImageFileInfo;
  guest: GuestSummary;
  settings: NodeSettings;
  /** The manager settings before the retarget. */
  previous: RetargetSettings['previous'];
  plan: { steps: Array<{ id: string; title: string; commands: number }> };
  steps: StepTiming[];
  /** Bytes streamed into the guest: no archive, so 0 unless a new credentials file was given. */
  bytesStreamed: number;
  verification: VerifyResult;
  atNextBoot: string[];
  warnings: string[];
  notices: string[];
  hypervisor?: string;
  launches: number;
  failedLaunchAttempts: number;
  timings: RunTimings;
}

export async function retarget(req: RetargetRequest, hooks: PrepareHooks = {}): Promise<RetargetReport> {
  const run = startRunContext(hooks, 'guestprep retarget');
  const { t0, emit, progress, notices, stats, timings } = run;

  emit({ type: 'phase', phase: 'checks', message: 'Checking the image and the new settings' });
  checkRetargetEarly(req.settings);
  const [image, credentials] = await firstErrorInOrder([
    precheckImage(req.image),
    req.settings.credentialsFile ? checkCredentialsFile(req.settings.credentialsFile) : Promise.resolve(undefined),
  ] as const);
  run.checksDone();

  const tx = await run.open(image, 'retarget');
  try {
    timings.launchMs = stats.launchMs;
    emit({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest and its Guestprep install' });
    const ti = Date.now();
    const installDir = req.installDir ?? DEFAULT_INSTALL_DIR;
    const guest = await inspectGuest(tx.session, { installDir, readonly: false });
    if (!guest.existing) notPrepared(guest.osType === 'windows' && !/^[A-Za-z]:/.test(installDir) ? 'C:\\ProActive (the default)' : installDir);
    const v = retargetSettings(req.settings, { guest, credentials });
    const plan = buildRetargetPlan({ guest, settings: v.settings, guestprepVersion: GUESTPREP_VERSION, now: new Date().toISOString() });
    timings.inspectMs = Date.now() - ti;
    progress.phaseDone('inspect');
    tx.checkAborted();

    const tw = Date.now();
    const steps = await tx.write(plan.steps, {
      openUpload: (ref) => fail('INTERNAL', `A retarget streams no archive (asked for ${ref.id}).`, 'This is a bug in Guestprep. Please report it.'),
    });
    timings.writeMs = Date.now() - tw;
    const tv = Date.now();
    const verification = await tx.verify(plan.expectations, guest.mountpoints);
    timings.verifyMs = Date.now() - tv;
    const tc = Date.now();
    await tx.commit();
    timings.commitMs = Date.now() - tc;
    timings.totalMs = Date.now() - t0;
    emit({ type: 'phase', phase: 'done', message: 'Done' });
    return {
      operation: 'retarget',
      runId: tx.runId,
      ok: true,
      image,
      guest: summariseGuest(guest),
      settings: v.settings,
      previous: v.previous,
      plan: { steps: plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.length })) },
      steps,
      bytesStreamed: steps.reduce((n, s) => n + (s.bytes ?? 0), 0),
      verification,
      atNextBoot: plan.atNextBoot,
      warnings: [...v.warnings, ...plan.warnings],
      notices,
      hypervisor: stats.hypervisor,
      launches: stats.launches,
      failedLaunchAttempts: stats.failedAttempts,
      timings,
    };
  } catch (err) {
    throw await tx.abandon(err);
  }
}
