import { describe, expect, it } from 'vitest';
import { createFakeClient, err } from '../test/fake-client';
import { file, } from '../test/render';
import { inspectReport, jre, plan, prepareReport, proactive } from '../test/fixtures';
import { canVisit, createWizardStore, settingsInput, stepStatus, type WizardData } from './wizard';

const flush = () => new Promise((r) => setTimeout(r, 0));

/** A store already through Image..Proactive, as most later-step tests need. */
function ready(over: Partial<WizardData> = {}) {
  const client = createFakeClient({
    'settings.validate': () => ({ settings: plan().settings, warnings: [] }),
    'plan.preview': () => plan(),
  });
  const store = createWizardStore(client, {
    inspect: { status: 'ok', path: '/images/debian.vdi', report: inspectReport() },
    jre: { path: jre().archivePath, status: 'ok', info: jre() },
    proactive: { path: proactive().archivePath, status: 'ok', info: proactive() },
    ...over,
  });
  return { client, store };
}

describe('image step', () => {
  it('inspects the chosen image and moves on to the guest', async () => {
    const client = createFakeClient({ 'image.inspect': (r) => inspectReport(r.image) });
    const store = createWizardStore(client);
    expect(stepStatus(store.getState(), 'image')).toMatchObject({ ok: false, reason: expect.stringMatching(/Choose a disk image/) });
    const p = store.getState().chooseImage(' /images/a.qcow2 ');
    expect(store.getState().inspect.status).toBe('busy');
    expect(stepStatus(store.getState(), 'image').reason).toMatch(/about 15 s/);
    await p;
    expect(client.callsOf('image.inspect')).toEqual([{ image: '/images/a.qcow2' }]);
    expect(store.getState().step).toBe('guest');
    expect(stepStatus(store.getState(), 'image').ok).toBe(true);
  });

  it('keeps the refusal with its fix and stays on the image step', async () => {
    const client = createFakeClient({ 'image.inspect': () => err('IMAGE_LOCKED', 'the image is in use', 'Power the VM off.') });
    const store = createWizardStore(client);
    await store.getState().chooseImage('/images/a.vdi');
    expect(store.getState().step).toBe('image');
    expect(store.getState().inspect.error?.fix).toBe('Power the VM off.');
    expect(stepStatus(store.getState(), 'image').reason).toMatch(/in use/);
  });

  it('only the latest choice counts when inspections overlap', async () => {
    const resolvers: Array<() => void> = [];
    const client = createFakeClient({
      'image.inspect': (r) => new Promise((res) => resolvers.push(() => res(inspectReport(r.image)))),
    });
    const store = createWizardStore(client);
    const a = store.getState().chooseImage('/a.vdi');
    const b = store.getState().chooseImage('/b.vdi');
    resolvers[1]!();
    await b;
    resolvers[0]!();
    await a;
    expect(store.getState().inspect.report?.image.path).toBe('/b.vdi');
  });

  it('drops: keeps accepted files in order, refuses others with a reason, inspects the first', async () => {
    const client = createFakeClient({ 'image.inspect': (r) => inspectReport(r.image) });
    const store = createWizardStore(client);
    store.getState().addImageFiles([file('notes.txt'), file('one.VMDK'), file('two.qcow2')]);
    const s = store.getState();
    expect(s.candidates.map((c) => c.name)).toEqual(['one.VMDK', 'two.qcow2']);
    expect(s.refused).toEqual([{ name: 'notes.txt', reason: expect.stringMatching(/\.txt is not a disk image/) }]);
    await flush();
    expect(client.callsOf('image.inspect')).toEqual([{ image: '/images/one.VMDK' }]);
  });

  it('bridge: a dropped file has no path, so nothing is inspected and the field is suggested', () => {
    const client = createFakeClient({}, { kind: 'bridge' });
    const store = createWizardStore(client);
    store.getState().addImageFiles([file('disk.vdi')]);
    expect(store.getState().dropNotice).toMatch(/type or paste the full path/);
    expect(client.calls).toEqual([]);
  });
});

