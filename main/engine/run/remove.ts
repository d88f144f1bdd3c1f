// Removing what Guestprep installed: the same image transaction as prepare (transaction.ts: journal,
// overlay, one launch, write, verify, commit), with the plan plan/remove.ts builds from the install record
// and from what the guest holds now (read in the same session, inspect/removal.ts). Verification reads back
// that every path is gone and every restored file has its exact earlier content, mode and owner. The image
// is byte-identical after any failure or cancel before the commit.

import { fail } from '../errors';
import type { ImageFileInfo, InstallRecord } from '../types';
import { precheckImage } from '../image/precheck';
import { buildRemovePlan, removalQueries } from '../plan/remove';
import { notPrepared } from '../plan/retarget';
import { inspectGuest } from '../inspect/guest';
import { readRemovalState } from '../inspect/removal';
import type { StepTiming } from '../execute/executor';
import type { VerifyResult } from '../execute/verify';
import { GUESTPREP_VERSION } from '../version';
import { DEFAULT_INSTALL_DIR } from './defaults';
import type { PrepareHooks } from './prepare';
import type { RunTimings } from './retarget';
import { startRunContext, summariseGuest, type GuestSummary } from './run-common';

export interface RemoveRequest {
  image: string;
  /** Where the install is (default /opt/proactive; Windows guests: C:\ProActive). */
  installDir?: string;
}

export interface RemoveReport {
  operation: 'remove';
  runId: string;
  ok: true;
  image: ImageFileInfo;
  guest: GuestSummary;
  /** The install record of what was removed. */
  removed: InstallRecord;
  plan: { steps: Array<{ id: string; title: string; commands: number }> };
  steps: StepTiming[];
  verification: VerifyResult;
  /** What the removal did, and what happens at the next boot, in sentences. */
  atNextBoot: string[];
  warnings: string[];
  notices: string[];
  hypervisor?: string;
  launches: number;
  failedLaunchAttempts: number;
  timings: RunTimings;
}

export async function remove(req: RemoveRequest, hooks: PrepareHooks = {}): Promise<RemoveReport> {
  const run = startRunContext(hooks, 'guestprep remove');
  const { t0, emit, progress, notices, stats, timings } = run;

  emit({ type: 'phase', phase: 'checks', message: 'Checking the image' });
  const image = await precheckImage(req.image);
  run.checksDone();

  const tx = await run.open(image, 'remove');
  try {
    timings.launchMs = stats.launchMs;
    emit({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest and its Guestprep install' });
    const ti = Date.now();
    const installDir = req.installDir ?? DEFAULT_INSTALL_DIR;
    const guest = await inspectGuest(tx.session, { installDir, readonly: false });
    if (!guest.existing) notPrepared(guest.osType === 'windows' && !/^[A-Za-z]:/.test(installDir) ? 'C:\\ProActive (the default)' : installDir);
    const state = await readRemovalState(tx.session, removalQueries(guest));
    const plan = buildRemovePlan({ guest, state, guestprepVersion: GUESTPREP_VERSION, now: new Date().toISOString() });
    timings.inspectMs = Date.now() - ti;
    progress.phaseDone('inspect');
    tx.checkAborted();

    const tw = Date.now();
    const steps = await tx.write(plan.steps, {
      openUpload: (ref) => fail('INTERNAL', `A removal streams no archive (asked for ${ref.id}).`, 'This is a bug in Guestprep. Please report it.'),
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
      operation: 'remove',
      runId: tx.runId,
      ok: true,
      image,
      guest: summariseGuest(guest),
      removed: guest.existing.record,
      plan: { steps: plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.length })) },
      steps,
      verification,
      atNextBoot: plan.atNextBoot,
      warnings: plan.warnings,
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
