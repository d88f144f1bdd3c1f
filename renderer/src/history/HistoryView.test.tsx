import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { createFakeClient } from '../test/fake-client';
import { renderWith } from '../test/render';
import type { HistoryEntry } from '../../../main/contract/contract';

const entries: HistoryEntry[] = [
  { id: 'a', image: '/vms/web.vdi', startedAt: '2025-03-01T10:00:00Z', durationMs: 61000, outcome: 'success', preset: 'lab' },
  { id: 'b', image: '/vms/db.qcow2', startedAt: '2025-03-02T10:00:00Z', durationMs: 5000, outcome: 'failed', error: { code: 'GUEST_NO_SPACE', message: 'no space', fix: 'Grow the disk.' } },
];

describe('HistoryView', () => {
  it('lists runs, filters by text and outcome, shows one run with its log and fix', async () => {
    const client = createFakeClient({
      'history.list': (f) => entries.filter((e) => (!f.outcome || e.outcome === f.outcome) && (!f.text || e.image.includes(f.text))),
      'history.get': (r) => ({ ...entries.find((e) => e.id === r.id)!, log: ['line one', 'line two'] }),
    });
    renderWith(<App />, client);
    await userEvent.click(screen.getByRole('tab', { name: 'History' }));
    expect(screen.getByRole('tab', { name: 'History' }).getAttribute('aria-selected')).toBe('true');
    expect(await screen.findByTestId('history-a')).toBeTruthy();
    expect(screen.getByTestId('history-b')).toBeTruthy();
    await userEvent.selectOptions(screen.getByLabelText('Outcome'), 'failed');
    await waitFor(() => expect(screen.queryByTestId('history-a')).toBeNull());
    expect(client.callsOf('history.list').at(-1)).toMatchObject({ outcome: 'failed' });
    await userEvent.selectOptions(screen.getByLabelText('Outcome'), '');
    await userEvent.type(screen.getByLabelText('Filter'), 'web');
    await waitFor(() => expect(screen.queryByTestId('history-b')).toBeNull());
    await userEvent.clear(screen.getByLabelText('Filter'));
    const row = await screen.findByTestId('history-b');
    await userEvent.click(row.querySelector('button')!);
    expect((await screen.findByTestId('history-log')).textContent).toBe('line one\nline two');
    expect(screen.getByText('Grow the disk.')).toBeTruthy();
  });
});
