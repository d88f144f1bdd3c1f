import { describe, expect, it } from 'vitest';
import type { ErrorData } from '../../../main/contract/contract';
import { plan, prepareReport } from '../test/fixtures';
import { batchCounts, batchPercent, batchRefused, batchStarted, finishBatchItem, reduceBatchEvent, setCancelling, startingBatch, unfinishedRunId } from './batch-run';

const failure: ErrorData = { code: 'GUEST_NO_SPACE', message: 'b.vdi has 10 MB free', fix: 'Free space in the guest.' };

describe('batch run state', () => {
  it('events of each run id update their own row', () => {
    let b = batchStarted(startingBatch(['/i/a.vdi', '/i/b.vdi'], plan()), ['r1', 'r2']);
    expect(b.status).toBe('running');
    expect(b.items.map((it) => [it.runId, it.run.status])).toEqual([['r1', 'running'], ['r2', 'running']]);
    b = reduceBatchEvent(b, 'r1', { type: 'progress', percent: 40 });
    b = reduceBatchEvent(b, 'r2', { type: 'step', stepId: 'upload-proactive', title: 'Upload ProActive', status: 'running', index: 1, total: 3 });
    b = reduceBatchEvent(b, 'other', { type: 'progress', percent: 99 });
    expect(b.items[0]!.run.percent).toBe(40);
    expect(b.items[1]!.run.steps.find((s) => s.status === 'running')?.title).toBe('Upload ProActive');
    expect(b.items[1]!.run.percent).not.toBe(99);
    expect(batchPercent(b)).toBe(Math.round((40 + b.items[1]!.run.percent) / 2));
  });

  it('one failure and one success: each row has its outcome, the batch is finished', () => {
    let b = batchStarted(startingBatch(['/i/a.vdi', '/i/b.vdi'], plan()), ['r1', 'r2']);
    b = finishBatchItem(b, 'r2', { ok: false, error: { ...failure, step: 'upload-proactive' } });
    expect(b.status).toBe('running');
    expect(unfinishedRunId(b)).toBe('r1');
    b = finishBatchItem(b, 'r1', { ok: true, value: prepareReport() });
    expect(b.status).toBe('finished');
    expect(b.items[0]!.run.status).toBe('success');
    expect(b.items[1]!.run).toMatchObject({ status: 'failed', failedStep: 'upload-proactive', error: { fix: 'Free space in the guest.' } });
    expect(batchCounts(b)).toEqual({ total: 2, success: 1, failed: 1, cancelled: 0 });
    expect(unfinishedRunId(b)).toBeUndefined();
    // A late event for a finished row changes nothing.
    expect(reduceBatchEvent(b, 'r2', { type: 'progress', percent: 5 })).toEqual(b);
  });

  it('cancelling marks the unfinished rows only, and can be undone', () => {
    let b = batchStarted(startingBatch(['/a', '/b'], undefined), ['r1', 'r2']);
    b = finishBatchItem(b, 'r1', { ok: true, value: prepareReport() });
    b = setCancelling(b, true);
    expect(b.status).toBe('cancelling');
    expect(b.items.map((it) => it.run.status)).toEqual(['success', 'cancelling']);
    b = setCancelling(b, false);
    expect(b.items.map((it) => it.run.status)).toEqual(['success', 'running']);
  });

  it('refused as a whole: every row failed with the one error', () => {
    const b = batchRefused(startingBatch(['/a', '/b'], undefined), failure);
    expect(b.status).toBe('refused');
    expect(b.error).toEqual(failure);
    expect(batchCounts(b).failed).toBe(2);
  });
});
