// Small pieces every image-writing run shares (prepare, retarget, remove): the process-wide journal used
// when the caller gives none, the guest summary in reports, and "first error in the order given".

import type { GuestFacts, ImageFileInfo, RunEvent } from '../types';
import { fail } from '../errors';
import { newLaunchStats, type LaunchStats } from '../guestfish/launch';
import { memoryJournal, type RunJournal, type RunKind } from './journal';
import { selfOwner } from './owner';
import { ProgressModel } from './progress';
import { ImageTransaction } from './transaction';
import type { RunDir } from './state';
import type { Drive } from '../guestfish/session';

/**
 * Without the shared database, an in-memory journal still locks images within this process (a crash then
 * cannot be recovered by a later start). One for all run kinds, so they lock each other out too.
 */
export const processJournal = memoryJournal();

/** The guest as reports show it: the facts without the Linux boot details, plus the ones worth telling. */
export type GuestSummary = Omit<GuestFacts, 'linux'> & { init?: string; sysvLayout?: string; rcLocalPath?: string };

export function summariseGuest(g: GuestFacts): GuestSummary {
  const { linux, ...rest } = g;
  return { ...rest, init: linux?.init, sysvLayout: linux?.sysvLayout, rcLocalPath: linux?.rcLocalPath };
}

/** Awaits all; when several failed, throws the first failure in the order given (the order the user gave them). */
export async function firstErrorInOrder<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(ps);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Phase times every run report carries. */
export interface PhaseTimings {
  checksMs: number;
  launchMs: number;
  inspectMs: number;
  writeMs: number;
  verifyMs: number;
  commitMs: number;
  totalMs: number;
  /** Unpacking the archives into disk images on the host, before the launch (archive-disks.ts). */
  archiveDisksMs?: number;
}

/**
 * What every image-writing run starts with (prepare, retarget, remove): its event sink and progress model,
 * the launch counter, the notices told once, the phase clock, and the way it opens its transaction.
 */
export function startRunContext(hooks: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal; journal?: RunJournal; program?: string }, defaultProgram: string) {
  const t0 = Date.now();
  const emit = (e: RunEvent) => hooks.onEvent?.(e);
  const progress = new ProgressModel(emit);
  const notices: string[] = [];
  const stats: LaunchStats = newLaunchStats();
  const timings: PhaseTimings = { checksMs: 0, launchMs: 0, inspectMs: 0, writeMs: 0, verifyMs: 0, commitMs: 0, totalMs: 0 };
  return {
    t0,
    emit,
    progress,
    notices,
    stats,
    timings,
    /** Ends the checks phase; a cancel that came meanwhile stops the run before anything is made. */
    checksDone(): void {
      timings.checksMs = Date.now() - t0;
      progress.phaseDone('checks');
      if (hooks.signal?.aborted) fail('CANCELLED', 'The run was cancelled; the image was not changed.', 'Start the run again when you are ready.');
    },
    /** Claims the image, makes the overlay and launches the appliance (transaction.ts). */
    open(image: ImageFileInfo, kind: RunKind, readOnly = false, moreDrives?: (run: RunDir) => Promise<Drive[]>): Promise<ImageTransaction> {
      return ImageTransaction.open({
        image,
        kind,
        journal: hooks.journal ?? processJournal,
        owner: selfOwner(hooks.program ?? defaultProgram),
        stats,
        emit,
        progress,
        signal: hooks.signal,
        readOnly,
        onNotice: (m) => {
          notices.push(m);
          emit({ type: 'log', level: 'warn', message: m });
        },
      }, moreDrives);
    },
  };
}
