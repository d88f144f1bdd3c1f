import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeClient } from '../test/fake-client';
import { renderWith } from '../test/render';
import { App } from '../App';

const rolledBack = {
  runId: 'r1',
  kind: 'prepare' as const,
  image: '/vm/a.vdi',
  phase: 'writing' as const,
  action: 'rolled-back' as const,
  message: 'Run r1 (preparing /vm/a.vdi) was interrupted while writing into its temporary overlay. The image was never written; its temporary overlay was deleted.',
  launches: 0,
};

describe('RecoveryBanner', () => {
  it('tells what recovery did at start, and can be dismissed', async () => {
    const client = createFakeClient({
      'recovery.status': async () => ({ running: false, outcomes: [rolledBack, { ...rolledBack, runId: 'r2', action: 'pending', phase: 'committing', message: 'not yet', error: { code: 'IMAGE_LOCKED', message: 'in use', fix: 'Power off the VM.' } }] }),
    });
    renderWith(<App />, client);
    const banner = await screen.findByTestId('recovery-banner');
    expect(banner.textContent).toContain('The image was never written');
    expect(banner.textContent).toContain('Power off the VM.');
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(screen.queryByTestId('recovery-banner')).toBeNull());
  });

  it('shows nothing when there was nothing to recover', async () => {
    const client = createFakeClient({ 'recovery.status': async () => ({ running: false, outcomes: [] }) });
    renderWith(<App />, client);
    await waitFor(() => expect(client.calls.some((c) => c.name === 'recovery.status')).toBe(true));
    expect(screen.queryByTestId('recovery-banner')).toBeNull();
  });
});
