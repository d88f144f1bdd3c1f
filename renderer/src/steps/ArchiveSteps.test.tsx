import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createFakeClient, err } from '../test/fake-client';
import { inspectReport, jre, proactive } from '../test/fixtures';
import { dataTransfer, file, renderWith } from '../test/render';
import { JavaStep } from './JavaStep';
import { ProactiveStep } from './ProactiveStep';

const inspected = { inspect: { status: 'ok' as const, path: '/i.vdi', report: inspectReport() } };

describe('JavaStep', () => {
  it('dropping a JRE detects it and shows version, OS and arch', async () => {
    const client = createFakeClient({ 'archive.detect': (r) => ({ role: 'jre' as const, info: jre({ archivePath: r.path }) }) });
    renderWith(<JavaStep />, client, inspected);
    expect(screen.getByTestId('java-optional').textContent).toMatch(/Optional when the ProActive distribution bundles/);
    fireEvent.drop(screen.getByRole('button', { name: /Drop the Java runtime archive/ }), { dataTransfer: dataTransfer([file('jre17.tar.gz')]) });
    await screen.findByLabelText('Java runtime');
    expect(client.callsOf('archive.detect')).toEqual([{ path: '/images/jre17.tar.gz', role: 'jre' }]);
    expect(screen.getByLabelText('Java runtime').textContent).toMatch(/17\.0\.9.*linux x86_64/s);
  });

  it('a JRE for another CPU is refused against the guest, with the fix', async () => {
    const client = createFakeClient({ 'archive.detect': () => ({ role: 'jre' as const, info: jre({ arch: 'aarch64' }) }) });
    renderWith(<JavaStep />, client, inspected);
    await userEvent.type(screen.getByLabelText('Java runtime archive path'), '/dl/jre-arm.tar.gz{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/aarch64 CPUs, but the guest is x86_64/);
    expect(alert.textContent).toMatch(/Fix: Pick the x86_64 build/);
  });

  it('says the JRE is optional when the ProActive archive bundles one; shows detect errors', async () => {
    const client = createFakeClient({ 'archive.detect': () => err('JRE_NOT_FOUND', 'no bin/java in this archive', 'Choose a JRE archive.') });
    renderWith(<JavaStep />, client, { ...inspected, proactive: { path: '/p.zip', status: 'ok', info: proactive() } });
    expect(screen.getByTestId('java-optional').textContent).toMatch(/bundles Java 1\.8\.0_382/);
    await userEvent.type(screen.getByLabelText('Java runtime archive path'), '/dl/x.zip{Enter}');
    expect((await screen.findByRole('alert')).textContent).toMatch(/no bin\/java.*Fix: Choose a JRE archive/s);
  });

  it('refuses a dropped non-archive with a reason', () => {
    const client = createFakeClient();
    renderWith(<JavaStep />, client, inspected);
    fireEvent.drop(screen.getByRole('button', { name: /Drop the Java runtime archive/ }), { dataTransfer: dataTransfer([file('java.exe')]) });
    expect(screen.getByRole('alert').textContent).toMatch(/java\.exe was refused: \.exe is not an archive/);
    expect(client.calls).toEqual([]);
  });
});

describe('ProactiveStep', () => {
  it('shows generation and version; 3.x without a JRE asks for one', async () => {
    const client = createFakeClient({
      'archive.detect': () => ({ role: 'proactive' as const, info: proactive({ generation: 'legacy', version: '3.4.1', startScript: 'bin/unix/rm-start-node', bundledJre: undefined }) }),
    });
    renderWith(<ProactiveStep />, client, inspected);
    await userEvent.type(screen.getByLabelText('ProActive archive path'), '/dl/ProActive-3.4.1.tar.gz{Enter}');
    await waitFor(() => expect(screen.getByLabelText('ProActive distribution').textContent).toMatch(/3\.x/));
    expect(screen.getByLabelText('ProActive distribution').textContent).toMatch(/3\.4\.1/);
    expect(screen.getByRole('alert').textContent).toMatch(/bundles no Java runtime.*Fix: Go back to the Java step/s);
  });

  it('a Windows-only distribution: its script is shown, and it is refused for this Linux guest with the Linux download', async () => {
    const client = createFakeClient({
      'archive.detect': () => ({
        role: 'proactive' as const,
        info: proactive({ archivePath: '/dl/activeeon_enterprise-node-windows-x64-13.1.0.zip', startScript: undefined, windowsStartScript: 'bin/proactive-node.bat' }),
      }),
    });
    renderWith(<ProactiveStep />, client, inspected);
    await userEvent.type(screen.getByLabelText('ProActive archive path'), '/dl/activeeon_enterprise-node-windows-x64-13.1.0.zip{Enter}');
    await waitFor(() => expect(screen.getByLabelText('ProActive distribution').textContent).toMatch(/Windows bin\\proactive-node\.bat/));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/it has bin\\proactive-node\.bat but not bin\/proactive-node, the start script the node needs in this Linux guest/);
    expect(alert.textContent).toMatch(/Fix: Pick the Linux node distribution \(e\.g\. activeeon_enterprise-node-linux-x64-13\.1\.0\.zip\)/);
  });

  it('6.2+ with a bundled JRE needs nothing more', async () => {
    const client = createFakeClient({ 'archive.detect': () => ({ role: 'proactive' as const, info: proactive() }) });
    renderWith(<ProactiveStep />, client, inspected);
    await userEvent.type(screen.getByLabelText('ProActive archive path'), '/dl/node.zip{Enter}');
    await waitFor(() => expect(screen.getByLabelText('ProActive distribution').textContent).toMatch(/6\.2\+.*13\.1\.0/s));
    expect(screen.getByLabelText('ProActive distribution').textContent).toMatch(/Linux bin\/proactive-node/);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
