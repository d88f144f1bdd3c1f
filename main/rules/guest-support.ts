// Whether the engine can prepare an inspected guest, and what the Guest step says about it: its boot
// target (systemd, sysvinit, rc.local, or a Windows service) and the facts that matter for it. The engine
// announces what it supports (engine/capabilities.ts); this rule reads a guest against that announcement,
// so the page holds no list of its own.

import type { ArchiveKind, GuestFacts, ImageFormat } from '../engine/types';
import { bad, ok, type Verdict } from './verdict';
import { formatBytes } from './units';

export type BootTargetName = 'systemd' | 'sysvinit' | 'rclocal' | 'windows-service';

export interface EngineCapabilities {
  /** The Guestprep version of the engine (the page and the engine may come from different builds). */
  version: string;
  guestOses: string[];
  bootTargets: BootTargetName[];
  imageFormats: ImageFormat[];
  archiveKinds: ArchiveKind[];
}

/** The boot target a guest gets, from what inspection found; undefined when it has none. */
export function bootTargetOf(g: Pick<GuestFacts, 'osType' | 'linux' | 'windows'>): BootTargetName | undefined {
  if (g.osType === 'windows') return g.windows ? 'windows-service' : undefined;
  return g.linux?.init;
}

const TARGET_LABEL: Record<BootTargetName, string> = {
  systemd: 'systemd (a service unit)',
  sysvinit: 'sysvinit (an init script with runlevel links)',
  rclocal: 'rc.local (a line that starts the node)',
  'windows-service': 'a Windows service',
};

/** Whether this engine prepares the guest: its OS and its boot target must be among those it announces. */
export function guestSupport(g: Pick<GuestFacts, 'osType' | 'linux' | 'windows'>, caps: EngineCapabilities): Verdict<BootTargetName> {
  if (!caps.guestOses.includes(g.osType)) {
    return bad(`The guest runs ${g.osType || 'an unknown OS'}; this Guestprep prepares ${caps.guestOses.join(' and ')} guests.`, 'Choose the disk of a Linux or Windows VM.');
  }
  const target = bootTargetOf(g);
  if (!target) {
    return bad(g.osType === 'windows'
      ? 'No Windows system hive was found, so no service can be registered.'
      : 'No way to start a service at boot was found (no systemd, sysvinit or rc.local).',
    'Choose the disk that holds the VM\'s operating system.');
  }
  if (!caps.bootTargets.includes(target)) return bad(`The guest boots with ${TARGET_LABEL[target]}, which this Guestprep does not install.`, 'Update Guestprep.');
  return ok(target);
}

/** The facts the Guest step shows, per OS: Windows guests have a system drive and a control set, not an init system. */
export function guestFactRows(g: GuestFacts): Array<[string, string]> {
  const target = bootTargetOf(g);
  const common: Array<[string, string]> = [['Architecture', g.arch], ['Hostname', g.hostname || '(none)']];
  if (g.osType === 'windows' && g.windows) {
    const w = g.windows;
    return [
      ['Operating system', `${w.productName || g.productName || 'Windows'} (windows)`],
      ['Version', `${w.majorVersion}.${w.minorVersion}${w.productVariant ? ` (${w.productVariant})` : ''}`],
      ...common,
      ['Boot target', target ? TARGET_LABEL[target] : 'none found'],
      ['System drive', w.systemDrive ? `${w.systemDrive}: (${w.systemRoot.replace(/\//g, '\\')})` : `(no drive letter) ${w.systemRoot}`],
      ['Control set', `${w.currentControlSet}${w.controlSetNote ? ` (${w.controlSetNote})` : ''}`],
      ['Free space', `${formatBytes(g.freeBytes)} on ${g.freeBytesMountpoint}`],
      ['Existing Guestprep service', w.existingService ? w.existingService.name : 'none'],
    ];
  }
  return [
    ['Operating system', `${g.productName || g.distro} (${g.osType})`],
    ['Distribution', `${g.distro} ${g.majorVersion}.${g.minorVersion}`],
    ...common,
    ['Boot target', target ? `${TARGET_LABEL[target]}${g.linux?.sysvLayout ? `, ${g.linux.sysvLayout} layout` : ''}` : 'none found'],
    ['Free space', `${formatBytes(g.freeBytes)} on ${g.freeBytesMountpoint}`],
  ];
}
