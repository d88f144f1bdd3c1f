import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createRunFeedback, notificationBody } from './notify';
import type { PrepareReport } from '../contract/contract';

function setup(supported = true) {
  const bars: number[] = [];
  const shown: Array<[string, string]> = [];
  let hasWindow = true;
  const fb = createRunFeedback({
    target: () => (hasWindow ? { setProgressBar: (p: number) => bars.push(p) } : undefined),
    notifier: { isSupported: () => supported, show: (t, b) => shown.push([t, b]) },
  });
  return { fb, bars, shown, closeWindow: () => (hasWindow = false) };
}

const okReport = (image: string) => ({ image: { path: image } }) as unknown as PrepareReport;

test('progress events drive the progress bar (0..1) and the result removes it', () => {
  const { fb, bars } = setup();
  fb.runStarted('r1', '/vms/Node (1)/node.vdi');
  fb.onEvent('run.event', { runId: 'r1', event: { type: 'progress', percent: 42 } });
  fb.onEvent('run.event', { runId: 'r1', event: { type: 'log', level: 'info', message: 'x' } });
  fb.onEvent('run.event', { runId: 'r1', event: { type: 'progress', percent: 130 } });
  fb.onEvent('run.result', { runId: 'r1', result: { ok: true, value: okReport('/vms/Node (1)/node.vdi') } });
  assert.deepEqual(bars, [0.42, 1, -1]);
});

test('a successful run notifies "<file> prepared"', () => {
  const { fb, shown } = setup();
  fb.runStarted('r1', '/vms/Node (1)/node.vdi');
  fb.onEvent('run.result', { runId: 'r1', result: { ok: true, value: okReport('/vms/Node (1)/node.vdi') } });
  assert.deepEqual(shown, [['Guestprep', 'node.vdi prepared']]);
});

test('a retarget and a removal say what they did', () => {
  const { fb, shown } = setup();
  fb.runStarted('r1', '/vms/a.vdi');
  fb.onEvent('run.result', { runId: 'r1', result: { ok: true, value: { operation: 'retarget', image: { path: '/vms/a.vdi' }, settings: { rm: { url: 'pnp://rm2:64738' } } } as unknown as PrepareReport } });
  fb.runStarted('r2', '/vms/b.vdi');
  fb.onEvent('run.result', { runId: 'r2', result: { ok: true, value: { operation: 'remove', image: { path: '/vms/b.vdi' } } as unknown as PrepareReport } });
  assert.deepEqual(shown, [['Guestprep', 'a.vdi: the node now joins pnp://rm2:64738'], ['Guestprep', "b.vdi: Guestprep's node removed"]]);
});

test('a failed run notifies with the message; the image name comes from run.start', () => {
  const { fb, shown } = setup();
  fb.runStarted('r2', '/vms/a.vmdk');
  fb.onEvent('run.result', {
    runId: 'r2',
    result: { ok: false, error: { code: 'GUEST_NO_SPACE', message: 'needs 300 MB, 12 MB free', fix: 'grow the disk' } },
  });
  assert.deepEqual(shown, [['Guestprep', 'a.vmdk failed: needs 300 MB, 12 MB free']]);
});

test('no notification where the desktop does not support them; the bar still clears', () => {
  const { fb, shown, bars } = setup(false);
  fb.onEvent('run.event', { runId: 'r1', event: { type: 'progress', percent: 10 } });
  fb.onEvent('run.result', { runId: 'r1', result: { ok: true, value: okReport('/x/n.vdi') } });
  assert.deepEqual(shown, []);
  assert.deepEqual(bars, [0.1, -1]);
});

test('two runs: the bar follows the run that moved last and stays while one is left', () => {
  const { fb, bars } = setup();
  fb.onEvent('run.event', { runId: 'a', event: { type: 'progress', percent: 10 } });
  fb.onEvent('run.event', { runId: 'b', event: { type: 'progress', percent: 50 } });
  fb.onEvent('run.event', { runId: 'a', event: { type: 'progress', percent: 20 } });
  fb.onEvent('run.result', { runId: 'a', result: { ok: true, value: okReport('/x/a.vdi') } });
  fb.onEvent('run.result', { runId: 'b', result: { ok: true, value: okReport('/x/b.vdi') } });
  assert.deepEqual(bars, [0.1, 0.5, 0.2, 0.5, -1]);
});

test('a closed window does not stop the notification', () => {
  const { fb, shown, bars, closeWindow } = setup();
  closeWindow();
  fb.onEvent('run.event', { runId: 'r', event: { type: 'progress', percent: 10 } });
  fb.onEvent('run.result', { runId: 'r', result: { ok: true, value: okReport('/x/n.vdi') } });
  assert.deepEqual(bars, []);
  assert.equal(shown.length, 1);
});

test('notificationBody: cancelled runs say the image is unchanged; unknown image is named generically', () => {
  assert.equal(
    notificationBody('/x/n.vdi', { ok: false, error: { code: 'CANCELLED', message: 'Cancelled', fix: '' } }),
    'n.vdi: cancelled, the image is unchanged',
  );
  assert.equal(notificationBody(undefined, { ok: false, error: { code: 'STEP_FAILED', message: 'boom', fix: '' } }), 'The image failed: boom');
});
