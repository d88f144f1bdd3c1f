// The batch flow in the app: choosing it on the Image step, the node name pattern on the Manager step,
// the images on the Review step, one row per image while running, each image's outcome at the end.

import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { createFakeClient, err, type FakeHandlers } from '../test/fake-client';
import { inspectReport, jre, plan, prepareReport, proactive, vms } from '../test/fixtures';
import { dataTransfer, file, renderWith } from '../test/render';

const images = ['/images/a.vdi', '/images/b.vdi'];

/** The app at the Review step of a batch of a.vdi and b.vdi (a.vdi inspected), node name node-{n}. */
async function atReview(handlers: FakeHandlers = {}) {
  const client = createFakeClient({
    'settings.validate': (r) => ({ settings: { ...plan().settings, nodeName: r.settings.nodeName ?? 'worker-07' }, warnings: [] }),
    'plan.preview': () => plan(),
    'run.startBatch': () => ({ runIds: ['r1', 'r2'] }),
    'run.cancel': () => ({ cancelled: true }),
    'presets.list': () => [],
    ...handlers,
  });
  const r = renderWith(<App />, client, {
    candidates: images.map((p) => ({ name: p.split('/').pop()!, path: p })),
    inspect: { status: 'ok', path: images[0], report: inspectReport(images[0]) },
    jre: { path: '/j', status: 'ok', info: jre() },
    proactive: { path: '/p', status: 'ok', info: proactive() },
    batchMode: true,
  });
  await act(async () => {
    r.store.getState().setField('rmUrl', 'pnp://rm.lab');
    r.store.getState().setField('nodeName', 'node-{n}');
    await r.store.getState().validateSettings();
    r.store.setState({ step: 'review' });
  });
  await screen.findByTestId('script');
  return { client, ...r };
}

async function running(handlers: FakeHandlers = {}) {
  const r = await atReview(handlers);
  await userEvent.click(screen.getByRole('button', { name: 'Run' }));
  await waitFor(() => expect(r.client.callsOf('run.startBatch')).toHaveLength(1));
  return r;
}

const row = (n: number) => screen.getByTestId(`batch-item-${n}`);

describe('batch: Image step', () => {
  it('several dropped images offer "Prepare all N images together"', async () => {
    const client = createFakeClient({ 'vbox.list': () => vms(), 'image.inspect': (r) => inspectReport(r.image) });
    const { store } = renderWith(<App />, client);
    fireEvent.drop(screen.getByRole('button', { name: 'Drop a disk image or choose one' }), { dataTransfer: dataTransfer([file('a.vdi'), file('b.vdi')]) });
    await screen.findByRole('heading', { level: 2, name: 'Guest' });
    act(() => store.setState({ step: 'image' }));
    const group = screen.getByRole('group', { name: 'Dropped images' });
    const choice = within(group).getByRole('checkbox', { name: 'Prepare all 2 images together' }) as HTMLInputElement;
    expect(choice.checked).toBe(false);
    expect(screen.getByText(/One appliance launch for all of them/)).toBeTruthy();
    await userEvent.click(choice);
    expect(store.getState().batchMode).toBe(true);
    expect(within(group).getByText('inspected')).toBeTruthy();
    // Only the first image was inspected: the others are inspected by the run.
    expect(client.callsOf('image.inspect')).toEqual([{ image: '/images/a.vdi' }]);
    // Selecting the other one inspects it instead, and lets go of the first one's appliance.
    await userEvent.click(within(group).getByRole('radio', { name: /b\.vdi/ }));
    await waitFor(() => expect(client.callsOf('image.release')).toEqual([{ image: '/images/a.vdi' }]));
    expect(store.getState().batchMode).toBe(true);
  });
});

