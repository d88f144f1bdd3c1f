// `guestprep inspect`: the container file from its header, then the guest in one read-only appliance launch.

import { precheckImage } from '../image/precheck';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import { inspectGuest } from '../inspect/guest';
import type { GuestFacts, ImageFileInfo, RunEvent } from '../types';
import { DEFAULT_INSTALL_DIR } from './defaults';

export interface InspectReport {
  image: ImageFileInfo;
  guest: GuestFacts;
  hypervisor?: string;
  launches: number;
  notices: string[];
  timings: { launchMs: number; inspectMs: number; totalMs: number };
}

export async function inspectImage(
  path: string,
  opts: { installDir?: string; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {},
): Promise<InspectReport> {
  const t0 = Date.now();
  const image = await precheckImage(path);
  const stats = newLaunchStats();
  const notices: string[] = [];
  opts.onEvent?.({ type: 'phase', phase: 'launch', message: 'Starting the libguestfs appliance (read-only)' });
  const s = await launchAppliance({
    drives: [{ path: image.path, format: image.format }],
    readonly: true,
    stats,
    signal: opts.signal,
    onLine: (line) => opts.onEvent?.({ type: 'log', level: 'debug', message: line }),
    onNotice: (m) => {
      notices.push(m);
      opts.onEvent?.({ type: 'log', level: 'warn', message: m });
    },
  });
  try {
    opts.onEvent?.({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest' });
    const ti = Date.now();
    const guest = await inspectGuest(s, { installDir: opts.installDir ?? DEFAULT_INSTALL_DIR, readonly: true });
    const inspectMs = Date.now() - ti;
    await s.close();
    return { image, guest, hypervisor: stats.hypervisor, launches: stats.launches, notices, timings: { launchMs: stats.launchMs, inspectMs, totalMs: Date.now() - t0 } };
  } finally {
    s.kill();
    await s.waitExit();
  }
}
