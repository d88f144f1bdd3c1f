import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeClient } from '../test/fake-client';
import { inspectReport } from '../test/fixtures';
import { renderWith } from '../test/render';
import { GuestStep } from './GuestStep';

describe('GuestStep', () => {
  it('shows what inspection found, with warnings for an existing install and low space', () => {
    const report = inspectReport('/i.vdi', {
      freeBytes: 100 * 1024 ** 2,
      existing: {
        path: '/opt/proactive/guestprep/install.json',
        record: {
          tool: 'guestprep', formatVersion: 1, guestprepVersion: '0.1.0', installedAt: '2025-01-02T03:04:05Z', installDir: '/opt/proactive',
          serviceName: 'proactive-node', serviceUser: 'proactive-node', init: 'systemd', rmUrl: 'pnp://old-rm:64738', nodeName: 'w7', nodeSource: 'Lab',
          workers: 2, jvmOptions: [], hasCredentials: true, proactive: { version: '13.0.0', generation: 'modern', archive: 'n.zip' }, files: [],
        },
      },
    });
    renderWith(<GuestStep />, createFakeClient(), { inspect: { status: 'ok', path: '/i.vdi', report } });
    expect(screen.getByRole('heading', { level: 2, name: 'Guest' })).toBeTruthy();
    const facts = screen.getByLabelText('Guest facts').textContent!;
    expect(facts).toMatch(/Debian GNU\/Linux 12/);
    expect(facts).toMatch(/x86_64/);
    expect(facts).toMatch(/systemd/);
    expect(facts).toMatch(/100\.0 MiB on \//);
    const warnings = screen.getByLabelText('Guest warnings').textContent!;
    expect(warnings).toMatch(/already installed.*replaces it/);
    expect(warnings).toMatch(/Only 100\.0 MiB free/);
    expect(screen.getByTestId('existing-install').textContent).toMatch(/pnp:\/\/old-rm:64738/);
  });
});
