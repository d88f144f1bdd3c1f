// The run's progress as a pure reducer over the backend's RunEvents, so the Run step only renders and
// the rules (per-step bytes, overall percent, capped log, failing step) are tested on their own.

import type { ErrorData, PlanPreview, RunEvent, RunReport } from '../../../main/contract/contract';

/** The live log keeps the last lines only: a run can print tens of thousands of guestfish lines. */
export const LOG_CAP = 500;

export type StepRunStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StepRun {
  id: string;
  title: string;
  status: StepRunStatus;
  sent?: number;
  total?: number;
}

export interface LogLine {
  n: number;
  level: 'info' | 'warn' | 'debug' | 'phase';
  message: string;
}

export type RunStatus = 'idle' | 'starting' | 'running' | 'cancelling' | 'success' | 'failed' | 'cancelled';

export interface RunState {
  status: RunStatus;
  runId?: string;
  steps: StepRun[];
  /** 0..100, from the backend's 'progress' events (or from the steps until the first one arrives). */
  percent: number;
  /** True once the backend sent a 'progress' event: from then on its percent is the truth. */
  exactPercent?: boolean;
  phase?: string;
  log: LogLine[];
  /** How many lines fell off the front of the log. */
  dropped: number;
  /** A PrepareReport, or a RetargetReport / RemoveReport (those carry `operation`). */
  report?: RunReport;
  error?: ErrorData;
  /** The plan step the failure happened in (id), for highlighting. */
  failedStep?: string;
}

export const idleRun: RunState = { status: 'idle', steps: [], percent: 0, log: [], dropped: 0 };

export function startingRun(plan: PlanPreview | undefined): RunState {
  return {
    ...idleRun,
    status: 'starting',
    steps: (plan?.steps ?? []).map((s) => ({ id: s.id, title: s.title, status: 'pending' as const, total: s.bytes })),
  };
}

export function isActive(run: RunState): boolean {
  return run.status === 'starting' || run.status === 'running' || run.status === 'cancelling';
}

function appendLog(run: RunState, level: LogLine['level'], message: string): Pick<RunState, 'log' | 'dropped'> {
  const n = run.dropped + run.log.length + 1;
  const log = [...run.log, { n, level, message }];
  const over = log.length - LOG_CAP;
  return over > 0 ? { log: log.slice(over), dropped: run.dropped + over } : { log, dropped: run.dropped };
}

function stepsPercent(steps: StepRun[]): number {
  if (steps.length === 0) return 0;
  const done = steps.filter((s) => s.status === 'done').length;
  return Math.round((done / steps.length) * 100);
}

function upsertStep(steps: StepRun[], id: string, title: string | undefined, patch: Partial<StepRun>): StepRun[] {
  const i = steps.findIndex((s) => s.id === id);
  if (i < 0) return [...steps, { id, title: title ?? id, status: 'pending', ...patch }];
  const next = steps.slice();
  next[i] = { ...next[i]!, ...(title ? { title } : {}), ...patch };
  return next;
}

export function reduceRunEvent(run: RunState, e: RunEvent): RunState {
  switch (e.type) {
    case 'phase':
      return { ...run, phase: e.message, ...appendLog(run, 'phase', e.message) };
    case 'step': {
      const patch: Partial<StepRun> = { status: e.status };
      const cur = run.steps.find((s) => s.id === e.stepId);
      if (e.status === 'done' && cur?.total !== undefined) patch.sent = cur.total;
      const steps = upsertStep(run.steps, e.stepId, e.title, patch);
      const failedStep = e.status === 'failed' ? e.stepId : run.failedStep;
      return {
        ...run,
        steps,
        failedStep,
        percent: run.exactPercent ? run.percent : stepsPercent(steps),
        ...appendLog(run, 'info', `${e.status === 'running' ? 'Step' : e.status === 'done' ? 'Done' : 'Failed'} ${e.index + 1}/${e.total}: ${e.title}`),
      };
    }
    case 'bytes':
      return { ...run, steps: upsertStep(run.steps, e.stepId, undefined, { sent: e.sent, total: e.total }) };
    case 'progress':
      return { ...run, exactPercent: true, percent: Math.max(0, Math.min(100, Math.round(e.percent))) };
    case 'log':
      return { ...run, ...appendLog(run, e.level, e.message) };
    default:
      return run;
  }
}

/** The final answer of the run: success, cancellation, or a failure pinned to its step. */
export function finishRun(run: RunState, result: { ok: true; value: RunReport } | { ok: false; error: ErrorData }): RunState {
  if (result.ok) {
    return { ...run, status: 'success', percent: 100, report: result.value, steps: run.steps.map((s) => (s.status === 'failed' ? s : { ...s, status: 'done' })) };
  }
  const error = result.error;
  if (error.code === 'CANCELLED') {
    return { ...run, status: 'cancelled', error, steps: run.steps.map((s) => (s.status === 'running' ? { ...s, status: 'pending' } : s)) };
  }
  // error.step names the plan step; match by id, or by title for errors raised with the human name.
  const hit = error.step !== undefined ? run.steps.find((s) => s.id === error.step || s.title === error.step) : undefined;
  const failedStep = hit?.id ?? run.failedStep ?? run.steps.find((s) => s.status === 'running')?.id;
  return {
    ...run,
    status: 'failed',
    error,
    failedStep,
    steps: run.steps.map((s) => (s.id === failedStep ? { ...s, status: 'failed' } : s)),
  };
}
