// From what the user typed (SettingsInput) and what we know about the guest and the archives, to the
// settings a plan is built from (NodeSettings), or a SETTING_INVALID error that says what to type instead.

import { fail } from '../errors';
import type { GuestFacts, JreInfo, NodeSettings, ProactiveInfo, SettingsInput } from '../types';
import { parseSettingsInput } from './input-schema';
import { resolveInstallDir } from './install-dir';
import { DEFAULT_INSTALL_DIR, DEFAULT_SERVICE_USER } from '../run/defaults';
import { validateJvmOptions, withJava17Workaround } from './jvm-options';
import { resolveNodeName, resolveNodeSource, resolveServiceName, resolveServiceUser } from './names';
import { parseRmUrl } from './rm-url';
import { chooseJava } from './runtime';
import { resolveWorkers } from './workers';
import { checkWindowsCmdValues, isWindowsPath, resolveWindowsInstallDir, resolveWindowsServiceUser, WINDOWS_SERVICE_USER } from './windows';

export const MAX_CREDENTIALS_BYTES = 64 * 1024;

export interface ValidateContext {
  guest: GuestFacts;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  /** The credentials file as read by the caller (it does the I/O; this module stays pure). */
  credentials?: { hostPath: string; bytes: number };
}

function resolveCredentials(input: SettingsInput, ctx: ValidateContext): NodeSettings['credentials'] {
  if (input.credentialsFile === undefined && !ctx.credentials) return undefined;
  if (!ctx.credentials) {
    fail('CREDENTIALS_UNREADABLE', `could not read the credentials file ${input.credentialsFile}`,
      'Check that the file given with --credentials exists and is readable.', { field: 'credentialsFile' });
  }
  const { hostPath, bytes } = ctx.credentials;
  if (bytes === 0) {
    fail('SETTING_INVALID', `the credentials file ${hostPath} is empty`,
      'Create the credentials with the server\'s create-cred tool (proactive-create-cred) and give that file with --credentials.', { field: 'credentialsFile' });
  }
  if (bytes > MAX_CREDENTIALS_BYTES) {
    fail('SETTING_INVALID', `the credentials file ${hostPath} is ${bytes} bytes; credentials files are much smaller (at most 64 KiB)`,
      'Check that --credentials names the .cred file made by create-cred, not another file.', { field: 'credentialsFile' });
  }
  return { hostPath, bytes };
}

/**
 * An earlier Guestprep install is updated in place: its directory, service and user are the defaults,
 * and different explicit values are refused (they would leave a second, stale service behind).
 */
