import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeClient } from '../test/fake-client';
import { inspectReport } from '../test/fixtures';
import { renderWith } from '../test/render';
import { GuestStep } from './GuestStep';
import { windowsGuest } from '../../../main/engine/plan/test-fixtures';
import { engineCapabilities } from '../../../main/engine/capabilities';
import { stepStatus } from '../store/wizard';

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

  it('a Windows guest: its own facts (system drive, control set, service), no refusal, and Next is allowed', async () => {
    const report = inspectReport('/w.vdi', windowsGuest());
    const { store } = renderWith(<GuestStep />, createFakeClient(), { inspect: { status: 'ok', path: '/w.vdi', report }, capabilities: engineCapabilities() });
    const facts = screen.getByLabelText('Guest facts').textContent!;
    expect(facts).toMatch(/Windows 10 Pro/);
    expect(facts).toMatch(/System driveC: \(\\Windows\)/);
    expect(facts).toMatch(/Control setControlSet002/);
    expect(facts).toMatch(/a Windows service/);
    expect(facts).not.toMatch(/Init system|C::/);
    expect(screen.queryByLabelText('Guest warnings')?.textContent ?? '').not.toMatch(/Linux guests only|prepares/);
    expect(stepStatus(store.getState(), 'guest')).toEqual({ ok: true });
  });

  it('a guest of an OS the engine does not announce is refused with the engine\'s words', () => {
    const report = inspectReport('/b.vdi', { osType: 'freebsd', linux: undefined });
    const { store } = renderWith(<GuestStep />, createFakeClient(), { inspect: { status: 'ok', path: '/b.vdi', report }, capabilities: engineCapabilities() });
    expect(screen.getByLabelText('Guest warnings').textContent).toMatch(/runs freebsd; this Guestprep prepares linux and windows guests/);
    expect(stepStatus(store.getState(), 'guest').ok).toBe(false);
  });
});
