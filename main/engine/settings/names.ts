// Names: the node, its node source, the boot service and the user it runs as.
// The character sets are deliberately small: these names end up in file names, unit files, shell scripts
// and ProActive URLs, and a name that needs quoting anywhere is a name that breaks somewhere.

import { fail } from '../errors';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

const show = (s: string) => JSON.stringify(s);

/**
 * What is wrong with a node or node-source name, in words (the fix then says what is allowed). Names
 * are identifiers: anything that would need quoting in a unit file, a script or a URL is refused.
 */
export function whyBadNodeName(name: string): string {
  if (name === '') return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long (at most 63)`;
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad === undefined) return `it starts with ${show(name[0])}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(bad)) return 'it contains a line break or another control character';
  if (/\s/.test(bad)) return 'it contains a space';
  if (/[^\x20-\x7e]/.test(bad)) return `it contains ${show(bad)}, which is not a plain ASCII character`;
  return `it contains ${show(bad)}`;
}

/** The node name: given, or the guest's short hostname. */
export function resolveNodeName(given: string | undefined, guestHostname: string): { nodeName: string; warnings: string[] } {
  if (given !== undefined) {
    if (!NODE_NAME.test(given)) {
      fail('SETTING_INVALID', `the node name ${show(given)} is not valid: ${whyBadNodeName(given)}`,
        'Use --node-name NAME with 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit.');
    }
    return { nodeName: given, warnings: [] };
  }
  const short = guestHostname.trim().split('.')[0];
  if (!NODE_NAME.test(short)) {
    fail('SETTING_INVALID', `the guest's hostname ${show(guestHostname)} cannot be used as the node name`,
      'Use --node-name NAME (letters, digits, dots, dashes, underscores).');
  }
  const warnings = /^localhost$/i.test(short)
    ? [`the node will be named ${show(short)} after the guest's hostname; use --node-name NAME for a name you can recognise in the Resource Manager`]
    : [];
  return { nodeName: short, warnings };
}

export function resolveNodeSource(given: string | undefined): string {
  const source = given ?? 'Default';
  if (!NODE_NAME.test(source)) {
    fail('SETTING_INVALID', `the node source ${show(source)} is not valid: ${whyBadNodeName(source)}`,
      'Use --node-source NAME with letters, digits, dots, dashes or underscores (the source must already exist in the Resource Manager; "Default" always does).');
  }
  return source;
}

/**
 * Names of services that guests commonly have already. Installing over one of them would replace a
 * system service, so they are refused (the list is not exhaustive; it catches the likely mistakes).
 */
const TAKEN_SERVICE_NAMES = new Set([
  'ssh', 'sshd', 'networking', 'network', 'cron', 'crond', 'rsyslog', 'syslog', 'udev', 'dbus', 'getty',
  'rc', 'rcs', 'halt', 'reboot', 'single', 'sendsigs', 'killprocs', 'bootmisc', 'mountall', 'hostname',
  'procps', 'kmod', 'ntp', 'chrony', 'chronyd', 'docker', 'containerd', 'nginx', 'httpd', 'apache2',
  'mysql', 'postgresql', 'firewalld', 'iptables', 'auditd', 'tuned', 'sysstat', 'atd', 'anacron',
]);

export function resolveServiceName(given: string | undefined): string {
  const name = given ?? 'proactive-node';
  if (!SERVICE_NAME.test(name)) {
    fail('SETTING_INVALID', `the service name ${show(name)} is not valid`,
      'Use --service-name NAME with 1 to 32 lower-case letters, digits or dashes, starting with a letter.');
  }
  if (TAKEN_SERVICE_NAMES.has(name) || name.startsWith('systemd-')) {
    fail('SETTING_INVALID', `the service name ${show(name)} belongs to a system service`,
      'Use --service-name NAME with a name of its own, e.g. proactive-node.');
  }
  return name;
}

/** The user the node runs as: a dedicated system user unless root is asked for explicitly. */
export function resolveServiceUser(given: string | undefined): { serviceUser: string; warnings: string[] } {
  const user = given ?? 'proactive';
  if (!USER_NAME.test(user)) {
    fail('SETTING_INVALID', `the service user ${show(user)} is not a valid user name`,
      'Use --service-user NAME with up to 31 lower-case letters, digits, dashes or underscores, starting with a letter or underscore.');
  }
  const warnings = user === 'root'
    ? ['the node runs as root: every task it executes has full control of the VM; prefer the default dedicated user']
    : [];
  return { serviceUser: user, warnings };
}