describe('java and proactive steps', () => {
  it('java is optional, but a wrong-arch JRE blocks', async () => {
    const { store } = ready({ jre: { path: '', status: 'idle' } });
    expect(stepStatus(store.getState(), 'java').ok).toBe(true);
    store.setState({ jre: { path: '/x.tar.gz', status: 'ok', info: jre({ arch: 'aarch64' }) } });
    expect(stepStatus(store.getState(), 'java')).toMatchObject({ ok: false, reason: expect.stringMatching(/aarch64.*x86_64/) });
  });

  it('a typed but unchecked JRE path blocks until detected', () => {
    const { store } = ready();
    store.getState().setArchivePath('jre', '/dl/other.tar.gz');
    expect(stepStatus(store.getState(), 'java').reason).toMatch(/Detect/);
  });

  it('proactive without bundled JRE needs a chosen JRE', () => {
    const { store } = ready({ jre: { path: '', status: 'idle' }, proactive: { path: '/p.zip', status: 'ok', info: proactive({ bundledJre: undefined }) } });
    expect(stepStatus(store.getState(), 'proactive')).toMatchObject({ ok: false, reason: expect.stringMatching(/bundles no Java/) });
    store.setState({ jre: { path: '/j.tar.gz', status: 'ok', info: jre() } });
    expect(stepStatus(store.getState(), 'proactive').ok).toBe(true);
  });

  it('detectArchive stores the info, or the error', async () => {
    const client = createFakeClient({
      'archive.detect': (r) => (r.path.endsWith('bad.zip') ? err('ARCHIVE_CORRUPT', 'broken zip', 'Download it again.') : { role: 'proactive' as const, info: proactive({ archivePath: r.path }) }),
    });
    const store = createWizardStore(client);
    await store.getState().detectArchive('proactive', '/dl/node.zip');
    expect(store.getState().proactive).toMatchObject({ status: 'ok', info: { archivePath: '/dl/node.zip' } });
    await store.getState().detectArchive('proactive', '/dl/bad.zip');
    expect(store.getState().proactive).toMatchObject({ status: 'error', error: { code: 'ARCHIVE_CORRUPT' } });
  });
});

describe('manager step', () => {
  it('settings input: empty fields omitted, workers dropped for 3.x', () => {
    const { store } = ready();
    store.getState().setField('rmUrl', ' pnp://rm.lab ');
    store.getState().setField('workers', '4');
    store.getState().setField('jvmOptions', '-Xmx1g\n\n -Dx=1 ');
    expect(settingsInput(store.getState())).toEqual({ rmUrl: 'pnp://rm.lab', workers: '4', jvmOptions: ['-Xmx1g', '-Dx=1'] });
    store.setState({ proactive: { path: '/p', status: 'ok', info: proactive({ generation: 'legacy' }) } });
    expect(settingsInput(store.getState()).workers).toBeUndefined();
  });

  it('valid only once the backend accepted the current form; stale answers are ignored', async () => {
    const { store, client } = ready();
    expect(stepStatus(store.getState(), 'manager').reason).toMatch(/Enter the Resource Manager URL/);
    store.getState().setField('rmUrl', 'http://rm:8080');
    expect(stepStatus(store.getState(), 'manager').reason).toMatch(/web portal/);
    store.getState().setField('rmUrl', 'pnp://rm.lab');
    expect(stepStatus(store.getState(), 'manager').reason).toMatch(/Checking/);
    const p = store.getState().validateSettings();
    store.getState().setField('nodeName', 'n1'); // typed while the answer was on its way
    await p;
    expect(store.getState().validation.status).toBe('busy');
    expect(stepStatus(store.getState(), 'manager').ok).toBe(false);
    await store.getState().validateSettings();
    expect(stepStatus(store.getState(), 'manager').ok).toBe(true);
    expect(client.callsOf('settings.validate').at(-1)?.settings).toEqual({ rmUrl: 'pnp://rm.lab', nodeName: 'n1' });
  });

  it('a backend refusal blocks with its message', async () => {
    const { store, client } = ready();
    client.handlers['settings.validate'] = () => err('SETTING_INVALID', 'the node source "a b" is not valid', 'Use letters.');
    store.getState().setField('rmUrl', 'pnp://rm.lab');
    await store.getState().validateSettings();
    expect(stepStatus(store.getState(), 'manager')).toMatchObject({ ok: false, reason: expect.stringMatching(/node source/) });
  });

  it('presets: apply fills the form; save sends archives and settings', async () => {
    const { store, client } = ready();
    const preset = { name: 'lab', data: { settings: { rmUrl: 'pamr://0', workers: 2, jvmOptions: ['-Da=b'] } }, createdAt: '', updatedAt: '' };
    client.handlers['presets.list'] = () => [preset];
    client.handlers['presets.save'] = (r) => ({ ...preset, name: r.name, data: r.data });
    await store.getState().loadPresets();
    store.getState().applyPreset('lab');
    expect(store.getState().form).toMatchObject({ rmUrl: 'pamr://0', workers: '2', jvmOptions: '-Da=b' });
    expect(store.getState().preset).toBe('lab');
    expect(await store.getState().savePreset('lab2')).toBeUndefined();
    expect(client.callsOf('presets.save')[0]).toEqual({
      name: 'lab2',
      data: { jre: jre().archivePath, proactive: proactive().archivePath, settings: { rmUrl: 'pamr://0', workers: '2', jvmOptions: ['-Da=b'] } },
    });
    expect(store.getState().preset).toBe('lab2');
  });

  it('presets: applying one re-detects the archives it was saved with', async () => {
    const { store, client } = ready();
    const preset = { name: 'saved', data: { jre: '/archives/other-jre.tar.gz', proactive: proactive().archivePath, settings: { rmUrl: 'pnp://rm' } }, createdAt: '', updatedAt: '' };
    client.handlers['presets.list'] = () => [preset];
    await store.getState().loadPresets();
    const before = client.callsOf('archive.detect').length;
    store.getState().applyPreset('saved');
    await new Promise((r) => setTimeout(r, 0));
    const detected = client.callsOf('archive.detect').slice(before);
    // The JRE differs and is detected again; the ProActive archive is the one already chosen.
    expect(detected).toEqual([{ path: '/archives/other-jre.tar.gz', role: 'jre' }]);
    expect(store.getState().jre.path).toBe('/archives/other-jre.tar.gz');
  });
});

