// The wizard store driving a batch: run.startBatch with every image and the pattern, events routed to
// rows by run id (also those that arrive before the ids), Cancel, and the way to the result.

import { describe, expect, it } from 'vitest';
import { createFakeClient, err } from '../test/fake-client';
import { inspectReport, jre, plan, prepareReport, proactive } from '../test/fixtures';
import { canVisit, checkedSettings, createWizardStore, stepStatus } from './wizard';

const cancelled = { ok: false as const, error: { code: 'CANCELLED' as const, message: 'The batch was cancelled', fix: 'Start the run again.' } };

/** A store at the Review step of a batch of three dropped images, the second one inspected. */
async function atReview(nodeName = 'node-{n}') {
  const client = createFakeClient({
    'settings.validate': () => ({ settings: { ...plan().settings, nodeName: 'node-2' }, warnings: [] }),
    'plan.preview': () => plan(),
    'run.startBatch': () => ({ runIds: ['r1', 'r2', 'r3'] }),
    'run.cancel': () => ({ cancelled: true }),
  });
  const store = createWizardStore(client, {
    candidates: [{ name: 'a.vdi', path: '/i/a.vdi' }, { name: 'b.vdi', path: '/i/b.vdi' }, { name: 'c.vdi', path: '/i/c.vdi' }],
    inspect: { status: 'ok', path: '/i/b.vdi', report: inspectReport('/i/b.vdi') },
    jre: { path: jre().archivePath, status: 'ok', info: jre() },
    proactive: { path: proactive().archivePath, status: 'ok', info: proactive() },
    preset: undefined,
  });
  store.getState().setBatchMode(true);
  store.getState().setField('rmUrl', 'pnp://rm.lab');
  store.getState().setField('nodeName', nodeName);
  await store.getState().validateSettings();
  store.setState({ step: 'review' });
  await store.getState().previewPlan();
  return { client, store };
}

