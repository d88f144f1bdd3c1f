// The state of a batch (run.startBatch): one RunState per image, fed by the 'run.event's and the one
// 'run.result' of its run id, so each image has its own step, percent and outcome. Pure functions, like
// run-state.ts, so the rules (which row an event updates, when the batch is over) are tested without React.

import type { ErrorData, PlanPreview, RunEvent, RunReport } from '../../../main/contract/contract';
import { finishRun, isActive, reduceRunEvent, startingRun, type RunState } from './run-state';

export interface BatchItem {
  image: string;
  /** Known once run.startBatch has answered. */
  runId?: string;
  run: RunState;
}

export type BatchStatus = 'idle' | 'starting' | 'running' | 'cancelling' | 'finished' | 'refused';

export interface BatchRunState {
  status: BatchStatus;
  items: BatchItem[];
  /** run.startBatch itself was refused (settings, archives, a busy image): no image was touched. */
  error?: ErrorData;
}

export const idleBatch: BatchRunState = { status: 'idle', items: [] };

/** Every row starts with the previewed plan's steps: other guests may differ, the events add those. */
export function startingBatch(images: readonly string[], plan: PlanPreview | undefined): BatchRunState {
  return { status: 'starting', items: images.map((image) => ({ image, run: startingRun(plan) })) };
}

export function batchActive(b: BatchRunState): boolean {
  return b.status === 'starting' || b.status === 'running' || b.status === 'cancelling';
}

/** run.startBatch answered: ids are in the order of the images. */
export function batchStarted(b: BatchRunState, runIds: readonly string[]): BatchRunState {
  const items = b.items.map((it, i) => ({ ...it, runId: runIds[i], run: it.run.status === 'starting' ? { ...it.run, runId: runIds[i], status: 'running' as const } : it.run }));
  return { ...b, items, status: b.status === 'starting' ? 'running' : b.status };
}

export function batchRefused(b: BatchRunState, error: ErrorData): BatchRunState {
  return { ...b, status: 'refused', error, items: b.items.map((it) => ({ ...it, run: { ...it.run, status: 'failed', error } })) };
}

function updateItem(b: BatchRunState, runId: string, f: (run: RunState) => RunState): BatchRunState {
  const i = b.items.findIndex((it) => it.runId === runId);
  if (i < 0) return b;
  const items = b.items.slice();
  items[i] = { ...items[i]!, run: f(items[i]!.run) };
  return { ...b, items };
}

export function reduceBatchEvent(b: BatchRunState, runId: string, e: RunEvent): BatchRunState {
  return updateItem(b, runId, (run) => (isActive(run) ? reduceRunEvent(run, e) : run));
}

/** One image's result; the batch is finished once every image has one. */
export function finishBatchItem(b: BatchRunState, runId: string, result: { ok: true; value: RunReport } | { ok: false; error: ErrorData }): BatchRunState {
  const next = updateItem(b, runId, (run) => finishRun(run, result));
  return next.items.every((it) => !isActive(it.run)) ? { ...next, status: 'finished' } : next;
}

/** Marks the unfinished rows as cancelling (or back to running when the cancel did not happen). */
export function setCancelling(b: BatchRunState, on: boolean): BatchRunState {
  if (!batchActive(b)) return b;
  const from = on ? 'running' : 'cancelling';
  const to = on ? 'cancelling' : 'running';
  return { ...b, status: to, items: b.items.map((it) => (it.run.status === from ? { ...it, run: { ...it.run, status: to } } : it)) };
}

/**
 * A run id the backend still knows: any of the batch's ids cancels the whole batch, but a finished image's
 * id is forgotten by then, so cancelling with it would do nothing.
 */
export function unfinishedRunId(b: BatchRunState): string | undefined {
  return b.items.find((it) => it.runId && isActive(it.run))?.runId;
}

export function batchCounts(b: BatchRunState) {
  const count = (st: RunState['status']) => b.items.filter((it) => it.run.status === st).length;
  return { total: b.items.length, success: count('success'), failed: count('failed'), cancelled: count('cancelled') };
}

/** Overall percent: the mean of the rows (a finished row, even failed, counts as 100: it is done). */
export function batchPercent(b: BatchRunState): number {
  if (b.items.length === 0) return 0;
  const sum = b.items.reduce((acc, it) => acc + (isActive(it.run) ? it.run.percent : 100), 0);
  return Math.round(sum / b.items.length);
}
