import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { createFakeClient, type FakeHandlers } from '../test/fake-client';
import { inspectReport, jre, plan, prepareReport, proactive } from '../test/fixtures';
import { renderWith } from '../test/render';

/** Rendered at the Review step, everything before it valid. */
async function atReview(handlers: FakeHandlers = {}, kind: 'electron' | 'bridge' = 'electron') {
  const client = createFakeClient(
    {
      'settings.validate': () => ({ settings: plan().settings, warnings: [] }),
      'plan.preview': () => plan(),
      'run.start': () => ({ runId: 'r1' }),
      'run.cancel': () => ({ cancelled: true }),
      'presets.list': () => [],
      ...handlers,
    },
    { kind },
  );
  const r = renderWith(<App />, client, {
    inspect: { status: 'ok', path: '/images/debian.vdi', report: inspectReport() },
    jre: { path: '/j', status: 'ok', info: jre() },
    proactive: { path: '/p', status: 'ok', info: proactive() },
  });
  await act(async () => {
    r.store.getState().setField('rmUrl', 'pnp://rm.lab');
    await r.store.getState().validateSettings();
    r.store.setState({ step: 'review' });
  });
  await screen.findByTestId('script');
  return { client, ...r };
}

describe('ReviewStep', () => {
  it('shows the named steps, space, next boot, and the script with Copy and Save', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const createObjectURL = vi.fn(() => 'blob:x');
    URL.createObjectURL = createObjectURL;
    URL.revokeObjectURL = vi.fn();
    // jsdom cannot navigate; record the download click instead.
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    await atReview();
    expect(screen.getByRole('heading', { level: 2, name: 'Review' })).toBeTruthy();
    expect(screen.getByTestId('plan-steps').textContent).toMatch(/Upload the Java runtime.*Install the systemd unit/s);
    expect(screen.getByTestId('space').textContent).toMatch(/Needs 600\.0 MiB of 8\.0 GiB free/);
    expect(screen.getByText(/systemd starts proactive-node\.service/)).toBeTruthy();
    expect(screen.getByTestId('script').textContent).toMatch(/mkdir-p \/opt\/proactive/);
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith(plan().script);
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(clicked.map((a) => a.download)).toEqual(['guestprep-plan.guestfish']);
    expect(screen.getByRole('button', { name: 'Run' })).toBeTruthy();
  });
});

describe('RunStep', () => {
  it('progress per step and overall, live log, then the result', async () => {
    const { client } = await atReview();
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Run' })).toBeTruthy();
    await waitFor(() => expect(client.callsOf('run.start')).toHaveLength(1));
    expect(client.callsOf('run.start')[0]).toMatchObject({ image: '/images/debian.vdi', jre: jre().archivePath, proactive: proactive().archivePath, settings: { rmUrl: 'pnp://rm.lab' } });
    act(() => {
      client.emit('run.event', { runId: 'r1', event: { type: 'phase', phase: 'write', message: 'Writing the node into the image' } });
      client.emit('run.event', { runId: 'r1', event: { type: 'step', stepId: 'upload-jre', title: 'Upload the Java runtime', status: 'running', index: 0, total: 3 } });
      client.emit('run.event', { runId: 'r1', event: { type: 'bytes', stepId: 'upload-jre', sent: 250, total: 1000 } });
      client.emit('run.event', { runId: 'r1', event: { type: 'progress', percent: 12 } });
    });
    expect(screen.getByTestId('phase').textContent).toBe('Writing the node into the image');
    expect(screen.getByTestId('overall').textContent).toBe('12%');
    const stepBar = screen.getByLabelText(/Upload the Java runtime: running/) as HTMLProgressElement;
    expect(stepBar.value).toBeCloseTo(0.25);
    expect((screen.getByLabelText(/Overall progress/) as HTMLProgressElement).value).toBe(12);
    expect(screen.getByTestId('log').textContent).toMatch(/Writing the node into the image/);
    expect((screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement).disabled).toBe(true);
    act(() => client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Result' })).toBeTruthy();
  });

  it('Cancel calls run.cancel and ends cancelled', async () => {
    const { client } = await atReview();
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    const cancel = (await screen.findByRole('button', { name: 'Cancel' })) as HTMLButtonElement;
    await waitFor(() => expect(cancel.disabled).toBe(false));
    await userEvent.click(cancel);
    expect(client.callsOf('run.cancel')).toEqual([{ runId: 'r1' }]);
    expect(screen.getByTestId('overall').textContent).toBe('cancelling…');
    act(() => client.emit('run.result', { runId: 'r1', result: { ok: false, error: { code: 'CANCELLED', message: 'cancelled by the user', fix: 'Run again.' } } }));
    expect(screen.getByRole('status').textContent).toMatch(/The run was cancelled; the image was left unchanged/);
    expect(cancel.disabled).toBe(true);
  });

  it('failure: the failing step is highlighted, with the error and its fix', async () => {
    const { client } = await atReview();
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    await waitFor(() => expect(client.callsOf('run.start')).toHaveLength(1));
    act(() => {
      client.emit('run.event', { runId: 'r1', event: { type: 'step', stepId: 'upload-proactive', title: 'Upload ProActive', status: 'running', index: 1, total: 3 } });
      client.emit('run.result', {
        runId: 'r1',
        result: { ok: false, error: { code: 'STEP_FAILED', message: 'tar-in: write error: No space left on device', fix: 'Free space in the guest.', step: 'upload-proactive' } },
      });
    });
    const alert = screen.getByText(/No space left on device/).closest('[role="alert"]')!;
    expect(alert.textContent).toMatch(/Failed at "Upload ProActive"/);
    expect(alert.textContent).toMatch(/Fix: Free space in the guest\./);
    expect(screen.getByTestId('run-step-upload-proactive').className).toMatch(/failed/);
    expect(screen.getByLabelText(/Upload ProActive: failed/)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('ResultStep', () => {
  async function finished(kind: 'electron' | 'bridge') {
    const r = await atReview({ 'shell.showInFolder': () => ({ shown: true }) }, kind);
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    await waitFor(() => expect(r.client.callsOf('run.start')).toHaveLength(1));
    act(() => r.client.emit('run.result', { runId: 'r1', result: { ok: true, value: prepareReport() } }));
    await screen.findByRole('heading', { level: 2, name: 'Result' });
    return r;
  }

  it('shows checks passed and next boot; Show in folder in Electron; Prepare another image resets', async () => {
    const { client, store } = await finished('electron');
    expect(screen.getByTestId('verification').textContent).toBe('Verified: 14 checks passed.');
    expect(screen.getByText(/systemd starts proactive-node\.service/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    expect(client.callsOf('shell.showInFolder')).toEqual([{ path: '/images/debian.vdi' }]);
    await userEvent.click(screen.getByRole('button', { name: 'Prepare another image' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Image' })).toBeTruthy();
    expect(store.getState().form.rmUrl).toBe('pnp://rm.lab');
    expect(store.getState().jre.info).toBeDefined();
  });

  it('no Show in folder through the bridge', async () => {
    await finished('bridge');
    expect(screen.queryByRole('button', { name: 'Show in folder' })).toBeNull();
  });
});
