// Runs a plan's steps in one live guestfish session. Each command is followed by a marker (see
// session.ts), so a failure is attributed to the step that issued it, with the libguestfs message.
// Uploads are streamed through FIFOs; their bytes drive the progress of archive steps. Generated host
// files ('content' refs: the .reg text) and scratch files ('scratch' refs: a hive downloaded, merged on
// the host and uploaded back) live in the run's private temp folder; `local` commands run host programs
// (hivexregedit) between guestfish commands of the same session, so a Windows run is still one launch.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { GuestprepError, fail } from '../errors';
import { renderCommand } from '../quote/guestfish';
import type { GfCommand, PlanStep, RunEvent, UploadRef } from '../types';
import type { GuestfishSession } from '../guestfish/session';
import { feedFifo, makeFifo, FifoFeed } from './fifo';
import { runHost } from './verify';

export interface ExecuteOptions {
  /** Opens the host-side stream for an upload of kind 'tar' (the sanitised, re-streamed archive). */
  openUpload: (ref: UploadRef) => Readable;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
}

export interface StepTiming {
  id: string;
  ms: number;
  bytes?: number;
}

export async function executeSteps(s: GuestfishSession, steps: PlanStep[], opts: ExecuteOptions): Promise<StepTiming[]> {
  const work = mkdtempSync(join(tmpdir(), 'guestprep-pipes-'));
  const timings: StepTiming[] = [];
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      checkAborted(opts.signal, step.id);
      opts.onEvent?.({ type: 'step', stepId: step.id, title: step.title, status: 'running', index: i, total: steps.length });
      const t0 = Date.now();
      let bytes = 0;
      try {
        for (const [j, cmd] of step.commands.entries()) {
          bytes += await runCommand(s, cmd, join(work, `${i}-${j}.pipe`), step, opts);
        }
      } catch (err) {
        opts.onEvent?.({ type: 'step', stepId: step.id, title: step.title, status: 'failed', index: i, total: steps.length });
        throw attributeToStep(err, step, opts.signal);
      }
      if (!bytes && step.bytes) {
        // Copied from an archive disk (archive-disks.ts) rather than streamed: its bytes land all at once.
        bytes = step.bytes;
        opts.onEvent?.({ type: 'bytes', stepId: step.id, sent: bytes, total: bytes });
      }
      timings.push({ id: step.id, ms: Date.now() - t0, ...(bytes ? { bytes } : {}) });
      opts.onEvent?.({ type: 'step', stepId: step.id, title: step.title, status: 'done', index: i, total: steps.length });
    }
    return timings;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A file name for a ref id inside the run's private folder (ids are plan-made, but never trusted as paths). */
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_');

async function runCommand(s: GuestfishSession, cmd: GfCommand, pipePath: string, step: PlanStep, opts: ExecuteOptions): Promise<number> {
  const feeds: FifoFeed[] = [];
  const work = dirname(pipePath);
  const hostPath = (ref: UploadRef): string => {
    if (ref.kind === 'file') return ref.source;
    if (ref.kind === 'scratch') return join(work, `scratch-${safeId(ref.id)}`);
    if (ref.kind === 'content') {
      const p = join(work, `content-${safeId(ref.id)}`);
      writeFileSync(p, ref.content ?? '', { mode: 0o600 });
      return p;
    }
    makeFifo(pipePath);
    feeds.push(
      feedFifo(pipePath, opts.openUpload(ref), (sent) =>
        opts.onEvent?.({ type: 'bytes', stepId: step.id, sent, total: Math.max(ref.bytes, sent) }),
      ),
    );
    return pipePath;
  };
  if (cmd.local) return runLocal(cmd, hostPath);
  const line = renderCommand(cmd, hostPath);
  try {
    const r = await s.execRaw(line, false);
    if (!r.ok) {
      throw new GuestprepError({
        code: 'STEP_FAILED',
        message: r.error ?? 'guestfish stopped',
        fix: 'See the details; the image was not changed.',
        detail: r.output,
      });
    }
    let sent = 0;
    for (const f of feeds) sent += await f.done;
    return sent;
  } catch (err) {
    for (const f of feeds) f.abandon();
    // A broken archive stream surfaces as both a guestfish tar error and a stream error: prefer ours.
    for (const f of feeds) {
      const streamErr = await f.done.then(() => undefined, (e: unknown) => e);
      if (streamErr instanceof GuestprepError) throw streamErr;
    }
    throw err;
  }
}