function existingDefaults(input: SettingsInput, guest: GuestFacts): Pick<SettingsInput, 'installDir' | 'serviceName' | 'serviceUser'> {
  const rec = guest.existing?.record;
  if (!rec) return { installDir: input.installDir, serviceName: input.serviceName, serviceUser: input.serviceUser };
  const clash = (flag: string, given: string | undefined, had: string, field: string) => {
    const same = given !== undefined && (isWindowsPath(had) ? given.replace(/\//g, '\\').toLowerCase() === had.toLowerCase() : given === had);
    if (given !== undefined && !same) {
      fail('SETTING_INVALID',
        `this image already has a Guestprep install (${rec.installDir}, service ${rec.serviceName}, user ${rec.serviceUser}) and ${flag} ${given} differs from it`,
        `Leave out ${flag} to update the existing install in place (or use ${flag} ${had}), or start again from a copy of the image without it.`, { field });
    }
  };
  clash('--install-dir', input.installDir, rec.installDir, 'installDir');
  clash('--service-name', input.serviceName, rec.serviceName, 'serviceName');
  clash('--service-user', input.serviceUser, rec.serviceUser, 'serviceUser');
  return { installDir: rec.installDir, serviceName: rec.serviceName, serviceUser: rec.serviceUser };
}

export function validateSettings(rawInput: SettingsInput, ctx: ValidateContext): { settings: NodeSettings; warnings: string[] } {
  const { proactive, guest } = ctx;
  const windows = guest.osType === 'windows';
  const parsed = parseSettingsInput(rawInput);
  // Adapters (the CLI's option defaults, app forms) fill in the Linux defaults before the guest is known.
  // On a Windows guest those mean "the default", which is the Windows one.
  const input: SettingsInput = windows
    ? {
        ...parsed,
        installDir: parsed.installDir === DEFAULT_INSTALL_DIR ? undefined : parsed.installDir,
        serviceUser: parsed.serviceUser === DEFAULT_SERVICE_USER ? undefined : parsed.serviceUser,
      }
    : parsed;
  const warnings: string[] = [];

  const rm = parseRmUrl(input.rmUrl);
  const node = resolveNodeName(input.nodeName, guest.hostname);
  warnings.push(...node.warnings);
  const nodeSource = resolveNodeSource(input.nodeSource);
  const workers = resolveWorkers(input.workers, proactive.generation);
  const credentials = resolveCredentials(input, ctx);

  const java = chooseJava(guest.arch, proactive, ctx.jre, windows ? 'windows' : 'linux');
  warnings.push(...java.warnings);
  const jvmOptions = withJava17Workaround(validateJvmOptions(input.jvmOptions), java.major, proactive.generation, input.ignoreUnrecognizedVmOptions);

  if (rm.protocol === 'pamr' && rm.note && !jvmOptions.some((o) => o.startsWith('-Dproactive.pamr.router.address='))) {
    warnings.push(rm.note);
  }

  const placed = existingDefaults(input, guest);
  let installDir: string;
  const serviceName = resolveServiceName(placed.serviceName);
  let user: { serviceUser: string; warnings: string[] };
  if (windows) {
    installDir = resolveWindowsInstallDir(placed.installDir, guest.windows?.systemDrive ?? '');
    user = { serviceUser: resolveWindowsServiceUser(placed.serviceUser), warnings: [] };
    checkWindowsCmdValues({ rm, nodeName: node.nodeName, nodeSource, jvmOptions });
  } else {
    if (isWindowsPath(placed.installDir)) {
      fail('SETTING_INVALID', `the install directory ${JSON.stringify(placed.installDir)} is a Windows path, and the guest runs Linux`,
        'Leave out --install-dir, or give a Linux path under /opt/ or /usr/local/, e.g. /opt/proactive.');
    }
    installDir = resolveInstallDir(placed.installDir);
    user = resolveServiceUser(placed.serviceUser);
  }
  warnings.push(...user.warnings);

  const settings: NodeSettings = {
    rm,
    nodeName: node.nodeName,
    nodeSource,
    jvmOptions,
    installDir,
    serviceName,
    serviceUser: user.serviceUser,
  };
  if (workers !== undefined) settings.workers = workers;
  if (credentials) settings.credentials = credentials;
  return { settings, warnings };
}

/**
 * The checks that need neither the guest nor an appliance, run before any launch so a typo in a URL or
 * a name costs milliseconds, not an appliance boot. validateSettings repeats them with the guest's facts.
 */
export function checkSettingsEarly(rawInput: SettingsInput, proactive?: ProactiveInfo): void {
  const input = parseSettingsInput(rawInput);
  parseRmUrl(input.rmUrl);
  if (input.nodeName !== undefined) resolveNodeName(input.nodeName, '');
  resolveNodeSource(input.nodeSource);
  if (proactive) resolveWorkers(input.workers, proactive.generation);
  validateJvmOptions(input.jvmOptions);
  // The guest's OS is not known yet: a Windows-looking directory gets the Windows rules (without the
  // drive check), and LocalSystem passes (validateSettings refuses each on the wrong OS).
  if (isWindowsPath(input.installDir)) resolveWindowsInstallDir(input.installDir, '');
  else resolveInstallDir(input.installDir);
  resolveServiceName(input.serviceName);
  if (input.serviceUser !== WINDOWS_SERVICE_USER) resolveServiceUser(input.serviceUser);
}
