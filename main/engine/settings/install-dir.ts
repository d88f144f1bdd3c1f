// Where Guestprep installs in the guest. Only under /opt or /usr/local, where local software belongs and
// nothing of the distribution lives, and only with plain characters: the path is written into unit
// files, shell scripts and rc.local without any quoting surprises.

import { fail } from '../errors';

export const DEFAULT_INSTALL_DIR = '/opt/proactive';

/** Standard sub-directories of /usr/local: installing *as* one of them would mix our jre/ and node/ in. */
const USR_LOCAL_STANDARD = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libexec', 'share', 'etc', 'include', 'src', 'man', 'games']);

const FIX = 'Use --install-dir with an absolute path under /opt/ or /usr/local/, e.g. /opt/proactive.';

export function resolveInstallDir(given: string | undefined): string {
  const dir = given ?? DEFAULT_INSTALL_DIR;
  const bad = (why: string): never => fail('SETTING_INVALID', `the install directory ${JSON.stringify(dir)} ${why}`, FIX, { field: 'installDir' });

  if (!dir.startsWith('/')) bad('is not an absolute path');
  if (!/^[A-Za-z0-9._/-]+$/.test(dir)) bad('has characters other than letters, digits, ".", "_", "-" and "/"');
  if (dir.length > 200) bad('is longer than 200 characters');
  if (dir === '/') bad('is not inside /opt/ or /usr/local/');
  if (dir.endsWith('/')) bad('ends with "/" (write it without the trailing slash)');
  const parts = dir.split('/').slice(1);
  if (parts.some((p) => p === '')) bad('has an empty component ("//")');
  if (parts.some((p) => p === '.' || p === '..')) bad('has "." or ".." components');
  if (parts.some((p) => p.startsWith('-'))) bad('has a component starting with "-"');

  const underOpt = parts[0] === 'opt' && parts.length >= 2;
  const underUsrLocal = parts[0] === 'usr' && parts[1] === 'local' && parts.length >= 3;
  if (!underOpt && !underUsrLocal) bad('is not inside /opt/ or /usr/local/');
  if (underUsrLocal && parts.length === 3 && USR_LOCAL_STANDARD.has(parts[2])) bad('is a standard directory of /usr/local');
  return dir;
}
