// The transaction every image-writing run goes through (prepare, retarget, remove):
//   claim the image in the journal -> qcow2 overlay -> one appliance launch on the overlay -> (the caller
//   inspects and plans) -> write -> verify -> shut the appliance down -> commit -> done.
// The user's image is only the overlay's read-only backing file until the commit, the one moment it is
// written. The journal (journal.ts) records each phase durably before it starts, so a run killed at any
// moment is rolled back (overlay deleted) or finished (commit redone from the kept overlay) by recover.ts.
// A failure or cancel before the commit deletes the overlay; a failed commit keeps it for recovery.

import { closeSync, fsyncSync, openSync, realpathSync, statSync } from 'node:fs';
import { GuestprepError, fail } from '../errors';
import type { Expectation, ImageFileInfo, PlanStep, RunEvent } from '../types';
import { createOverlay, commitOverlay } from '../image/qemu-img';
import { waitUntilUnheld } from './file-holders';

/** How long a commit waits for another process to let go of the image's files. */
const COMMIT_HOLDER_WAIT_MS = 30_000;
import { launchAppliance, LaunchStats } from '../guestfish/launch';
import type { Drive, GuestfishSession } from '../guestfish/session';
import { executeSteps, ExecuteOptions, StepTiming } from '../execute/executor';
import { verifyExpectations, VerifyResult } from '../execute/verify';
import { newRunDir, RunDir } from './state';
import type { ProgressModel } from './progress';
import type { ImageIdentity, JournalPhase, RunJournal, RunKind } from './journal';
import type { RunOwner } from './owner';

export interface TransactionOptions {
  image: ImageFileInfo;
  kind: RunKind;
  journal: RunJournal;
  owner: RunOwner;
  stats: LaunchStats;
  emit: (e: RunEvent) => void;
  progress: ProgressModel;
  /** Host-side discoveries worth telling once (KVM broken, cache repaired). */
  onNotice: (message: string) => void;
  signal?: AbortSignal;
  /** Read-only on the image itself: no claim, no overlay, nothing can be written (dry runs). */
  readOnly?: boolean;
}

