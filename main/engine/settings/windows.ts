// Settings rules that only apply to Windows guests. The install directory is a Windows path on the system
// drive (the service, the .cmd and the registry all name it the Windows way; the plan maps it to the
// guest path guestfish sees: C:\ProActive -> /ProActive). The service runs as LocalSystem: Guestprep
// cannot create a Windows account offline, and a named account would need its password in the registry's
// LSA secrets. Every value that ends up in the start .cmd is also checked against cmd.exe's metacharacters.

import { fail } from '../errors';
import { cmdValue } from '../quote/cmd';
import type { NodeSettings } from '../types';

export const WINDOWS_DEFAULT_INSTALL_FOLDER = 'ProActive';
export const WINDOWS_SERVICE_USER = 'LocalSystem';

/** `C:\…` or `C:/…` or `C:`: what a user types for a Windows install directory. */
export function isWindowsPath(p: string | undefined): boolean {
  return p !== undefined && /^[A-Za-z]:/.test(p);
}

/** Windows strips trailing dots and spaces from names and reserves these device names in every folder. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * The install directory on a Windows guest: given (any case, `/` accepted as `\`), or <system drive>:\ProActive.
 * `systemDrive` is the letter WindowsFacts found ('' when unknown: then only the syntax is checked).
 */
export function resolveWindowsInstallDir(given: string | undefined, systemDrive: string): string {
  const drive = (systemDrive || 'C').toUpperCase();
  const raw = given ?? `${drive}:\\${WINDOWS_DEFAULT_INSTALL_FOLDER}`;
  const dir = raw.replace(/\//g, '\\');
  const fix = `Use --install-dir with a folder on the system drive, e.g. ${drive}:\\${WINDOWS_DEFAULT_INSTALL_FOLDER} (letters, digits, spaces, ".", "_", "-").`;
  const bad = (why: string): never => fail('SETTING_INVALID', `the install directory ${JSON.stringify(raw)} ${why}`, fix, { field: 'installDir' });
  const m = /^([A-Za-z]):\\(.*)$/.exec(dir);
  if (!m) bad('is not an absolute Windows path (like C:\\ProActive)');
  const [, letter, rest] = m!;
  if (!/^[A-Za-z0-9 ._\\-]*$/.test(rest)) bad('has characters other than letters, digits, spaces, ".", "_", "-" and "\\"');
  if (rest === '') bad('is the root of a drive');
  if (dir.length > 150) bad('is longer than 150 characters');
  if (rest.endsWith('\\')) bad('ends with "\\" (write it without the trailing backslash)');
  const parts = rest.split('\\');
  if (parts.some((p) => p === '')) bad('has an empty component ("\\\\")');
  if (parts.some((p) => p === '.' || p === '..')) bad('has "." or ".." components');
  if (parts.some((p) => /[. ]$/.test(p) || /^ /.test(p))) bad('has a component that starts with a space or ends with a space or a dot (Windows would change its name)');
  if (parts.some((p) => RESERVED.test(p))) bad('has a component that is a reserved Windows device name');
  if (/^windows$/i.test(parts[0])) bad('is inside the Windows folder');
  if (systemDrive && letter.toUpperCase() !== drive) bad(`is not on the system drive ${drive}: (Guestprep writes only to the system volume)`);
  return `${letter.toUpperCase()}:\\${parts.join('\\')}`;
}

/** C:\ProActive\node -> /ProActive/node: the path guestfish uses on the mounted system volume. */
export function windowsGuestPath(winPath: string): string {
  const m = /^[A-Za-z]:\\?(.*)$/.exec(winPath);
  if (!m) fail('INTERNAL', `not a Windows path: ${JSON.stringify(winPath)}`, 'This is a bug in Guestprep. Please report it.');
  return '/' + m[1].split('\\').filter(Boolean).join('/');
}

export function resolveWindowsServiceUser(given: string | undefined): string {
  if (given === undefined || given.toLowerCase() === WINDOWS_SERVICE_USER.toLowerCase()) return WINDOWS_SERVICE_USER;
  return fail('SETTING_INVALID', `on Windows guests the service runs as LocalSystem, not ${JSON.stringify(given)}`,
    'Leave out --service-user (Guestprep cannot create a Windows account or store its password offline). To run the node as another account, change the service\'s "Log On" in services.msc after the first boot.', { field: 'serviceUser' });
}

/** Everything the start .cmd will contain, checked for cmd.exe before any plan is built. */
export function checkWindowsCmdValues(s: Pick<NodeSettings, 'rm' | 'nodeName' | 'nodeSource' | 'jvmOptions'>): void {
  cmdValue(s.rm.url, 'the Resource Manager URL (--rm-url)', 'Use a plain URL like pnp://rm.example.org:64738');
  cmdValue(s.nodeName, 'the node name (--node-name)', 'Use --node-name with letters, digits, dots, dashes or underscores');
  cmdValue(s.nodeSource, 'the node source (--node-source)', 'Use --node-source with letters, digits, dots, dashes or underscores');
  for (const o of s.jvmOptions) cmdValue(o, `the JVM option ${JSON.stringify(o)} (--jvm-option)`, 'Give JVM options without these characters, or set them in the node\'s config files after the first boot');
}
