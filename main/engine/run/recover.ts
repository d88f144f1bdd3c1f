// Recovery of runs that were killed (SIGKILL, a crash, power loss), run by every start of the app and of
// the CLI before anything else touches an image. For each open journal entry whose process is gone:
//   planned / writing / verified: the image was never written. The overlay is deleted: rolled back.
//   committing: the commit may have stopped half-way. It is redone from the kept overlay (re-committing
//               writes the same data again, so it is safe however far the first attempt got; a missing
//               overlay means the commit had finished, see transaction.ts), then the image is verified with
//               the expectations the run recorded, in one read-only appliance launch. Done.
// A recovery that cannot finish (the image is in use, the commit fails again) leaves the entry open and
// says why; the image stays locked against new runs (RECOVERY_PENDING) until a later recovery succeeds.

import { existsSync, rmSync } from 'node:fs';
import { GuestprepError, toErrorData, type ErrorData } from '../errors';
import type { RunEvent } from '../types';
import { commitOverlay } from '../image/qemu-img';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import { verifyExpectations } from '../execute/verify';
import type { JournalEntry, RunJournal } from './journal';
import { ownerAlive, selfOwner } from './owner';
import { imageIdentity, sameIdentity, fsyncFile } from './transaction';

export type RecoveryAction = 'rolled-back' | 'committed' | 'pending' | 'failed';

export interface RecoveryOutcome {
  runId: string;
  kind: JournalEntry['kind'];
  image: string;
  /** The phase the run had reached when it was interrupted. */
  phase: JournalEntry['phase'];
  action: RecoveryAction;
  /** What happened, for the user. */
  message: string;
  /** When action is pending or failed: what went wrong and what to do. */
  error?: ErrorData;
  /** Appliance launches used (the verification after a finished commit). */
  launches: number;
}

export interface RecoverOptions {
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** Who recovers (for messages of a run that finds the entry adopted). */
  program?: string;
}

const PHASE_TEXT: Record<string, string> = {
  planned: 'before writing anything (starting the appliance or inspecting the guest)',
  writing: 'while writing into its temporary overlay',
  verified: 'after verifying its overlay, before committing',
};

export async function recoverInterrupted(journal: RunJournal, opts: RecoverOptions = {}): Promise<RecoveryOutcome[]> {
  const out: RecoveryOutcome[] = [];
  for (const found of journal.open()) {
    if (ownerAlive(found.owner)) continue;
    // Adopted atomically: when the app and the CLI start together only one of them recovers a run.
    const e = journal.adopt(found.runId, selfOwner(opts.program ?? 'guestprep recover'));
    if (!e) continue;
    const outcome = e.phase === 'committing' ? await finishCommit(journal, e, opts) : rollBack(journal, e);
    opts.onEvent?.({ type: 'log', level: outcome.action === 'pending' || outcome.action === 'failed' ? 'warn' : 'info', message: outcome.message });
    out.push(outcome);
  }
  return out;
}

function what(e: JournalEntry): string {
  return e.kind === 'prepare' ? 'preparing' : e.kind === 'retarget' ? 'retargeting' : 'removing the node from';
}

function rollBack(journal: RunJournal, e: JournalEntry): RecoveryOutcome {
  rmSync(e.runDir, { recursive: true, force: true });
  let message = `Run ${e.runId} (${what(e)} ${e.image}) was interrupted ${PHASE_TEXT[e.phase] ?? `in phase ${e.phase}`}. The image was never written; its temporary overlay was deleted.`;
  if (e.before && existsSync(e.image) && !sameIdentity(imageIdentity(e.image), e.before)) {
    message += ' (The image file has changed since that run started, but not by Guestprep.)';
  }
  journal.update(e.runId, 'rolled-back', { note: message });
  return { runId: e.runId, kind: e.kind, image: e.image, phase: e.phase, action: 'rolled-back', message, launches: 0 };
}

async function finishCommit(journal: RunJournal, e: JournalEntry, opts: RecoverOptions): Promise<RecoveryOutcome> {
  const base = { runId: e.runId, kind: e.kind, image: e.image, phase: e.phase };
  const stats = newLaunchStats();
  const hadOverlay = existsSync(e.overlay);
  try {
    if (hadOverlay) {
      opts.onEvent?.({ type: 'log', level: 'info', message: `Run ${e.runId} was interrupted while committing into ${e.image}: committing again from its kept overlay.` });
      await commitOverlay(e.overlay);
      fsyncFile(e.image);
    }
    const failures = await verifyImage(e, opts, stats);
    if (failures.length) {
      const message =
        `Run ${e.runId} was interrupted while committing into ${e.image}. The commit was finished, but verifying the image found ` +
        `${failures.length} problem(s): ${failures.slice(0, 3).join('; ')}.`;
      const error: ErrorData = {
        code: 'VERIFY_FAILED',
        message,
        fix: 'Do not boot the VM from this disk. Restore it from a backup (or run `guestprep prepare` on it again), and report this with the details.',
        detail: failures.join('\n'),
      };
      rmSync(e.runDir, { recursive: true, force: true });
      journal.update(e.runId, 'failed', { note: message });
      return { ...base, action: 'failed', message, error, launches: stats.launches };
    }
    rmSync(e.runDir, { recursive: true, force: true });
    const message = hadOverlay
      ? `Run ${e.runId} was interrupted while committing into ${e.image}. Guestprep finished the commit from the kept overlay and verified the image: ${what(e).replace('removing the node from', 'the removal from')} it is complete.`
      : `Run ${e.runId} on ${e.image} had finished its commit when it was interrupted; the image was verified and is complete.`;
    journal.update(e.runId, 'done', { note: message });
    return { ...base, action: 'committed', message, launches: stats.launches };
  } catch (err) {
    const error = toErrorData(err);
    const message = `Run ${e.runId} was interrupted while committing into ${e.image}, and finishing it did not work yet: ${error.message}`;
    // The entry stays `committing`, owned by nobody alive once we exit: the next start tries again.
    return {
      ...base,
      action: 'pending',
      message,
      error: {
        ...error,
        fix: `${error.fix} Then run \`guestprep recover\` (or restart the app): the changes are kept in ${e.overlay}. Do not boot the VM from this disk before that.`,
      },
      launches: stats.launches,
    };
  }
}

/** Reads the committed image in one read-only launch and checks the run's recorded expectations. */
async function verifyImage(e: JournalEntry, opts: RecoverOptions, stats: ReturnType<typeof newLaunchStats>): Promise<string[]> {
  if (!e.verify) {
    throw new GuestprepError({ code: 'INTERNAL', message: `Run ${e.runId} reached committing without a verification record.`, fix: 'This is a bug in Guestprep. Check the image with `guestprep inspect`.' });
  }
  const s = await launchAppliance({ drives: [{ path: e.image, format: e.format }], readonly: true, stats, signal: opts.signal });
  try {
    // Parents before children (/ before /boot), as inspection mounted them.
    const mounts = [...e.verify.mounts].sort((a, b) => a.mountpoint.length - b.mountpoint.length);
    for (const m of mounts) await s.exec(['mount-ro', m.device, m.mountpoint], { tolerate: m.mountpoint !== '/' });
    const r = await verifyExpectations(s, e.verify.expectations);
    return r.failures;
  } finally {
    await s.close().catch(() => undefined);
    s.kill();
    await s.waitExit();
  }
}
