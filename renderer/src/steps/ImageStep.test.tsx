import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { createFakeClient, err } from '../test/fake-client';
import { inspectReport, vms } from '../test/fixtures';
import { dataTransfer, file, renderWith } from '../test/render';

const handlers = () => ({ 'vbox.list': () => vms(), 'image.inspect': (r: { image: string }) => inspectReport(r.image) });

describe('ImageStep', () => {
  it('drop several files: first disk inspected, others listed, wrong types refused with a reason', async () => {
    const client = createFakeClient(handlers());
    const { store } = renderWith(<App />, client);
    const zone = screen.getByRole('button', { name: 'Drop a disk image or choose one' });
    fireEvent.drop(zone, { dataTransfer: dataTransfer([file('a.vmdk'), file('photo.png'), file('b.vhdx')]) });
    expect(screen.getByTestId('refused').textContent).toMatch(/photo\.png.*\.png is not a disk image/);
    expect(client.callsOf('image.inspect')).toEqual([{ image: '/images/a.vmdk' }]);
    expect(await screen.findByRole('heading', { level: 2, name: 'Guest' })).toBeTruthy();
    act(() => store.setState({ step: 'image' }));
    expect(screen.getByRole('group', { name: 'Dropped images' }).textContent).toMatch(/b\.vhdx/);
  });

  it('shows inspection progress, then the refusal with its fix', async () => {
    let release!: () => void;
    const client = createFakeClient({
      ...handlers(),
      'image.inspect': () => new Promise((res) => (release = () => res(err('IMAGE_DIFFERENCING_VDI', 'this VDI is a snapshot', 'Clone the VM to a full disk.')))),
    });
    renderWith(<App />, client);
    await userEvent.type(screen.getByLabelText('Disk image path'), '/vms/x.vdi{Enter}');
    expect(screen.getByTestId('inspect-status').textContent).toMatch(/Inspecting.*about 15 s/);
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
    release();
    const fix = await screen.findByText('Clone the VM to a full disk.');
    expect(fix.closest('[role="alert"]')?.textContent).toMatch(/this VDI is a snapshot.*Fix: Clone the VM/);
    expect(screen.getByTestId('next-reason').textContent).toMatch(/refused: this VDI is a snapshot/);
    expect(screen.getByLabelText('Disk image path').getAttribute('aria-describedby')).toContain('image-error');
  });

  it('VirtualBox: a running VM disk is disabled with the reason; a powered-off one is usable', async () => {
    const client = createFakeClient(handlers());
    renderWith(<App />, client);
    const running = await screen.findByRole('button', { name: /Use build-box\.vdi/ });
    expect((running as HTMLButtonElement).disabled).toBe(true);
    const reasonId = running.getAttribute('aria-describedby')!;
    expect(document.getElementById(reasonId)?.textContent).toMatch(/running: power it off/);
    await userEvent.click(screen.getByRole('button', { name: /Use worker\.vdi/ }));
    await waitFor(() => expect(client.callsOf('image.inspect')).toEqual([{ image: '/vbox/worker/worker.vdi' }]));
  });

  it('bridge: the drop cannot give a path, so the field is offered', async () => {
    const client = createFakeClient(handlers(), { kind: 'bridge' });
    renderWith(<App />, client);
    fireEvent.drop(screen.getByRole('button', { name: 'Drop a disk image or choose one' }), { dataTransfer: dataTransfer([file('a.vdi')]) });
    expect(screen.getByTestId('drop-notice').textContent).toMatch(/type or paste the full path/);
    expect(screen.getByText(/dropped files cannot be located/)).toBeTruthy();
    expect(client.callsOf('image.inspect')).toEqual([]);
  });

  it('keyboard: Enter and Space on the drop zone open the file picker', async () => {
    const client = createFakeClient(handlers());
    renderWith(<App />, client);
    const input = screen.getByTestId('image-drop-input') as HTMLInputElement;
    let clicks = 0;
    input.addEventListener('click', (e) => {
      clicks++;
      e.preventDefault();
    });
    const zone = screen.getByRole('button', { name: 'Drop a disk image or choose one' });
    zone.focus();
    await userEvent.keyboard('{Enter}');
    await userEvent.keyboard(' ');
    expect(clicks).toBe(2);
    expect(zone.tabIndex).toBe(0);
    const picked = file('c.qcow2');
    fireEvent.change(input, { target: { files: [picked] } });
    await waitFor(() => expect(client.callsOf('image.inspect')).toEqual([{ image: '/images/c.qcow2' }]));
  });
});