/** A host program, spawned without a shell; a non-zero exit fails the step with the program's stderr. */
async function runLocal(cmd: GfCommand, hostPath: (ref: UploadRef) => string): Promise<number> {
  const [program, ...args] = cmd.argv.map((a) => (typeof a === 'string' ? a : hostPath(a.upload)));
  const r = await runHost(program, args);
  if (r.code !== 0) {
    const why = r.code === null ? 'could not be started' : `exited with code ${r.code}`;
    const first = (r.stderr.trim() || r.stdout.trim()).split('\n')[0];
    throw new GuestprepError({
      code: r.code === null && program === 'hivexregedit' ? 'LIBGUESTFS_MISSING' : 'STEP_FAILED',
      message: `${program} ${why}${first ? `: ${first}` : ''}`,
      fix: r.code === null && program === 'hivexregedit'
        ? 'Install hivex\'s hivexregedit: on Debian/Ubuntu `apt-get install libwin-hivex-perl`, on Fedora `dnf install hivex`. The image was not changed.'
        : 'See the details; the image was not changed.',
      detail: [r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n'),
    });
  }
  return 0;
}

function checkAborted(signal: AbortSignal | undefined, stepId: string): void {
  if (signal?.aborted) {
    fail('CANCELLED', 'The run was cancelled; the image was not changed.', 'Start the run again when you are ready.', { step: stepId });
  }
}

function attributeToStep(err: unknown, step: PlanStep, signal?: AbortSignal): GuestprepError {
  if (signal?.aborted) {
    return new GuestprepError({
      code: 'CANCELLED',
      message: 'The run was cancelled; the image was not changed.',
      fix: 'Start the run again when you are ready.',
      step: step.id,
    });
  }
  if (err instanceof GuestprepError) {
    if (err.code === 'STEP_FAILED') {
      return new GuestprepError({
        code: 'STEP_FAILED',
        message: `Step "${step.title}" failed: ${err.message}`,
        fix: fixForStepFailure(err.message),
        step: step.id,
        detail: err.detail,
      });
    }
    return new GuestprepError({ ...err.toData(), step: err.step ?? step.id });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new GuestprepError({
    code: 'STEP_FAILED',
    message: `Step "${step.title}" failed: ${e.message}`,
    fix: 'See the details; the image was not changed.',
    step: step.id,
    detail: e.stack,
  });
}

/** Turns the usual libguestfs complaints into advice. */
export function fixForStepFailure(message: string): string {
  if (/No space left on device|ENOSPC/i.test(message)) {
    return 'The guest filesystem is full. Free space in the VM (or enlarge its disk, e.g. VBoxManage modifymedium --resize, then grow the partition), then run again. The image was not changed.';
  }
  if (/Not a directory|File exists/i.test(message)) {
    return 'Something in the guest is in the way of the install folder. Choose another --install-dir or remove it in the VM. The image was not changed.';
  }
  if (/hivexregedit|cannot create .* since parent/i.test(message)) {
    return "The guest's SYSTEM registry hive could not take the service's keys (details below). Boot the VM once so Windows repairs its registry, then run again. The image was not changed.";
  }
  if (/Read-only file system/i.test(message)) {
    return 'The guest filesystem could not be written (it may need a check: boot the VM once or run fsck). The image was not changed.';
  }
  return 'See the details below. The image was not changed.';
}