describe('batch in the wizard store', () => {
  it('the backend checks the name the inspected image will get; the run gets the pattern and every image', async () => {
    const { client, store } = await atReview('{hostname}-{n}');
    // b.vdi is second in the list, its guest is worker-07.
    expect(client.callsOf('settings.validate').at(-1)?.settings.nodeName).toBe('worker-07-2');
    expect(client.callsOf('plan.preview').at(-1)?.settings.nodeName).toBe('worker-07-2');
    expect(checkedSettings(store.getState()).nodeName).toBe('worker-07-2');
    await store.getState().next();
    expect(client.callsOf('run.start')).toEqual([]);
    expect(client.callsOf('run.startBatch')).toEqual([
      { images: ['/i/a.vdi', '/i/b.vdi', '/i/c.vdi'], jre: jre().archivePath, proactive: proactive().archivePath, settings: { rmUrl: 'pnp://rm.lab', nodeName: '{hostname}-{n}' }, preset: undefined },
    ]);
    expect(store.getState().step).toBe('run');
    expect(store.getState().batch.items.map((it) => it.runId)).toEqual(['r1', 'r2', 'r3']);
  });

  it('a broken pattern is refused locally, without asking the backend', async () => {
    const { client, store } = await atReview();
    const before = client.callsOf('settings.validate').length;
    store.getState().setField('nodeName', 'node-{id}');
    expect(stepStatus(store.getState(), 'manager').reason).toMatch(/Fix the node name: .*unknown placeholder \{id\}/);
    await store.getState().validateSettings();
    expect(client.callsOf('settings.validate')).toHaveLength(before);
    expect(store.getState().validation).toMatchObject({ status: 'error', error: { code: 'SETTING_INVALID', fix: expect.stringMatching(/\{n\}/) } });
  });

  it('events before the ids are kept; rows finish on their own; success of one leads to the result', async () => {
    const { client, store } = await atReview();
    client.handlers['run.startBatch'] = () => {
      client.emit('run.event', { runId: 'r3', event: { type: 'progress', percent: 30 } });
      client.emit('run.event', { runId: 'not-mine', event: { type: 'progress', percent: 77 } });
      return { runIds: ['r1', 'r2', 'r3'] };
    };
    await store.getState().startRun();
    expect(store.getState().batch.items.map((it) => it.run.percent)).toEqual([0, 0, 30]);
    client.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 60 } });
    client.emit('run.result', { runId: 'r2', result: { ok: false, error: { code: 'GUEST_NO_SPACE', message: 'no space', fix: 'Free space.' } } });
    expect(store.getState().batch.items.map((it) => it.run.status)).toEqual(['running', 'failed', 'running']);
    expect(canVisit(store.getState(), 'manager')).toBe(false);
    store.getState().back();
    expect(store.getState().step).toBe('run');
    client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } });
    client.emit('run.result', { runId: 'r3', result: { ok: true, value: prepareReport() } });
    expect(store.getState().batch.status).toBe('finished');
    expect(store.getState().step).toBe('result');
    expect(client.listenerCount('run.event')).toBe(0);
    expect(client.listenerCount('run.result')).toBe(0);
  });

  it('every image failed: stays on the Run step with the reason', async () => {
    const { client, store } = await atReview();
    await store.getState().startRun();
    for (const id of ['r1', 'r2', 'r3']) client.emit('run.result', { runId: id, result: { ok: false, error: { code: 'IMAGE_LOCKED', message: 'in use', fix: 'Power off.' } } });
    expect(store.getState().step).toBe('run');
    expect(stepStatus(store.getState(), 'run').reason).toMatch(/No image was prepared/);
    expect(canVisit(store.getState(), 'result')).toBe(false);
  });

  it('cancel: one run.cancel with an id still running cancels the batch', async () => {
    const { client, store } = await atReview();
    await store.getState().startRun();
    // r1 is over: the backend has forgotten its id, so the cancel goes by one still running.
    client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } });
    expect(await store.getState().cancelRun()).toBeUndefined();
    expect(client.callsOf('run.cancel')).toEqual([{ runId: 'r2' }]);
    expect(store.getState().batch.status).toBe('cancelling');
    client.emit('run.result', { runId: 'r2', result: cancelled });
    client.emit('run.result', { runId: 'r3', result: cancelled });
    expect(store.getState().batch.items.map((it) => it.run.status)).toEqual(['success', 'cancelled', 'cancelled']);
    // One image was prepared: its result is shown.
    expect(store.getState().step).toBe('result');
  });

  it('a refused cancel puts the rows back to running and returns the error', async () => {
    const { client, store } = await atReview();
    await store.getState().startRun();
    client.handlers['run.cancel'] = () => err('INTERNAL', 'lost', 'Try again.');
    expect(await store.getState().cancelRun()).toMatchObject({ message: 'lost' });
    expect(store.getState().batch.status).toBe('running');
  });

  it('run.startBatch refused: the error, no listeners left', async () => {
    const { client, store } = await atReview();
    client.handlers['run.startBatch'] = () => err('IMAGE_BUSY', 'Run x is already preparing /i/a.vdi.', 'Wait for it.');
    await store.getState().startRun();
    expect(store.getState().batch).toMatchObject({ status: 'refused', error: { code: 'IMAGE_BUSY' } });
    expect(stepStatus(store.getState(), 'run').reason).toMatch(/refused/);
    expect(client.listenerCount('run.result')).toBe(0);
  });

  it('choosing an image outside the list leaves batch mode and releases the one before', async () => {
    const { client, store } = await atReview();
    client.handlers['image.inspect'] = (r) => inspectReport(r.image);
    await store.getState().chooseImage('/elsewhere/x.vdi');
    expect(store.getState().batchMode).toBe(false);
    expect(client.callsOf('image.release')).toEqual([{ image: '/i/b.vdi' }]);
  });

  it('starting over forgets the batch and releases the inspected image', async () => {
    const { client, store } = await atReview();
    await store.getState().startRun();
    for (const id of ['r1', 'r2', 'r3']) client.emit('run.result', { runId: id, result: { ok: true, value: prepareReport() } });
    store.getState().prepareAnother();
    expect(store.getState()).toMatchObject({ step: 'image', batchMode: false, batch: { status: 'idle' } });
    expect(client.callsOf('image.release')).toEqual([{ image: '/i/b.vdi' }]);
  });
});
