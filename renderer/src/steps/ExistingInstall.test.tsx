import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { InstallRecord, RemoveReport, RetargetReport } from '../../../main/contract/contract';
import { App } from '../App';
import { createFakeClient } from '../test/fake-client';
import { inspectReport } from '../test/fixtures';
import { renderWith } from '../test/render';

const record: InstallRecord = {
  tool: 'guestprep', formatVersion: 1, guestprepVersion: '0.1.0', installedAt: '2025-01-02T03:04:05Z', installDir: '/opt/proactive',
  serviceName: 'proactive-node', serviceUser: 'proactive', init: 'systemd', rmUrl: 'pnp://old-rm:64738', nodeName: 'w7', nodeSource: 'Lab',
  workers: 2, jvmOptions: [], hasCredentials: true, proactive: { version: '13.0.0', generation: 'modern', archive: 'n.zip' }, files: [],
};
const report = () => inspectReport('/images/node.vdi', { existing: { path: '/opt/proactive/guestprep/install.json', record } });

const timings = { checksMs: 1, launchMs: 1, inspectMs: 1, writeMs: 1, verifyMs: 1, commitMs: 1, totalMs: 21000 };
const retargetReport = (): RetargetReport => ({
  operation: 'retarget', runId: 'e1', ok: true, image: report().image, guest: { ...report().guest, init: 'systemd' },
  settings: { rm: { protocol: 'pnp', host: 'new-rm', port: 64738, url: 'pnp://new-rm:64738' }, nodeName: 'w7', nodeSource: 'Lab', workers: 2, jvmOptions: [], installDir: '/opt/proactive', serviceName: 'proactive-node', serviceUser: 'proactive' },
  previous: { rmUrl: 'pnp://old-rm:64738', nodeName: 'w7', nodeSource: 'Lab', workers: 2, hasCredentials: true },
  plan: { steps: [] }, steps: [], bytesStreamed: 0, verification: { checked: 5, failures: [] },
  atNextBoot: ['The node joins the Resource Manager at pnp://new-rm:64738.'], warnings: [], notices: [], launches: 1, failedLaunchAttempts: 0, timings,
});
const removeReport = (): RemoveReport => ({
  operation: 'remove', runId: 'e2', ok: true, image: report().image, guest: { ...report().guest, init: 'systemd' }, removed: record,
  plan: { steps: [] }, steps: [], verification: { checked: 9, failures: [] },
  atNextBoot: ['The guest no longer starts the ProActive node at boot.', 'Removed /opt/proactive.'], warnings: [], notices: [], launches: 1, failedLaunchAttempts: 0, timings,
});

function atGuest() {
  // No settings.validate, plan.preview or run.start handler: a retarget or a removal must not call them.
  const client = createFakeClient({ 'run.retarget': () => ({ runId: 'e1' }), 'run.remove': () => ({ runId: 'e2' }), 'presets.list': () => [] });
  const r = renderWith(<App />, client, { step: 'guest', inspect: { status: 'ok', path: '/images/node.vdi', report: report() } });
  return { client, ...r };
}

