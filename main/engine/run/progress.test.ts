import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressModel, phaseStart, PHASE_WEIGHTS } from './progress';
import type { RunEvent } from '../types';

function model(steps: number, bytes: number) {
  const seen: number[] = [];
  const m = new ProgressModel((e: RunEvent) => e.type === 'progress' && seen.push(e.percent));
  m.planWrite(steps, bytes);
  return { m, seen };
}

test('weights add up to 100', () => {
  assert.equal(Object.values(PHASE_WEIGHTS).reduce((a, b) => a + b, 0), 100);
  assert.equal(phaseStart('checks'), 0);
  assert.equal(phaseStart('write'), 33);
});

test('write progress follows bytes and steps, never goes back', () => {
  const { m, seen } = model(4, 1000);
  m.phaseDone('inspect');
  assert.equal(m.value, 33);
  m.writeEvent({ type: 'bytes', stepId: 'upload-jre', sent: 500, total: 1000 });
  assert.equal(m.value, 33 + 52 * 0.25);
  m.writeEvent({ type: 'step', stepId: 'upload-jre', title: 'x', status: 'done', index: 1, total: 4 });
  assert.equal(m.value, 33 + 52 * (0.5 + 0.5) / 2);
  m.phaseDone('checks'); // an earlier phase must not move the bar back
  assert.equal(m.value, 59);
  m.writeEvent({ type: 'bytes', stepId: 'upload-proactive', sent: 500, total: 500 });
  m.writeEvent({ type: 'step', stepId: 'x', title: 'x', status: 'done', index: 3, total: 4 });
  assert.equal(m.value, 85);
  m.commitPercent(50);
  assert.equal(m.value, 92 + 4);
  m.done();
  assert.equal(m.value, 100);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'strictly increasing events');
});

test('a plan without uploads still reaches the end of the write phase', () => {
  const { m } = model(2, 0);
  m.writeEvent({ type: 'step', stepId: 'a', title: 'a', status: 'done', index: 1, total: 2 });
  assert.equal(m.value, 85);
});
