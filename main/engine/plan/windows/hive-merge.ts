// Every change Guestprep makes to a Windows registry goes the same way, inside the run's one appliance:
// the SYSTEM hive is downloaded into the run's private folder, the .reg text is merged into it on the host
// with hivexregedit (guestfish's hivex commands cannot write the NUL bytes REG_SZ values need), and the
// hive is uploaded back. Prepare (register the service), retarget (its description) and remove (delete
// its key) differ only in the .reg text.

import type { GfCommand, UploadRef } from '../../types';
import { SYSTEM_PREFIX } from '../texts/service-reg';

/** The commands that merge `regText` (a whole .reg file, keys under SYSTEM_PREFIX) into the SYSTEM hive. */
export function mergeIntoSystemHive(systemHivePath: string, regText: string, regFileName: string): GfCommand[] {
  const hive: UploadRef = { id: 'system-hive', kind: 'scratch', source: '', bytes: 0, fileName: 'SYSTEM.hive' };
  const reg: UploadRef = { id: 'service-reg', kind: 'content', source: '', bytes: 0, content: regText, fileName: regFileName };
  return [
    { argv: ['download', systemHivePath, { upload: hive }] },
    { local: true, argv: ['hivexregedit', '--merge', '--prefix', SYSTEM_PREFIX, { upload: hive }, { upload: reg }] },
    { argv: ['upload', { upload: hive }, systemHivePath] },
  ];
}