describe('review, run, result', () => {
  async function toReview() {
    const r = ready();
    r.store.getState().setField('rmUrl', 'pnp://rm.lab');
    await r.store.getState().validateSettings();
    r.store.setState({ step: 'review' });
    await r.store.getState().previewPlan();
    return r;
  }

  it('review needs a current plan with enough space', async () => {
    const { store, client } = await toReview();
    expect(stepStatus(store.getState(), 'review').ok).toBe(true);
    store.getState().setField('nodeName', 'other');
    expect(stepStatus(store.getState(), 'review').reason).toMatch(/not ready/);
    client.handlers['plan.preview'] = () => plan({ requiredBytes: 10, freeBytes: 5 });
    await store.getState().previewPlan();
    expect(stepStatus(store.getState(), 'review').reason).toMatch(/Not enough free space/);
  });

  it('run: events before run.start answers are kept; success moves to the result', async () => {
    const { store, client } = await toReview();
    client.handlers['run.start'] = () => {
      client.emit('run.event', { runId: 'r1', event: { type: 'step', stepId: 'upload-jre', title: 'Upload the Java runtime', status: 'running', index: 0, total: 3 } });
      client.emit('run.event', { runId: 'other', event: { type: 'log', level: 'info', message: 'not mine' } });
      return { runId: 'r1' };
    };
    await store.getState().next();
    const s = store.getState();
    expect(s.step).toBe('run');
    expect(s.run.status).toBe('running');
    expect(s.run.steps[0]!.status).toBe('running');
    expect(s.run.log.map((l) => l.message).join()).not.toMatch(/not mine/);
    expect(canVisit(s, 'manager')).toBe(false);
    store.getState().back();
    expect(store.getState().step).toBe('run');
    client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } });
    expect(store.getState().run.status).toBe('success');
    expect(store.getState().step).toBe('result');
    expect(client.listenerCount('run.event')).toBe(0);
  });

  it('run failure pins the failing step and keeps the fix', async () => {
    const { store, client } = await toReview();
    client.handlers['run.start'] = () => ({ runId: 'r1' });
    await store.getState().startRun();
    client.emit('run.result', { runId: 'r1', result: { ok: false, error: { code: 'STEP_FAILED', message: 'tar-in failed', fix: 'Free space.', step: 'upload-proactive' } } });
    const s = store.getState();
    expect(s.run.status).toBe('failed');
    expect(s.run.failedStep).toBe('upload-proactive');
    expect(s.run.steps.find((x) => x.id === 'upload-proactive')?.status).toBe('failed');
    expect(stepStatus(s, 'run').ok).toBe(false);
    store.getState().back();
    expect(store.getState().step).toBe('review');
  });

  it('run.start refused: failed at once, no listeners left', async () => {
    const { store, client } = await toReview();
    client.handlers['run.start'] = () => err('IMAGE_LOCKED', 'in use', 'Power off.');
    await store.getState().startRun();
    expect(store.getState().run).toMatchObject({ status: 'failed', error: { code: 'IMAGE_LOCKED' } });
    expect(client.listenerCount('run.result')).toBe(0);
  });

  it('cancel calls run.cancel; the CANCELLED result ends the run as cancelled', async () => {
    const { store, client } = await toReview();
    client.handlers['run.start'] = () => ({ runId: 'r9' });
    client.handlers['run.cancel'] = () => ({ cancelled: true });
    await store.getState().startRun();
    await store.getState().cancelRun();
    expect(client.callsOf('run.cancel')).toEqual([{ runId: 'r9' }]);
    expect(store.getState().run.status).toBe('cancelling');
    client.emit('run.result', { runId: 'r9', result: { ok: false, error: { code: 'CANCELLED', message: 'cancelled', fix: 'Run again.' } } });
    expect(store.getState().run.status).toBe('cancelled');
  });

  it('prepare another keeps archives, settings and preset; forgets the image and the run', async () => {
    const { store, client } = await toReview();
    client.handlers['run.start'] = () => ({ runId: 'r1' });
    store.setState({ preset: 'lab' });
    await store.getState().startRun();
    client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } });
    store.getState().prepareAnother();
    const s = store.getState();
    expect(s.step).toBe('image');
    expect(s.inspect.status).toBe('idle');
    expect(s.run.status).toBe('idle');
    expect(s.plan.status).toBe('idle');
    expect(s.jre.info?.version).toBe('17.0.9');
    expect(s.proactive.info?.version).toBe('13.1.0');
    expect(s.form.rmUrl).toBe('pnp://rm.lab');
    expect(s.preset).toBe('lab');
  });
});
