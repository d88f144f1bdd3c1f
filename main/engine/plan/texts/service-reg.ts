// The service's registry entries, as a .reg text merged into the guest's SYSTEM hive (hivexregedit, on the
// host, inside the run's one appliance session) and kept next to a dry-run script for the manual route
// (`virt-win-reg --merge`). The keys name the control set this Windows boots with (ControlSetNNN): offline
// there is no CurrentControlSet link, and virt-win-reg does not map it.
//
// Values follow what the SCM needs for an auto-start own-process service running as LocalSystem, plus
// the Parameters our wrapper reads (resources/windows/service-wrapper/README.md).

import type { RegistryValue } from '../../types';
import { regText, type RegKeyBlock } from '../../quote/reg';

export const SYSTEM_PREFIX = 'HKEY_LOCAL_MACHINE\\SYSTEM';

export interface ServiceRegInput {
  guestprepVersion: string;
  controlSet: string;
  serviceName: string;
  displayName: string;
  description: string;
  /** Windows path of guestprep-service.exe. */
  wrapperPath: string;
  /** Windows path of start-node.cmd. */
  startCmdPath: string;
  workingDirectory: string;
  logFile: string;
  /** Services keys to delete first (an earlier Guestprep service, so no stale value survives). */
  replace: string[];
}

export interface ServiceRegistry {
  /** Key paths under the SYSTEM hive (without the prefix), with every value written there. */
  keys: Array<{ key: string; values: Record<string, RegistryValue> }>;
  text: string;
}

const SERVICE_WIN32_OWN_PROCESS = 0x10;
const SERVICE_AUTO_START = 2;
const SERVICE_ERROR_NORMAL = 1;

export function serviceRegistry(i: ServiceRegInput): ServiceRegistry {
  const svcKey = `${i.controlSet}\\Services\\${i.serviceName}`;
  const service: Record<string, RegistryValue> = {
    Type: { type: 'dword', data: SERVICE_WIN32_OWN_PROCESS },
    Start: { type: 'dword', data: SERVICE_AUTO_START },
    ErrorControl: { type: 'dword', data: SERVICE_ERROR_NORMAL },
    // Quoted: an unquoted ImagePath with spaces is the classic "unquoted service path" hole.
    ImagePath: { type: 'expand_sz', data: `"${i.wrapperPath}"` },
    DisplayName: { type: 'sz', data: i.displayName },
    Description: { type: 'sz', data: i.description },
    ObjectName: { type: 'sz', data: 'LocalSystem' },
  };
  const parameters: Record<string, RegistryValue> = {
    // cmd /c strips the outer pair of quotes, so the doubled quotes leave the path quoted.
    CommandLine: { type: 'expand_sz', data: `"%SystemRoot%\\System32\\cmd.exe" /c ""${i.startCmdPath}""` },
    WorkingDirectory: { type: 'sz', data: i.workingDirectory },
    LogFile: { type: 'sz', data: i.logFile },
  };
  const keys = [
    { key: svcKey, values: service },
    { key: `${svcKey}\\Parameters`, values: parameters },
  ];
  const blocks: RegKeyBlock[] = [
    ...i.replace.map((k) => ({ key: `${SYSTEM_PREFIX}\\${k}`, remove: true })),
    ...keys.map((k) => ({ key: `${SYSTEM_PREFIX}\\${k.key}`, values: k.values })),
  ];
  const text = regText(blocks, [
    `Guestprep ${i.guestprepVersion}: the Windows service ${i.serviceName} that starts the ProActive node at boot.`,
    `${i.controlSet} is the control set this Windows boots with (SYSTEM\\Select\\Current).`,
  ]);
  return { keys, text };
}