describe('an existing install', () => {
  it('Change manager only: the Manager step with the recorded settings, then run.retarget, no archives, no review', async () => {
    const { client, store } = atGuest();
    await userEvent.click(screen.getByRole('button', { name: 'Change manager only' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Manager' })).toBeTruthy();
    expect(screen.getByTestId('retarget-note').textContent).toMatch(/pnp:\/\/old-rm:64738/);
    expect((screen.getByLabelText('Resource Manager URL') as HTMLInputElement).value).toBe('pnp://old-rm:64738');
    expect((screen.getByLabelText('Node source') as HTMLInputElement).value).toBe('Lab');
    expect((screen.getByLabelText('Workers') as HTMLInputElement).value).toBe('2');
    expect(screen.queryByLabelText('Service user')).toBeNull();
    expect(screen.getByText(/the node keeps the credentials file it has/)).toBeTruthy();
    // The archive steps and the review are skipped.
    expect((screen.getByRole('button', { name: 'Step 3: Java' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Step 6: Review' }) as HTMLButtonElement).disabled).toBe(true);

    const url = screen.getByLabelText('Resource Manager URL');
    await userEvent.clear(url);
    await userEvent.type(url, 'http://new-rm:8080');
    expect(screen.getByTestId('next-reason').textContent).toMatch(/Fix the Resource Manager URL/);
    await userEvent.clear(url);
    await userEvent.type(url, 'pnp://new-rm');
    await userEvent.click(screen.getByRole('button', { name: 'Change manager' }));
    await waitFor(() => expect(client.callsOf('run.retarget')).toHaveLength(1));
    expect(client.callsOf('run.retarget')[0]).toEqual({
      image: '/images/node.vdi', installDir: '/opt/proactive', settings: { rmUrl: 'pnp://new-rm', nodeName: 'w7', nodeSource: 'Lab', workers: '2' },
    });
    expect(client.callsOf('settings.validate')).toHaveLength(0);
    expect(client.callsOf('run.start')).toHaveLength(0);
    expect(await screen.findByRole('heading', { level: 2, name: 'Run' })).toBeTruthy();
    act(() => client.emit('run.result', { runId: 'e1', result: { ok: true, value: retargetReport() } }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Result' })).toBeTruthy();
    const facts = screen.getByLabelText('Changed manager').textContent!;
    expect(facts).toMatch(/pnp:\/\/new-rm:64738/);
    expect(facts).toMatch(/Before.*pnp:\/\/old-rm:64738/);
    expect(facts).toMatch(/no archive \(0 bytes\)/);
    // The next image starts as a plain prepare, with an empty form.
    await userEvent.click(screen.getByRole('button', { name: 'Prepare another image' }));
    expect(store.getState().mode).toBe('prepare');
    expect(store.getState().form.rmUrl).toBe('');
  });

  it('a failed retarget goes Back to the Manager step; "Prepare the image instead" leaves the retarget', async () => {
    const { client, store } = atGuest();
    await userEvent.click(screen.getByRole('button', { name: 'Change manager only' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Change manager' }));
    await waitFor(() => expect(client.callsOf('run.retarget')).toHaveLength(1));
    act(() => client.emit('run.result', { runId: 'e1', result: { ok: false, error: { code: 'SETTING_INVALID', message: 'the node name is not valid', fix: 'Use letters.' } } }));
    expect(await screen.findByText(/the node name is not valid/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Manager' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Prepare the image instead' }));
    expect(store.getState().mode).toBe('prepare');
    expect(await screen.findByRole('heading', { level: 2, name: 'Guest' })).toBeTruthy();
  });

  it('Remove asks first; Keep it does nothing; Remove runs run.remove and shows what was removed', async () => {
    const { client } = atGuest();
    await userEvent.click(screen.getByRole('button', { name: 'Remove Guestprep from this image…' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Remove the node from this image?' });
    expect(dialog.textContent).toMatch(/deletes \/opt\/proactive/);
    await userEvent.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(client.callsOf('run.remove')).toHaveLength(0);

    await userEvent.click(screen.getByRole('button', { name: 'Remove Guestprep from this image…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(client.callsOf('run.remove')).toEqual([{ image: '/images/node.vdi', installDir: '/opt/proactive' }]));
    expect(await screen.findByRole('heading', { level: 2, name: 'Run' })).toBeTruthy();
    act(() => client.emit('run.result', { runId: 'e2', result: { ok: true, value: removeReport() } }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Result' })).toBeTruthy();
    expect(screen.getByTestId('verification').textContent).toBe('Verified: 9 checks passed.');
    expect(screen.getByLabelText('Removed node').textContent).toMatch(/w7 \(pnp:\/\/old-rm:64738\).*proactive-node/);
    expect(screen.getByText('Removed /opt/proactive.')).toBeTruthy();
  });
});