describe('batch: Manager step', () => {
  function manager() {
    const client = createFakeClient({
      'presets.list': () => [],
      'settings.validate': (r) => ({ settings: { ...plan().settings, nodeName: r.settings.nodeName ?? 'worker-07' }, warnings: [] }),
    });
    const r = renderWith(<App />, client, {
      step: 'manager',
      candidates: images.map((p) => ({ name: p.split('/').pop()!, path: p })),
      inspect: { status: 'ok', path: images[1], report: inspectReport(images[1]) },
      jre: { path: '/j', status: 'ok', info: jre() },
      proactive: { path: '/p', status: 'ok', info: proactive() },
      batchMode: true,
    });
    return { client, ...r };
  }

  it('explains {n} and {hostname}, shows each image\'s name, and validates the inspected image\'s name', async () => {
    const { client } = manager();
    expect(screen.getByTestId('node-name-pattern-hint').textContent).toMatch(/node-\{n\}.*numbers them.*\{hostname\}.*each guest's hostname/);
    await userEvent.type(screen.getByLabelText('Resource Manager URL'), 'pnp://rm.lab');
    // userEvent treats { as a key descriptor: {{ types one brace.
    await userEvent.type(screen.getByLabelText('Node name'), 'node-{{n}');
    expect(screen.getByTestId('node-names').textContent).toMatch(/a\.vdi → node-1.*b\.vdi → node-2/);
    await waitFor(() => expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(false));
    // b.vdi is inspected and second in the list: the backend checks node-2, the name it will get.
    expect(client.callsOf('settings.validate').at(-1)?.settings.nodeName).toBe('node-2');
    expect(screen.getByTestId('resolved').textContent).toMatch(/The 2 nodes \(node-2 for the inspected image\) join/);
  });

  it('a wrong placeholder or a stray brace is shown under the field with the fix, and blocks Next', async () => {
    const { client } = manager();
    await userEvent.type(screen.getByLabelText('Resource Manager URL'), 'pnp://rm.lab');
    const name = screen.getByLabelText('Node name');
    await userEvent.type(name, 'node-{{id}');
    const error = document.getElementById('nodeName-error')!;
    expect(error.textContent).toMatch(/unknown placeholder \{id\}.*Fix: .*\{n\}/);
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('next-reason').textContent).toMatch(/node name/);
    await userEvent.clear(name);
    await userEvent.type(name, 'node-{{n');
    expect(document.getElementById('nodeName-error')!.textContent).toMatch(/unmatched brace/);
    // None of these reached the backend as a node name.
    expect(client.callsOf('settings.validate').every((r) => !/[{}]/.test(r.settings.nodeName ?? ''))).toBe(true);
  });

  it('a fixed name for several images is warned about', async () => {
    manager();
    await userEvent.type(screen.getByLabelText('Node name'), 'same');
    expect(screen.getByRole('region', { name: 'Node name warning' }).textContent).toMatch(/Every one of the 2 nodes would be named same/);
  });
});

