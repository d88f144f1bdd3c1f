// The run journal: where a run that writes an image records how far it got, so that a run killed at any
// moment (SIGKILL, a crash, power loss) can be finished or undone by the next start of the app or the CLI
// (recover.ts). It is also the lock that keeps two runs, in any processes, off one image.
//
// Phases, in order:
//   planned     the image is claimed; the overlay is being created, the appliance started, the guest
//               inspected and the plan built. The image has not been touched.
//   writing     the plan is being written into the overlay. The image has not been touched.
//   verified    everything written was read back and the appliance has shut down (overlay synced). The
//               image has not been touched; the overlay holds the complete change, and the journal holds
//               what to verify again (mounts and expectations).
//   committing  `qemu-img commit` may have started: the image may be partly written. Only finishing the
//               commit from the kept overlay (re-committing is safe: it writes the same clusters again)
//               restores a consistent image.
//   done        committed, and the run folder deleted. The overlay is deleted only after a successful
//               commit, so a run left in `committing` without its overlay had finished its commit.
// End states: done, rolled-back (the overlay was deleted, the image never touched), failed (ended with an
// error before any commit; overlay deleted).
//
// The interface is implemented over the app's SQLite database (backend/journal-store.ts, shared by the app
// and the CLI) and in memory (tests, and runs where the database cannot be opened).

import { fail } from '../errors';
import type { Expectation, ImageFormat } from '../types';
import { describeOwner, ownerAlive, RunOwner } from './owner';

export type JournalPhase = 'planned' | 'writing' | 'verified' | 'committing' | 'done' | 'rolled-back' | 'failed';
export const OPEN_PHASES: readonly JournalPhase[] = ['planned', 'writing', 'verified', 'committing'];
export type RunKind = 'prepare' | 'retarget' | 'remove';

export interface VerifyRecipe {
  /** How the guest's filesystems were mounted in the appliance (device names are stable for one drive). */
  mounts: Array<{ mountpoint: string; device: string }>;
  expectations: Expectation[];
}

export interface ImageIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface JournalEntry {
  runId: string;
  kind: RunKind;
  /** Canonical path of the image (symlinks resolved), the lock's key. */
  image: string;
  format: ImageFormat;
  /** The run's working folder and its overlay. */
  runDir: string;
  overlay: string;
  owner: RunOwner;
  phase: JournalPhase;
  startedAt: string;
  updatedAt: string;
  /** The image file as it was when the run claimed it. */
  before?: ImageIdentity;
  /** Recorded at `verified`: what recovery checks again after finishing a commit. */
  verify?: VerifyRecipe;
  /** Free text for the user: how the run ended, what recovery did. */
  note?: string;
}

export interface RunJournal {
  /**
   * Records a new run, atomically with the check that no other open run holds the same image: refused with
   * IMAGE_BUSY naming the live run, or RECOVERY_PENDING when an interrupted run on it still waits for recovery.
   */
  claim(entry: Omit<JournalEntry, 'phase' | 'startedAt' | 'updatedAt'>): void;
  /** Moves a run to a phase; durable before it returns (the commit must not start before `committing` is on disk). */
  update(runId: string, phase: JournalPhase, extra?: { verify?: VerifyRecipe; note?: string }): void;
  get(runId: string): JournalEntry | undefined;
  /**
   * Takes over an interrupted run for recovery: atomically, if the run is still open and its owner is gone,
   * makes `owner` its owner and returns the entry; otherwise (recovered meanwhile, or its owner alive: the
   * app and the CLI starting together) returns undefined.
   */
  adopt(runId: string, owner: RunOwner): JournalEntry | undefined;
  /** Runs not in an end state. */
  open(): JournalEntry[];
  /** Recent entries, newest first. */
  list(limit?: number): JournalEntry[];
}

/** Whether the owner of an open entry is gone, so the entry is the leftover of an interrupted run. */
export type AliveCheck = (owner: RunOwner) => boolean;

/**
 * The lock rule, shared by every journal: an open run on the same image blocks a new one. Its owner alive:
 * the image is busy. Its owner gone: it must be recovered first (its overlay may be the only complete copy
 * of a half-done commit), which the next start of Guestprep does; this only happens when that failed.
 */
export function checkClaim(open: JournalEntry[], image: string, alive: AliveCheck = ownerAlive): void {
  for (const e of open) {
    if (e.image !== image || !OPEN_PHASES.includes(e.phase)) continue;
    if (alive(e.owner)) {
      fail(
        'IMAGE_BUSY',
        `Run ${e.runId} (${describeOwner(e.owner)}, started ${e.startedAt}) is already ${e.kind === 'prepare' ? 'preparing' : e.kind === 'retarget' ? 'retargeting' : 'removing the node from'} ${image}.`,
        `Wait for run ${e.runId} to finish or cancel it (Ctrl+C in its terminal, or Cancel in the app), then start again.`,
      );
    }
    fail(
      'RECOVERY_PENDING',
      `Run ${e.runId} on ${image} was interrupted (phase ${e.phase}) and has not been recovered yet.`,
      'Run `guestprep recover` (or restart the app) to finish or undo it first; it says what it did.',
    );
  }
}

/** An in-memory journal: the same rules, for tests and for runs without a database. */
export function memoryJournal(opts: { alive?: AliveCheck; now?: () => Date } = {}): RunJournal {
  const entries = new Map<string, JournalEntry>();
  const now = () => (opts.now ?? (() => new Date()))().toISOString();
  const copy = (e: JournalEntry): JournalEntry => JSON.parse(JSON.stringify(e)) as JournalEntry;
  return {
    claim(entry) {
      checkClaim([...entries.values()], entry.image, opts.alive);
      if (entries.has(entry.runId)) fail('INTERNAL', `Run ${entry.runId} is already in the journal.`, 'This is a bug in Guestprep.');
      const t = now();
      entries.set(entry.runId, { ...copy(entry as JournalEntry), phase: 'planned', startedAt: t, updatedAt: t });
    },
    update(runId, phase, extra) {
      const e = entries.get(runId);
      if (!e) fail('INTERNAL', `Run ${runId} is not in the journal.`, 'This is a bug in Guestprep.');
      e.phase = phase;
      e.updatedAt = now();
      if (extra?.verify) e.verify = copy({ verify: extra.verify } as unknown as JournalEntry).verify;
      if (extra?.note !== undefined) e.note = extra.note;
    },
    adopt(runId, owner) {
      const e = entries.get(runId);
      if (!e || !OPEN_PHASES.includes(e.phase) || (opts.alive ?? ownerAlive)(e.owner)) return undefined;
      e.owner = { ...owner };
      e.updatedAt = now();
      return copy(e);
    },
    get: (runId) => {
      const e = entries.get(runId);
      return e && copy(e);
    },
    open: () => [...entries.values()].filter((e) => OPEN_PHASES.includes(e.phase)).map(copy),
    list: (limit = 50) => [...entries.values()].reverse().slice(0, limit).map(copy),
  };
}
