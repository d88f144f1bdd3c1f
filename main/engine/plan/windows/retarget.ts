// A retarget on a Windows guest: start-node.cmd written again with the new manager settings, the service's
// Description (it names the node and its manager; the Services console shows it) changed in the SYSTEM
// hive the same way a prepare registers the service (download, hivexregedit --merge on the host, upload,
// in the run's one session), a new credentials file if one is given, and install.json. The service's other
// values, the wrapper, the JRE and the node stay as they are.

import { fail } from '../../errors';
import type { InstallRecord, Plan } from '../../types';
import { regText } from '../../quote/reg';
import { baseName, gf, mergeSections, writeFileCommands, type Section } from '../common';
import { SYSTEM_PREFIX } from '../texts/service-reg';
import { mergeIntoSystemHive } from './hive-merge';
import type { RetargetPlanInput } from '../retarget';
import { archivesOfRecord } from '../retarget';
import { present, serviceDescription, startCmdOf, windowsPaths, windowsRecordSection } from './build';


export function buildWindowsRetargetPlan(input: RetargetPlanInput, record: InstallRecord): Plan {
  const { guest, settings } = input;
  const win = guest.windows;
  if (!win) fail('GUEST_NO_BOOT_HOOK', 'the Windows facts of this guest are missing (inspection did not read its registry)', 'This is a bug in Guestprep. Please report it.');
  if (record.init !== 'windows-service' || !record.windowsService) {
    fail('GUEST_UNSUPPORTED_OS', 'the install record of this Windows guest does not describe a Windows service',
      'Check that this is the image Guestprep prepared; if its record is damaged, prepare the image again.');
  }
  if (!win.existingService) {
    fail('GUEST_NOT_PREPARED', `the Windows service ${record.serviceName} that Guestprep registered is no longer in the control set this Windows boots with (${win.currentControlSet})`,
      'Prepare the image again (guestprep prepare): it installs the service anew.');
  }
  const { jre, proactive } = archivesOfRecord(record);
  const { win: w, guest: g } = windowsPaths({ guest, settings, ...(jre ? { jre } : {}), proactive, guestprepVersion: input.guestprepVersion, now: input.now });
  const withCredentials = settings.credentials !== undefined || record.hasCredentials;
  const { text } = startCmdOf({ settings, proactive, guestprepVersion: input.guestprepVersion }, w, withCredentials);

  const creds = settings.credentials;
  const credentials: Section = creds
    ? {
        steps: [{
          id: 'install-credentials',
          title: `Install the credentials ${baseName(creds.hostPath)}`,
          bytes: creds.bytes,
          commands: [gf.upload({ id: 'credentials', kind: 'file', source: creds.hostPath, bytes: creds.bytes }, g.credentials)],
        }],
        expectations: [present(g.credentials, 'file')],
        files: [g.credentials],
        atNextBoot: [],
      }
    : { steps: [], expectations: [], files: [], atNextBoot: [] };

  const key = record.windowsService.key;
  const description = serviceDescription(settings.nodeName, settings.rm.url);
  const reg = regText([{ key: `${SYSTEM_PREFIX}\\${key}`, values: { Description: { type: 'sz', data: description } } }], [
    `Guestprep ${input.guestprepVersion}: the description of the Windows service ${record.serviceName}, which names the node and its manager.`,
  ]);
  const main: Section = {
    steps: [
      { id: 'write-start-cmd', title: 'Write the node start script (start-node.cmd) for the new manager', commands: writeFileCommands(g.startCmd, text) },
      {
        id: 'update-service-description',
        title: `Update the description of the Windows service ${record.serviceName}`,
        commands: mergeIntoSystemHive(win.systemHivePath, reg, 'service.reg'),
      },
    ],
    expectations: [
      present(g.startCmd, 'file', settings.rm.url),
      { kind: 'registry', hivePath: win.systemHivePath, prefix: SYSTEM_PREFIX, key, values: { Description: { type: 'sz', data: description } } },
    ],
    files: [],
    atNextBoot: [],
  };

  const next: InstallRecord = {
    ...record,
    guestprepVersion: input.guestprepVersion,
    updatedAt: input.now,
    rmUrl: settings.rm.url,
    nodeName: settings.nodeName,
    nodeSource: settings.nodeSource,
    hasCredentials: withCredentials,
    files: [...new Set([...record.files, ...credentials.files])],
  };
  if (settings.workers !== undefined) next.workers = settings.workers;
  else delete next.workers;
  const all = mergeSections([credentials, main, windowsRecordSection(g.record, next)]);
  return {
    steps: all.steps,
    expectations: all.expectations,
    requiredBytes: 0,
    atNextBoot: [
      `Windows starts the service ${record.serviceName} as before; the Java runtime and the node in ${record.installDir} are unchanged.`,
      `The node joins ${settings.rm.url} as ${settings.nodeName} (node source ${settings.nodeSource}).`,
    ],
    record: next,
    warnings: [],
  };
}