describe('batch: Review, Run and Result', () => {
  it('Review lists every image and says one appliance launch for all', async () => {
    await atReview();
    const list = screen.getByTestId('batch-images');
    expect(list.textContent).toMatch(/Images \(2\)/);
    expect(list.textContent).toMatch(/\/images\/a\.vdi.*inspected.*\/images\/b\.vdi/);
    expect(list.textContent).toMatch(/One appliance launch for all 2/);
  });

  it('Run sends run.startBatch with all images and the pattern; events of two run ids update two rows', async () => {
    const { client } = await running();
    expect(client.callsOf('run.startBatch')[0]).toMatchObject({ images, jre: jre().archivePath, proactive: proactive().archivePath, settings: { rmUrl: 'pnp://rm.lab', nodeName: 'node-{n}' } });
    expect(client.callsOf('run.start')).toEqual([]);
    act(() => {
      client.emit('run.event', { runId: 'r1', event: { type: 'step', stepId: 'upload-jre', title: 'Upload the Java runtime', status: 'running', index: 0, total: 3 } });
      client.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 20 } });
      client.emit('run.event', { runId: 'r2', event: { type: 'step', stepId: 'upload-proactive', title: 'Upload ProActive', status: 'running', index: 1, total: 3 } });
      client.emit('run.event', { runId: 'r2', event: { type: 'progress', percent: 60 } });
    });
    expect(within(row(1)).getByTestId('batch-state').textContent).toBe('Upload the Java runtime');
    expect(within(row(1)).getByTestId('batch-percent').textContent).toMatch(/20%/);
    expect((within(row(1)).getByRole('progressbar') as HTMLProgressElement).value).toBe(20);
    expect(within(row(2)).getByTestId('batch-state').textContent).toBe('Upload ProActive');
    expect((within(row(2)).getByRole('progressbar') as HTMLProgressElement).value).toBe(60);
    expect(screen.getByTestId('overall').textContent).toBe('40%');
    expect((screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('one failure and one success: the failing image shows its error and fix, the other its node and checks', async () => {
    const { client } = await running();
    const report = prepareReport();
    act(() => {
      client.emit('run.result', { runId: 'r2', result: { ok: false, error: { code: 'GUEST_NO_SPACE', message: 'b.vdi has 10 MB free', fix: 'Free space in the guest.' } } });
      client.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 70 } });
    });
    // While a.vdi goes on, b.vdi's row already says why it failed.
    expect(within(row(2)).getByRole('alert').textContent).toMatch(/b\.vdi failed.*10 MB free.*Fix: Free space in the guest\./);
    expect(within(row(1)).getByTestId('batch-percent').textContent).toMatch(/70%/);
    act(() => client.emit('run.result', { runId: 'r1', result: { ok: true, value: { ...report, settings: { ...report.settings, nodeName: 'node-1' } } } }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Result' })).toBeTruthy();
    expect(screen.getByTestId('batch-summary').textContent).toBe('1 of 2 images prepared, 1 failed.');
    const ok = screen.getByTestId('batch-result-1');
    expect(ok.textContent).toMatch(/a\.vdi.*Node node-1 joins pnp:\/\/rm\.lab:64738; verified: 14 checks passed/);
    expect(within(ok).queryByRole('alert')).toBeNull();
    const failed = screen.getByTestId('batch-result-2');
    expect(within(failed).getByRole('alert').textContent).toMatch(/b\.vdi was not prepared: b\.vdi has 10 MB free/);
    expect(within(failed).getByTestId('error-fix').textContent).toBe('Free space in the guest.');
    await userEvent.click(screen.getByRole('button', { name: 'Prepare other images' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Image' })).toBeTruthy();
  });

  it('Cancel cancels the batch: one run.cancel, every unfinished row cancelled', async () => {
    const { client } = await running();
    const cancel = screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement;
    await waitFor(() => expect(cancel.disabled).toBe(false));
    await userEvent.click(cancel);
    expect(client.callsOf('run.cancel')).toEqual([{ runId: 'r1' }]);
    expect(screen.getByTestId('overall').textContent).toBe('cancelling…');
    const c = { ok: false as const, error: { code: 'CANCELLED' as const, message: 'The batch was cancelled before this image was prepared', fix: 'Start the run again.' } };
    act(() => {
      client.emit('run.result', { runId: 'r1', result: c });
      client.emit('run.result', { runId: 'r2', result: c });
    });
    expect(screen.getByTestId('batch-summary').textContent).toMatch(/0 of 2 prepared, 2 cancelled/);
    expect(within(row(1)).getByTestId('batch-state').textContent).toMatch(/cancelled; left unchanged/);
    expect(within(row(2)).getByTestId('batch-state').textContent).toMatch(/cancelled; left unchanged/);
    expect(cancel.disabled).toBe(true);
    expect(screen.getByTestId('next-reason').textContent).toMatch(/cancelled; the images were left unchanged/);
  });

  it('a batch refused as a whole shows the error with its fix', async () => {
    await running({ 'run.startBatch': () => err('IMAGE_BUSY', 'Run x is already preparing /images/a.vdi.', 'Wait for run x to finish.') });
    const alert = await screen.findByText(/already preparing/);
    expect(alert.closest('[role="alert"]')!.textContent).toMatch(/The batch was refused; no image was changed.*Fix: Wait for run x/);
    expect((screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
