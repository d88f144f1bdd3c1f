import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { createFakeClient, err, type FakeHandlers } from '../test/fake-client';
import { inspectReport, jre, plan, proactive } from '../test/fixtures';
import { renderWith } from '../test/render';
import type { Preset } from '../../../main/contract/contract';

function setup(handlers: FakeHandlers = {}, legacy = false) {
  const client = createFakeClient({
    'presets.list': () => [],
    'settings.validate': () => ({ settings: plan().settings, warnings: [] }),
    ...handlers,
  });
  const r = renderWith(<App />, client, {
    step: 'manager',
    inspect: { status: 'ok', path: '/i.vdi', report: inspectReport() },
    jre: { path: '/j', status: 'ok', info: jre() },
    proactive: { path: '/p', status: 'ok', info: legacy ? proactive({ generation: 'legacy', bundledJre: undefined }) : proactive() },
  });
  return { client, ...r };
}

const next = () => screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;

describe('ManagerStep', () => {
  it('live URL validation: http is refused with the portal hint; each protocol has its hint', async () => {
    const { client } = setup();
    const url = screen.getByLabelText('Resource Manager URL');
    await userEvent.type(url, 'http://rm.lab:8080');
    const error = document.getElementById('rmUrl-error')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/web portal, not the Resource Manager URL.*Fix: use pnp:\/\/HOST:64738/);
    expect(url.getAttribute('aria-describedby')).toBe('rmUrl-hint rmUrl-error');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(next().disabled).toBe(true);
    expect(screen.getByTestId('next-reason').textContent).toMatch(/web portal/);
    await userEvent.clear(url);
    await userEvent.type(url, 'pamr://0');
    expect(screen.getByTestId('rm-hint').textContent).toMatch(/behind NAT/);
    await userEvent.clear(url);
    await userEvent.type(url, 'pnp://rm.lab');
    expect(screen.getByTestId('rm-hint').textContent).toMatch(/reach the node back|connect back to the node/);
    expect(document.getElementById('rmUrl-error')).toBeNull();
    // Debounced: one backend validation for the final value, not one per keystroke of a valid URL.
    await waitFor(() => expect(next().disabled).toBe(false));
    expect(client.callsOf('settings.validate').map((r) => r.settings.rmUrl)).toEqual(['pnp://rm.lab']);
  });

  it("the backend's error lands under its field, with the fix", async () => {
    setup({
      'settings.validate': (r) =>
        r.settings.nodeSource === 'bad source'
          ? err('SETTING_INVALID', 'the node source "bad source" is not valid', 'Use letters, digits, dots, dashes and underscores.', { field: 'nodeSource' })
          : { settings: plan().settings, warnings: ['pamr: give the router'] },
    });
    await userEvent.type(screen.getByLabelText('Resource Manager URL'), 'pnp://rm.lab');
    await userEvent.type(screen.getByLabelText('Node source'), 'bad source');
    await waitFor(() => expect(document.getElementById('nodeSource-error')).not.toBeNull());
    const e = document.getElementById('nodeSource-error')!;
    expect(e.textContent).toMatch(/the node source "bad source" is not valid.*Fix: Use letters/);
    expect(screen.getByLabelText('Node source').getAttribute('aria-describedby')).toBe('nodeSource-hint nodeSource-error');
    expect(next().disabled).toBe(true);
    await userEvent.clear(screen.getByLabelText('Node source'));
    await waitFor(() => expect(next().disabled).toBe(false));
    expect(screen.getByLabelText('Settings warnings').textContent).toMatch(/give the router/);
  });

  it('an error the engine ties to no field of the form is shown for the whole form', async () => {
    setup({ 'settings.validate': () => err('SETTING_INVALID', 'no Java runtime: the ProActive archive does not bundle one', 'Give a Linux JRE archive.') });
    await userEvent.type(screen.getByLabelText('Resource Manager URL'), 'pnp://rm.lab');
    await waitFor(() => expect(document.getElementById('settings-error')).not.toBeNull());
    expect(document.getElementById('settings-error')!.textContent).toMatch(/no Java runtime.*Give a Linux JRE archive/);
    expect(document.getElementById('rmUrl-error')).toBeNull();
  });

  it('node name placeholder is the guest hostname; workers disabled for 3.x', () => {
    setup({}, true);
    expect(screen.getByLabelText('Node name').getAttribute('placeholder')).toBe('worker-07');
    expect((screen.getByLabelText('Workers') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/3\.x nodes have no workers option/)).toBeTruthy();
  });

  it('presets: apply from the select, save with an in-page name, rename and delete', async () => {
    let presets: Preset[] = [{ name: 'lab', data: { settings: { rmUrl: 'pnp://lab-rm', nodeSource: 'Lab' } }, createdAt: '', updatedAt: '' }];
    const { client } = setup({
      'presets.list': () => presets,
      'presets.save': (r) => {
        const p = { name: r.name, data: r.data, createdAt: '', updatedAt: '' };
        presets = [...presets, p];
        return p;
      },
      'presets.rename': (r) => {
        presets = presets.map((p) => (p.name === r.from ? { ...p, name: r.to } : p));
        return presets.find((p) => p.name === r.to)!;
      },
      'presets.delete': (r) => {
        presets = presets.filter((p) => p.name !== r.name);
        return { deleted: true };
      },
    });
    const select = (await screen.findByRole('option', { name: 'lab' })).closest('select')!;
    await userEvent.selectOptions(select, 'lab');
    expect((screen.getByLabelText('Resource Manager URL') as HTMLInputElement).value).toBe('pnp://lab-rm');
    expect((screen.getByLabelText('Node source') as HTMLInputElement).value).toBe('Lab');

    await userEvent.click(screen.getByRole('button', { name: 'Save as preset' }));
    const name = screen.getByLabelText('New preset name');
    expect(document.activeElement).toBe(name);
    await userEvent.type(name, 'lab copy{Enter}');
    await waitFor(() => expect(client.callsOf('presets.save')).toHaveLength(1));
    expect(client.callsOf('presets.save')[0]!.data.settings).toEqual({ rmUrl: 'pnp://lab-rm', nodeSource: 'Lab' });
    expect(await screen.findByText('Saved preset "lab copy".')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    const rn = screen.getByLabelText(/New name for "lab copy"/);
    await userEvent.clear(rn);
    await userEvent.type(rn, 'lab2{Enter}');
    await waitFor(() => expect(client.callsOf('presets.rename')).toEqual([{ from: 'lab copy', to: 'lab2' }]));
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(client.callsOf('presets.delete')).toEqual([{ name: 'lab2' }]));
    expect(within(select).queryByRole('option', { name: 'lab2' })).toBeNull();
  });

  it('presets: import pasted JSON reports what was imported', async () => {
    const { client } = setup({ 'presets.import': () => ({ imported: ['a'], skipped: ['b'] }) });
    await userEvent.click(screen.getByRole('button', { name: 'Import JSON' }));
    const area = screen.getByLabelText(/Presets JSON/);
    await act(async () => {
      await userEvent.click(area);
      await userEvent.paste('{"version":1,"presets":[]}');
    });
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(client.callsOf('presets.import')).toEqual([{ json: '{"version":1,"presets":[]}', overwrite: false }]));
    expect((await screen.findByTestId('preset-status')).textContent).toMatch(/Imported a; skipped \(already exist\): b/);
  });
});
