import { describe, expect, it } from 'vitest';
import { plan } from '../test/fixtures';
import { finishRun, LOG_CAP, reduceRunEvent, startingRun } from './run-state';

describe('run reducer', () => {
  it('per-step bytes, overall from steps until the backend sends progress', () => {
    let r = startingRun(plan());
    r = reduceRunEvent(r, { type: 'step', stepId: 'upload-jre', title: 'Upload the Java runtime', status: 'running', index: 0, total: 3 });
    r = reduceRunEvent(r, { type: 'bytes', stepId: 'upload-jre', sent: 500, total: 1000 });
    expect(r.steps[0]).toMatchObject({ status: 'running', sent: 500, total: 1000 });
    r = reduceRunEvent(r, { type: 'step', stepId: 'upload-jre', title: 'Upload the Java runtime', status: 'done', index: 0, total: 3 });
    expect(r.steps[0]!.sent).toBe(1000);
    expect(r.percent).toBe(33);
    r = reduceRunEvent(r, { type: 'progress', percent: 47.6 });
    expect(r.percent).toBe(48);
    r = reduceRunEvent(r, { type: 'step', stepId: 'upload-proactive', title: 'Upload ProActive', status: 'done', index: 1, total: 3 });
    expect(r.percent).toBe(48);
  });

  it('the log keeps the last LOG_CAP lines and counts the rest', () => {
    let r = startingRun(plan());
    for (let i = 0; i < LOG_CAP + 20; i++) r = reduceRunEvent(r, { type: 'log', level: 'debug', message: `line ${i}` });
    expect(r.log).toHaveLength(LOG_CAP);
    expect(r.dropped).toBe(20);
    expect(r.log[0]!.message).toBe('line 20');
    expect(r.log.at(-1)!.message).toBe(`line ${LOG_CAP + 19}`);
  });

  it('failure without error.step falls back to the running step', () => {
    let r = startingRun(plan());
    r = reduceRunEvent(r, { type: 'step', stepId: 'install-systemd-unit', title: 'Install the systemd unit', status: 'running', index: 2, total: 3 });
    r = finishRun(r, { ok: false, error: { code: 'VERIFY_FAILED', message: 'x', fix: 'y' } });
    expect(r.failedStep).toBe('install-systemd-unit');
    expect(r.steps[2]!.status).toBe('failed');
  });

  it('error.step given as the title still finds the step', () => {
    const r = finishRun(startingRun(plan()), { ok: false, error: { code: 'STEP_FAILED', message: 'x', fix: 'y', step: 'Upload ProActive' } });
    expect(r.failedStep).toBe('upload-proactive');
  });
});
