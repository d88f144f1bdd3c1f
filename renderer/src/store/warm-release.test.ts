// The page lets go of the appliance kept up since an image's inspection once it no longer needs that image.

import { describe, expect, it } from 'vitest';
import { createFakeClient } from '../test/fake-client';
import { inspectReport, prepareReport } from '../test/fixtures';
import { file } from '../test/render';
import { createWizardStore } from './wizard';

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const client = createFakeClient({ 'image.inspect': (r) => inspectReport(r.image) });
  return { client, store: createWizardStore(client) };
}

describe('warm appliance release', () => {
  it('picking another image releases the previous one, not the new one', async () => {
    const { client, store } = setup();
    await store.getState().chooseImage('/images/a.vdi');
    expect(client.callsOf('image.release')).toEqual([]);
    await store.getState().chooseImage('/images/b.vdi');
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]);
    // Inspecting the same image again is not letting go of it (the backend replaces its own session).
    await store.getState().chooseImage('/images/b.vdi');
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]);
  });

  it('an inspection overtaken by another choice is released when its answer arrives', async () => {
    const resolvers = new Map<string, () => void>();
    const client = createFakeClient({ 'image.inspect': (r) => new Promise((res) => resolvers.set(r.image, () => res(inspectReport(r.image)))) });
    const store = createWizardStore(client);
    const a = store.getState().chooseImage('/images/a.vdi');
    const b = store.getState().chooseImage('/images/b.vdi');
    // Still booting: nothing to release yet.
    expect(client.callsOf('image.release')).toEqual([]);
    resolvers.get('/images/a.vdi')!();
    await a;
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]);
    resolvers.get('/images/b.vdi')!();
    await b;
    expect(store.getState().inspect).toMatchObject({ status: 'ok', path: '/images/b.vdi' });
    expect(client.callsOf('image.release')).toHaveLength(1);
  });

  it('a new drop releases the image inspected before', async () => {
    const { client, store } = setup();
    await store.getState().chooseImage('/images/old.vdi');
    store.getState().addImageFiles([file('new.qcow2')]);
    await flush();
    expect(client.callsOf('image.inspect').at(-1)).toEqual({ image: '/images/new.qcow2' });
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/old.vdi' }]);
  });

  it('starting over releases the current image', async () => {
    const { client, store } = setup();
    await store.getState().chooseImage('/images/a.vdi');
    store.setState({ run: { status: 'success', steps: [], percent: 100, log: [], dropped: 0, report: prepareReport() } });
    store.getState().prepareAnother();
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]);
    expect(store.getState().inspect.status).toBe('idle');
  });

  it('starting over during an inspection releases it once it answers', async () => {
    let answer!: () => void;
    const client = createFakeClient({ 'image.inspect': (r) => new Promise((res) => (answer = () => res(inspectReport(r.image)))) });
    const store = createWizardStore(client);
    const p = store.getState().chooseImage('/images/a.vdi');
    store.getState().prepareAnother();
    expect(client.callsOf('image.release')).toEqual([]);
    answer();
    await p;
    expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]);
    expect(store.getState().inspect.status).toBe('idle');
  });
});
