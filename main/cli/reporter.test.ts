// The terminal and JSON reporting of run events, for one image and for one image of a batch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reporter } from './index';
import type { RunEvent } from '../engine/types';

function capture() {
  const lines = { out: '', err: '' };
  return { lines, io: { out: (s: string) => (lines.out += s), err: (s: string) => (lines.err += s), isTty: false } };
}

const events: RunEvent[] = [
  { type: 'phase', phase: 'inspect', message: 'Inspecting the guest' },
  { type: 'step', stepId: 'upload-jre', title: 'Upload the JRE', status: 'running', index: 0, total: 3 },
  { type: 'log', level: 'warn', message: 'low space' },
  { type: 'log', level: 'debug', message: 'guestfish line' },
  { type: 'phase', phase: 'done', message: 'Done' },
];

test('one image: phase lines, step lines, notes; debug only when verbose', () => {
  const { lines, io } = capture();
  const r = new Reporter(io, false);
  for (const e of events) r.event(e);
  assert.equal(lines.err, 'Inspecting the guest...\n  [1/3 Upload the JRE]\nNote: low space\n');
  assert.equal(lines.out, '');
});

test('one image of a batch: every line names it, no step lines (the images interleave)', () => {
  const { lines, io } = capture();
  const r = new Reporter(io, false, false, { image: '/vms/B/B.vdi', n: 2, total: 5 });
  for (const e of events) r.event(e);
  assert.equal(lines.err, '[2/5] B.vdi: Inspecting the guest...\n[2/5] B.vdi: Note: low space\n');
});

test('JSON: one event per line; a batch\'s events carry the image and its number', () => {
  const single = capture();
  new Reporter(single.io, true).event(events[0]);
  assert.deepEqual(JSON.parse(single.lines.out), { type: 'event', event: events[0] });
  const batch = capture();
  const r = new Reporter(batch.io, true, false, { image: '/vms/B/B.vdi', n: 2, total: 5 });
  for (const e of events) r.event(e);
  const parsed = batch.lines.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(parsed.length, 4, 'the debug line is left out without --verbose');
  assert.deepEqual(parsed[0], { type: 'event', image: '/vms/B/B.vdi', n: 2, event: events[0] });
});
