import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { createFakeClient } from '../test/fake-client';
import { inspectReport, vms } from '../test/fixtures';
import { dataTransfer, file, renderWith } from '../test/render';
import { DropZone, pathsFromUriList, resolveDroppedPaths } from './DropZone';

/** What a Linux file manager puts in a drag: the files and their file:// URIs. */
function dragFromFileManager(files: File[], uriList: string) {
  const dt = dataTransfer(files);
  return { ...dt, types: ['Files', 'text/uri-list'], getData: (t: string) => (t === 'text/uri-list' ? uriList : '') };
}

describe('pathsFromUriList', () => {
  it('keeps local file:// URIs (empty host or localhost), decoded; skips comments, other schemes and hosts', () => {
    const list = [
      '# dragged from Files',
      'file:///home/ann/VirtualBox%20VMs/Node%20(1)/node.vdi',
      'file://localhost/srv/x%C3%A9.vdi\r',
      'file://fileserver/share/remote.vdi',
      'https://example.org/a.vdi',
      'file:///bad%zz.vdi',
      '',
    ].join('\n');
    expect(pathsFromUriList(list)).toEqual(['/home/ann/VirtualBox VMs/Node (1)/node.vdi', '/srv/xé.vdi']);
    expect(pathsFromUriList('')).toEqual([]);
  });
});

describe('resolveDroppedPaths', () => {
  it('prefers the client, else matches the URI list by base name, each URI used once', () => {
    const a = file('a.vdi');
    const b = file('b.vdi');
    const c = file('c.vdi');
    const fromClient = (f: File) => (f === a ? '/electron/a.vdi' : undefined);
    expect(resolveDroppedPaths([a, b, c], ['/x/c.vdi', '/x/b.vdi'], fromClient)).toEqual(['/electron/a.vdi', '/x/b.vdi', '/x/c.vdi']);
    const twin = file('b.vdi');
    expect(resolveDroppedPaths([b, twin], ['/x/b.vdi'], () => undefined)).toEqual(['/x/b.vdi', undefined]);
  });
});

describe('DropZone', () => {
  const handlers = () => ({ 'vbox.list': () => vms(), 'image.inspect': (r: { image: string }) => inspectReport(r.image) });

  it('bridge: a drop carrying a file:// URI list inspects that path (no notice)', async () => {
    const client = createFakeClient(handlers(), { kind: 'bridge' });
    renderWith(<App />, client);
    const zone = screen.getByRole('button', { name: 'Drop a disk image or choose one' });
    fireEvent.drop(zone, { dataTransfer: dragFromFileManager([file('node.vdi')], 'file:///vms/Node%20(1)/node.vdi\r\n') });
    await waitFor(() => expect(client.callsOf('image.inspect')).toEqual([{ image: '/vms/Node (1)/node.vdi' }]));
    expect(screen.queryByTestId('drop-notice')).toBeNull();
  });

  it('bridge: a URI of another host is not a local path, so the typed path is asked for', () => {
    const client = createFakeClient(handlers(), { kind: 'bridge' });
    renderWith(<App />, client);
    fireEvent.drop(screen.getByRole('button', { name: 'Drop a disk image or choose one' }), {
      dataTransfer: dragFromFileManager([file('node.vdi')], 'file://nas/vms/node.vdi'),
    });
    expect(screen.getByTestId('drop-notice').textContent).toMatch(/type or paste the full path/);
    expect(client.callsOf('image.inspect')).toEqual([]);
  });

  it('electron: the client path wins over the URI list', async () => {
    const client = createFakeClient(handlers());
    const f = file('node.vdi');
    client.paths.set(f, '/real/node.vdi');
    renderWith(<App />, client);
    fireEvent.drop(screen.getByRole('button', { name: 'Drop a disk image or choose one' }), { dataTransfer: dragFromFileManager([f], 'file:///elsewhere/node.vdi') });
    await waitFor(() => expect(client.callsOf('image.inspect')).toEqual([{ image: '/real/node.vdi' }]));
  });

  it('hands files and resolved paths to its parent; a disabled zone ignores drops', () => {
    const client = createFakeClient({}, { kind: 'bridge' });
    const got: Array<[string[], Array<string | undefined>]> = [];
    const onFiles = (fs: File[], ps: Array<string | undefined>) => void got.push([fs.map((x) => x.name), ps]);
    renderWith(<DropZone label="Drop" hint="h" accept={['.zip']} onFiles={onFiles} />, client);
    renderWith(<DropZone label="Off" hint="h" accept={['.zip']} onFiles={onFiles} disabled />, client);
    const drop = (name: string) =>
      fireEvent.drop(screen.getByRole('button', { name }), { dataTransfer: dragFromFileManager([file('jre.zip'), file('pa.zip')], 'file:///a/pa.zip\nfile:///a/jre.zip') });
    drop('Drop');
    expect(got).toEqual([[['jre.zip', 'pa.zip'], ['/a/jre.zip', '/a/pa.zip']]]);
    drop('Off');
    expect(got).toHaveLength(1);
  });
});
