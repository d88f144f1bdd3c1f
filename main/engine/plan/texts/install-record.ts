// install.json: what Guestprep left in the guest, for verification, updates and removal.

import type { InstallRecord } from '../../types';

export function installRecordText(record: InstallRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}