export function imageIdentity(path: string): ImageIdentity {
  const st = statSync(path);
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

export function sameIdentity(a: ImageIdentity, b: ImageIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Flushes a file's data to disk: a phase recorded as reached must not rest on data still in the page cache. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class ImageTransaction {
  private phase: JournalPhase | 'none' = 'none';
  /** The appliance is shared with other transactions (a batch): the batch closes it, not us. */
  private shared = false;
  private recipe?: { mounts: Array<{ mountpoint: string; device: string }>; expectations: Expectation[] };
  private constructor(
    private opts: TransactionOptions,
    readonly run: RunDir,
    readonly imagePath: string,
    readonly before: ImageIdentity,
    private sessionRef: GuestfishSession | undefined,
  ) {}

  get runId(): string {
    return this.run.id;
  }

  /** The live appliance session (until the transaction has verified, failed or been dry-run closed). */
  get session(): GuestfishSession {
    if (!this.sessionRef) fail('INTERNAL', 'The appliance session is already closed.', 'This is a bug in Guestprep.');
    return this.sessionRef;
  }

  /**
   * Claims the image and creates its overlay, without an appliance: a batch then launches one appliance
   * for several transactions (`drive` + `attach`). On failure everything made so far is undone.
   */
  static async begin(opts: TransactionOptions): Promise<ImageTransaction> {
    const { image, emit } = opts;
    const run = newRunDir();
    let imagePath: string;
    try {
      imagePath = realpathSync(image.path);
    } catch (err) {
      run.remove();
      throw err;
    }
    const tx = new ImageTransaction(opts, run, imagePath, imageIdentity(imagePath), undefined);
    try {
      if (!opts.readOnly) {
        opts.journal.claim({ runId: run.id, kind: opts.kind, image: imagePath, format: image.format, runDir: run.dir, overlay: run.overlay, owner: opts.owner, before: tx.before });
        tx.phase = 'planned';
        emit({ type: 'phase', phase: 'overlay', message: 'Creating a temporary overlay (the image stays untouched until the end)' });
        await createOverlay(imagePath, image.format, run.overlay);
      }
      return tx;
    } catch (err) {
      throw await tx.abandon(err);
    }
  }

  /**
   * Claims the image, creates the overlay and launches the appliance on it (this transaction's own). On any
   * failure everything made so far is undone before the error is thrown.
   */
  static async open(opts: TransactionOptions, moreDrives?: (run: RunDir) => Promise<Drive[]>): Promise<ImageTransaction> {
    const tx = await ImageTransaction.begin(opts);
    try {
      // Made in the run's folder, so they go with it whatever happens (archive disks, archive-disks.ts).
      const readonlyDrives = moreDrives ? await moreDrives(tx.run) : [];
      tx.checkAborted();
      opts.emit({ type: 'phase', phase: 'launch', message: 'Starting the libguestfs appliance' });
      tx.sessionRef = await launchAppliance({
        drives: [tx.drive],
        readonlyDrives,
        readonly: !!opts.readOnly,
        stats: opts.stats,
        signal: opts.signal,
        onLine: (line) => opts.emit({ type: 'log', level: 'debug', message: line }),
        onNotice: opts.onNotice,
      });
      opts.progress.phaseDone('launch');
      tx.checkAborted();
      return tx;
    } catch (err) {
      throw await tx.abandon(err);
    }
  }

  /** The drive to give the appliance: the overlay, or the image itself for a read-only transaction. */
  get drive(): { path: string; format: ImageFileInfo['format'] } {
    return this.opts.readOnly ? { path: this.imagePath, format: this.opts.image.format } : { path: this.run.overlay, format: 'qcow2' };
  }

  /**
   * Hands the transaction to another caller (a run taking over a warm session): its events, progress and
   * cancel signal from now on. Cancelling kills the appliance, as it would have in a run of its own.
   */
  rebind(o: { emit: TransactionOptions['emit']; progress: ProgressModel; signal?: AbortSignal }): void {
    this.opts = { ...this.opts, emit: o.emit, progress: o.progress, signal: o.signal };
    const s = this.sessionRef;
    if (s && o.signal) {
      if (o.signal.aborted) s.kill();
      else o.signal.addEventListener('abort', () => s.kill(), { once: true });
    }
  }

  /** Works in an appliance launched by someone else (a batch), which that someone closes. */
  attach(session: GuestfishSession): void {
    this.sessionRef = session;
    this.shared = true;
  }

  get kind(): RunKind {
    return this.opts.kind;
  }

  /** Writes the plan's steps into the overlay. */
  async write(steps: PlanStep[], exec: Omit<ExecuteOptions, 'signal' | 'onEvent'>): Promise<StepTiming[]> {
    this.mustBeWritable();
    this.setPhase('writing');
    this.opts.emit({ type: 'phase', phase: 'write', message: 'Writing into the overlay' });
    const totalBytes = steps.reduce((n, s) => n + (s.bytes ?? 0), 0);
    this.opts.progress.planWrite(steps.length, totalBytes);
    const timings = await executeSteps(this.session, steps, {
      ...exec,
      signal: this.opts.signal,
      onEvent: (e) => {
        this.opts.emit(e);
        this.opts.progress.writeEvent(e);
      },
    });
    this.opts.progress.phaseDone('write');
    this.checkAborted();
    return timings;
  }

  /**
   * Reads everything back from the overlay. With its own appliance, then shuts it down (`quit` unmounts and
   * syncs) and seals: only then is the run `verified`, the overlay holding the complete change. In a shared
   * appliance the batch seals each transaction once the appliance is down.
   */
  async verify(expectations: Expectation[], mounts: Array<{ mountpoint: string; device: string }>): Promise<VerifyResult> {
    this.mustBeWritable();
    this.opts.emit({ type: 'phase', phase: 'verify', message: 'Verifying what was written' });
    const result = await verifyExpectations(this.session, expectations);
    if (result.failures.length) {
      fail(
        'VERIFY_FAILED',
        `Verification found ${result.failures.length} problem(s): ${result.failures.slice(0, 5).join('; ')}`,
        'Nothing was committed and the image was not changed. Please report this with the details.',
        { detail: result.failures.join('\n') },
      );
    }
    // Devices that did not mount (a broken /boot) are left out: recovery mounts what the run mounted.
    this.recipe = { mounts: mounts.filter((m) => !m.device.includes('(not mounted')), expectations };
    if (this.shared) {
      this.sessionRef = undefined;
      return result;
    }
    const clean = await this.session.close();
    this.sessionRef = undefined;
    if (!clean) applianceNotShutDown();
    this.seal();
    this.checkAborted();
    return result;
  }

  /** After the appliance that wrote the overlay has shut down: overlay flushed to disk, run `verified`. */
  seal(): void {
    if (!this.recipe) fail('INTERNAL', 'Sealing a transaction that was not verified.', 'This is a bug in Guestprep.');
    fsyncFile(this.run.overlay);
    this.setPhase('verified', { verify: this.recipe });
    this.opts.progress.phaseDone('verify');
  }

  /**
   * Commits the overlay into the image: the only write to it. `committing` is on disk before qemu-img
   * starts, so a crash from here on is finished by recovery, never rolled back.
   */
  async commit(): Promise<void> {
    if (this.phase !== 'verified') fail('INTERNAL', `Commit in phase ${this.phase}.`, 'This is a bug in Guestprep.');
    this.opts.emit({ type: 'phase', phase: 'commit', message: 'Committing into the image' });
    if (!sameIdentity(imageIdentity(this.imagePath), this.before)) {
      fail('IMAGE_CHANGED_DURING_RUN', 'The image was modified by another program while Guestprep was working on it.', 'Make sure the VM is powered off and nothing else uses the disk, then run again. Guestprep did not write to it.');
    }
    // qemu-img commit locks the overlay and every file of the image; a process still holding one (an
    // appliance still shutting down, a VM started meanwhile) would make it fail half-way. Wait for it, or
    // refuse while nothing has been written yet.
    const files = [this.run.overlay, this.imagePath, ...(this.opts.image.extentFiles ?? [])];
    const held = await waitUntilUnheld(files, COMMIT_HOLDER_WAIT_MS);
    if (held.length) {
      fail('IMAGE_LOCKED', `${this.imagePath} is in use: ${held.map((h) => `${h.name} (pid ${h.pid}) has ${h.file} open`).join('; ')}. Nothing was committed.`,
        'Stop that program (power off the VM that uses this disk), then run again. Guestprep did not write to the image.');
    }
    this.setPhase('committing');
    await commitOverlay(this.run.overlay, (pct) => this.opts.progress.commitPercent(pct));
    fsyncFile(this.imagePath);
    // The overlay goes only after a successful commit: recovery reads "committing, no overlay" as committed.
    this.run.remove();
    this.setPhase('done');
    this.opts.progress.done();
  }

  /**
   * Gives the image back unchanged (a warm session nobody ran): appliance stopped, overlay deleted, the
   * run ends rolled back.
   */
  async release(note: string): Promise<void> {
    if (this.sessionRef && !this.shared) {
      this.sessionRef.kill();
      await this.sessionRef.waitExit();
    }
    this.sessionRef = undefined;
    this.run.remove();
    if (this.phase !== 'none' && this.phase !== 'done' && this.phase !== 'committing') {
      try {
        this.setPhase('rolled-back', { note });
      } catch {
        /* see abandon */
      }
    }
  }

  /** Whether this transaction's own appliance is still up. */
  get live(): boolean {
    return !!this.sessionRef && this.sessionRef.alive;
  }

  /** Ends a read-only (dry-run) transaction. */
  async closeReadOnly(): Promise<void> {
    if (this.sessionRef) await this.sessionRef.close();
    this.sessionRef = undefined;
    this.run.remove();
  }

  /**
   * Undoes whatever the transaction made after `err`, and returns the error to throw: the appliance is
   * stopped; before the commit the overlay is deleted and the run ends rolled back (cancel) or failed;
   * once the commit has begun, the overlay is kept and the run stays `committing` for recovery.
   */
  async abandon(err: unknown): Promise<unknown> {
    if (this.sessionRef && !this.shared) {
      this.sessionRef.kill();
      await this.sessionRef.waitExit();
    }
    this.sessionRef = undefined;
    const cancelled = !!this.opts.signal?.aborted;
    if (this.phase === 'committing') {
      if (err instanceof GuestprepError && err.code === 'COMMIT_FAILED') {
        return new GuestprepError({
          ...err.toData(),
          fix:
            `${err.fix} The changes are kept in ${this.run.overlay}: once the cause is fixed, run \`guestprep recover\` ` +
            '(or restart the app), which finishes the commit from them (re-committing is safe) and verifies the image.',
        });
      }
      return err;
    }
    this.run.remove();
    if (this.phase !== 'none' && this.phase !== 'done') {
      const note = err instanceof GuestprepError ? `${err.code}: ${err.message}` : String(err);
      try {
        this.setPhase(cancelled ? 'rolled-back' : 'failed', { note });
      } catch {
        /* the journal is unreachable: the next recovery finds the run open, without its folder, and closes it */
      }
    }
    if (cancelled && !(err instanceof GuestprepError && err.code === 'CANCELLED')) {
      return new GuestprepError({
        code: 'CANCELLED',
        message: 'The run was cancelled; the image was not changed.',
        fix: 'Start the run again when you are ready.',
        step: err instanceof GuestprepError ? err.step : undefined,
      });
    }
    return err;
  }

  checkAborted(): void {
    if (this.opts.signal?.aborted) fail('CANCELLED', 'The run was cancelled; the image was not changed.', 'Start the run again when you are ready.');
  }

  private mustBeWritable(): void {
    if (this.opts.readOnly) fail('INTERNAL', 'A read-only transaction cannot write.', 'This is a bug in Guestprep.');
  }

  private setPhase(phase: JournalPhase, extra?: Parameters<RunJournal['update']>[2]): void {
    if (this.opts.readOnly) return;
    this.opts.journal.update(this.run.id, phase, extra);
    this.phase = phase;
  }
}

/**
 * The appliance had to be killed instead of shutting down: what it wrote may not all have reached the
 * overlay, so the verification proves nothing about the overlay and nothing may be committed.
 */
export function applianceNotShutDown(): never {
  return fail('APPLIANCE_SHUTDOWN_FAILED', 'The appliance did not shut down cleanly after writing, so its writes may not all be in the temporary overlay. Nothing was committed and the image was not changed.',
    'Run again. If it happens again, the host is too busy or short of memory for the appliance to finish in time: close other virtual machines and retry.');
}
