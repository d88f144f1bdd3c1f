import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { createFakeClient } from './test/fake-client';
import { inspectReport } from './test/fixtures';
import { renderWith } from './test/render';

describe('App layout', () => {
  it('step list marks the current step; Next is disabled with the reason; later steps locked', () => {
    renderWith(<App />, createFakeClient({ 'vbox.list': () => [] }));
    const nav = screen.getByRole('navigation', { name: 'Steps' });
    const current = nav.querySelector('[aria-current="step"]')!;
    expect(current.textContent).toMatch(/Image/);
    const next = screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    expect(document.getElementById(next.getAttribute('aria-describedby')!)!.textContent).toMatch(/Choose a disk image/);
    expect((screen.getByRole('button', { name: 'Step 6: Review' }) as HTMLButtonElement).disabled).toBe(true);
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 2, name: 'Image' }));
  });

  it('after inspection the user can go back and forth with the step list and the buttons', async () => {
    renderWith(<App />, createFakeClient({ 'vbox.list': () => [] }), { step: 'guest', inspect: { status: 'ok', path: '/i', report: inspectReport() } });
    expect(screen.getByRole('heading', { level: 2, name: 'Guest' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByRole('heading', { level: 2, name: 'Java' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByRole('heading', { level: 2, name: 'Guest' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Step 1: Image' }));
    expect(screen.getByRole('heading', { level: 2, name: 'Image' })).toBeTruthy();
  });

  it('theme toggle cycles system, light, dark and sets data-theme', async () => {
    renderWith(<App />, createFakeClient({ 'vbox.list': () => [] }));
    const toggle = screen.getByRole('button', { name: /Theme: system/ });
    await userEvent.click(toggle);
    expect(document.documentElement.getAttribute('data-theme')).toBe('light');
    await userEvent.click(screen.getByRole('button', { name: /Theme: light/ }));
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    await userEvent.click(screen.getByRole('button', { name: /Theme: dark/ }));
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false);
  });
});
