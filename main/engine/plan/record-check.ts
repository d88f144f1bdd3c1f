// install.json is read from the guest: whoever had the image could have changed it. Before a retarget
// writes files named after it, or a removal deletes what it lists, its fields must be what Guestprep itself
// would have written: the same rules as the settings it was made from, and paths only where an install
// puts them. A record that breaks them is refused as damaged; a listed path outside those places is left
// alone (and said so), never deleted.

import { fail } from '../errors';
import type { GuestFacts, InstallRecord } from '../types';
import { resolveInstallDir } from '../settings/install-dir';
import { resolveServiceName, resolveServiceUser } from '../settings/names';
import { isWindowsPath, resolveWindowsInstallDir, windowsGuestPath } from '../settings/windows';
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

const clean = (p: string) => p.startsWith('/') && !p.split('/').some((c) => c === '..' || c === '.') && !/[\r\n]/.test(p);

/**
 * Whether a path the record lists is one an install of this record creates: inside the install folder, or
 * the boot service's own files under /etc (named after the service), the folders the flavour or the install
 * folder's parents need, or the rc.local inspection found.
 */
export function recordedPathAllowed(record: InstallRecord, guest: GuestFacts, p: string): boolean {
  if (!clean(p)) return false;
  const dir = record.init === 'windows-service' ? windowsGuestPath(record.installDir) : record.installDir;
  if (p === dir || p.startsWith(`${dir}/`)) return true;
  if (selfAndParentsOf(dir).includes(p)) return true;
  if (record.init === 'windows-service') return false;
  if (FLAVOURS[record.init].createsDirs.includes(p)) return true;
  if (p === guest.linux?.rcLocalPath || p === '/etc/rc.local' || p === '/etc/rc.d/rc.local') return true;
  const base = p.slice(p.lastIndexOf('/') + 1);
  return p.startsWith('/etc/') && base.includes(record.serviceName);
}
