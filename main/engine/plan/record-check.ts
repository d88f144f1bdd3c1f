// install.json is read from the guest: whoever had the image could have changed it. Before a retarget
// writes files named after it, or a removal deletes what it lists, its fields must be what Guestprep itself
// would have written: the same rules as the settings it was made from, and paths only where an install
// puts them, by exact name (allowedRecordPaths). A record that breaks them is refused as damaged; a path
// anywhere else makes `remove` refuse the whole record (nothing is deleted), and an update skip it.

import { fail } from '../errors';
import type { GuestFacts, InstallRecord } from '../types';
import { resolveInstallDir } from '../settings/install-dir';
import { resolveServiceName, resolveServiceUser } from '../settings/names';
import { isWindowsPath, resolveWindowsInstallDir, windowsGuestPath } from '../settings/windows';
import { installLayout } from './common';
import { windowsGuestLayout } from './windows/build';
import { FLAVOURS } from './flavours/registry';
import { selfAndParentsOf } from './paths';

function damaged(path: string, why: string): never {
  return fail('GUEST_NOT_PREPARED', `The Guestprep install record ${path} is damaged or was not written by Guestprep: ${why}.`,
    'Remove or change the node by hand (the install folder and the boot service), or prepare the image again, which writes a new record.');
}

/** Refuses a record whose install folder, service or user Guestprep would never have written. */
export function checkInstallRecord(guest: GuestFacts): InstallRecord {
  const existing = guest.existing;
  if (!existing) return fail('INTERNAL', 'no install record to check', 'This is a bug in Guestprep. Please report it.');
  const { record, path } = existing;
  const str = (v: unknown) => typeof v === 'string';
  if (!Array.isArray(record.files) || !record.files.every(str) || !str(record.installDir) || !str(record.serviceName) || !str(record.serviceUser)) {
    damaged(path, 'it does not list what was installed');
  }
  const windows = record.init === 'windows-service';
  if (!windows && !(record.init in FLAVOURS)) damaged(path, `unknown boot service kind ${JSON.stringify(record.init)}`);
  try {
    if (windows) {
      if (!isWindowsPath(record.installDir)) throw new Error('not a Windows path');
      resolveWindowsInstallDir(record.installDir, guest.windows?.systemDrive ?? '');
    } else {
      resolveInstallDir(record.installDir);
      resolveServiceUser(record.serviceUser);
    }
    resolveServiceName(record.serviceName);
  } catch (err) {
    damaged(path, `its install folder, service or user is not one Guestprep accepts (${(err as Error).message})`);
  }
  if (windows && record.windowsService && !new RegExp(`^ControlSet\\d{3}\\\\Services\\\\${record.serviceName}$`).test(record.windowsService.key)) {
    damaged(path, `the service key ${JSON.stringify(record.windowsService.key)} is not the service's`);
  }
  return record;
}

/**
 * Every path an install of this record can list, by exact name: the install folder's fixed layout, the
 * boot service's own files and links (from the same helpers the flavour builds them with), rc.local; and
 * the folders it may have had to create (the install folder's parents, the flavour's folders). A path is
 * compared as a string: `/etc/systemd/system/s.service.d/../../../shadow` is not `/etc/shadow`'s alias
 * here, it is simply not in the set.
 */
export function allowedRecordPaths(record: InstallRecord, guest: GuestFacts): { files: Set<string>; dirs: Set<string> } {
  const parents = selfAndParentsOf(record.init === 'windows-service' ? windowsGuestPath(record.installDir) : record.installDir);
  if (record.init === 'windows-service') {
    const l = windowsGuestLayout(record.installDir);
    return { files: new Set([l.dir, l.jre, l.node, l.logs, l.guestprep, l.startCmd, l.credentials, l.wrapper, l.record]), dirs: new Set(parents) };
  }
  const l = installLayout(record.installDir);
  // An unchecked record (an update reads the earlier one) may name no known flavour: then its files only.
  const flavour = Object.hasOwn(FLAVOURS, record.init) ? FLAVOURS[record.init] : undefined;
  const rcLocal = [guest.linux?.rcLocalPath, '/etc/rc.local', '/etc/rc.d/rc.local'].filter((p): p is string => !!p);
  return {
    files: new Set([l.dir, l.jre, l.node, l.logs, l.guestprep, l.launcher, l.record, l.credentials, ...(flavour?.ownFiles(record.serviceName, record.installDir) ?? []), ...rcLocal]),
    dirs: new Set([...parents, ...(flavour?.createsDirs ?? [])]),
  };
}

/**
 * Refuses a record (already checked by checkInstallRecord) that lists any path an install of it cannot
 * have made: deleting what such a record lists would delete what whoever changed it chose (/etc/shadow).
 * The whole record is refused, nothing is removed: a record changed once cannot be trusted for the rest.
 */
export function checkRecordedPaths(record: InstallRecord, guest: GuestFacts, path: string): void {
  const allowed = allowedRecordPaths(record, guest);
  const listed: Array<[string, unknown, Set<string>]> = [
    ...record.files.map((p): [string, unknown, Set<string>] => ['files', p, allowed.files]),
    ...(record.createdDirs ?? []).map((p): [string, unknown, Set<string>] => ['createdDirs', p, allowed.dirs]),
    ...(record.rcLocal ? [['rcLocal', record.rcLocal.path, allowed.files] as [string, unknown, Set<string>]] : []),
  ];
  if (record.createdDirs !== undefined && !Array.isArray(record.createdDirs)) damaged(path, 'its createdDirs is not a list');
  for (const [field, p, set] of listed) {
    if (typeof p !== 'string' || !set.has(p)) {
      damaged(path, `it lists ${JSON.stringify(p)} (in ${field}), which is not a path Guestprep creates for the service ${record.serviceName} in ${record.installDir}; nothing was removed`);
    }
  }
}

/** Whether a path a record lists is one an install of it creates (for updates, which skip the others). */
export function recordedPathAllowed(record: InstallRecord, guest: GuestFacts, p: string): boolean {
  const allowed = allowedRecordPaths(record, guest);
  return allowed.files.has(p) || allowed.dirs.has(p);
}
