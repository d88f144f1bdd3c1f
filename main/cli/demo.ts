// `guestprep demo`: the main job on an embedded default. Builds a small sample guest (a Debian-like disk,
// not bootable, made in seconds) and sample JRE and ProActive archives (same layout as the real ones, with
// start scripts that record how they were called — the real ProActive is not downloadable here), then
// prepares the guest exactly like a user's image, and returns the report.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSampleGuest } from '../sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../sample/archives';
import { prepare, PrepareReport } from '../engine/api';
import type { RunEvent } from '../engine/api';

export async function runDemo(opts: { dir?: string; onEvent?: (e: RunEvent) => void; log?: (s: string) => void }): Promise<PrepareReport> {
  const root = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'guestprep-demo-'));
  try {
    const vmDir = join(root, 'VirtualBox VMs', 'Sample node (1)');
    mkdirSync(vmDir, { recursive: true });
    opts.log?.(`Building a sample guest and sample archives in ${root}...\n`);
    const [image, jre, proactive] = await Promise.all([
      buildSampleGuest(vmDir, { flavour: 'systemd', hostname: 'sample-node', format: 'vdi', sizeMb: 96 }),
      makeSampleJre(root, { version: '17.0.9', os: 'linux', arch: 'x86_64', kind: 'tar.gz' }),
      makeSampleProactive(root, { generation: 'modern', version: '13.0.0', kind: 'zip' }),
    ]);
    opts.log?.(`Preparing ${image}...\n`);
    return await prepare(
      { image, jre, proactive, settings: { rmUrl: 'pnp://rm.example.org:64738', nodeSource: 'Default' } },
      { onEvent: opts.onEvent },
    );
  } finally {
    if (!opts.dir) rmSync(root, { recursive: true, force: true });
  }
}
