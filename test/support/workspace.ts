// What the run integration tests share: a temporary folder (named with spaces and parentheses, as
// VirtualBox's own are) holding Guestprep's state folder, a small JRE and ProActive node, and sample guests
// built on demand in `VirtualBox VMs/<name>/`.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest, type SampleFlavour } from '../../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';

export interface Workspace {
  root: string;
  /** GUESTPREP_STATE_DIR while the workspace is open. */
  stateDir: string;
  /** A Java 17 JRE .tar.gz and a modern ProActive node .zip, 1 MB of filler each. */
  jre: string;
  proactive: string;
  /** A sample Linux guest as a VDI (96 MB unless told). */
  guest(name: string, opts?: { flavour?: SampleFlavour; hostname?: string; sizeMb?: number }): Promise<string>;
  /** Restores GUESTPREP_STATE_DIR and deletes everything. */
  close(): void;
}

export async function openWorkspace(label: string): Promise<Workspace> {
  const root = mkdtempSync(join(tmpdir(), `gp ${label} (int) `));
  const stateDir = join(root, 'state');
  const saved = process.env.GUESTPREP_STATE_DIR;
  process.env.GUESTPREP_STATE_DIR = stateDir;
  const [jre, proactive] = await Promise.all([
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 1024 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 1024 * 1024 }),
  ]);
  return {
    root,
    stateDir,
    jre,
    proactive,
    async guest(name, opts = {}) {
      const dir = join(root, 'VirtualBox VMs', name);
      mkdirSync(dir, { recursive: true });
      return buildSampleGuest(dir, { flavour: opts.flavour ?? 'systemd', hostname: opts.hostname ?? name.toLowerCase(), format: 'vdi', sizeMb: opts.sizeMb ?? 96 });
    },
    close() {
      if (saved === undefined) delete process.env.GUESTPREP_STATE_DIR;
      else process.env.GUESTPREP_STATE_DIR = saved;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
