// Names: the node, its node source, the boot service and the user it runs as; and node-name patterns for
// several images (`node-{n}`, `{hostname}`). The character sets are deliberately small: these names end up
// in file names, unit files, shell scripts and ProActive URLs, and a name that needs quoting anywhere is a
// name that breaks somewhere. One rule for the engine (settings/names.ts, settings/node-name-pattern.ts
// wrap it with the CLI's flags) and the page (checked while the user types).

import { bad, ok, show, type Verdict } from './verdict';

export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

export const DEFAULT_NODE_SOURCE = 'Default';

/** Fixes, said without naming a CLI flag or a form field: each adapter says where to type it. */
export const NAME_FIXES = {
  nodeName: 'Use 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  nodeSource: 'Use letters, digits, dots, dashes or underscores (the source must already exist in the Resource Manager; "Default" always does)',
  serviceName: 'Use 1 to 32 lower-case letters, digits or dashes, starting with a letter',
  serviceNameTaken: 'Use a name of its own, e.g. proactive-node',
  serviceUser: 'Use up to 31 lower-case letters, digits, dashes or underscores, starting with a letter or underscore',
  pattern: 'Use {n} for the image\'s number in the list (1, 2, ...) and {hostname} for the guest\'s hostname, e.g. node-{n}',
} as const;

/**
 * What is wrong with a node or node-source name, in words (the fix then says what is allowed). Names
 * are identifiers: anything that would need quoting in a unit file, a script or a URL is refused.
 */
export function whyBadNodeName(name: string, mood: 'is' | 'would' = 'is'): string {
  // A pattern's expansion "would" be wrong; a typed name "is".
  const [is, contains, starts] = mood === 'is' ? ['it is', 'it contains', 'it starts with'] : ['it would be', 'it would contain', 'it would start with'];
  if (name === '') return `${is} empty`;
  if (name.length > 63) return `${is} ${name.length} characters long (at most 63)`;
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad === undefined) return `${starts} ${show(name[0]!)}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(bad)) return `${contains} a line break or another control character`;
  if (/\s/.test(bad)) return `${contains} a space`;
  if (/[^\x20-\x7e]/.test(bad)) return `${contains} ${show(bad)}, which is not a plain ASCII character`;
  return `${contains} ${show(bad)}`;
}

export function checkNodeName(name: string): Verdict<string> {
  return NODE_NAME.test(name) ? ok(name) : bad(`the node name ${show(name)} is not valid: ${whyBadNodeName(name)}`, NAME_FIXES.nodeName);
}

/** The default node name: the guest's short hostname (with a warning for names nobody can tell apart). */
export function nodeNameFromHostname(hostname: string): Verdict<string> {
  const short = hostname.trim().split('.')[0] ?? '';
  if (!NODE_NAME.test(short)) {
    return bad(hostname.trim() === '' ? 'the guest has no hostname to name the node after' : `the guest's hostname ${show(hostname)} cannot be used as the node name`,
      NAME_FIXES.nodeName);
  }
  return ok(short, /^localhost$/i.test(short) ? [`the node will be named ${show(short)} after the guest's hostname; give it a name you can recognise in the Resource Manager`] : undefined);
}

export function checkNodeSource(source: string): Verdict<string> {
  return NODE_NAME.test(source) ? ok(source) : bad(`the node source ${show(source)} is not valid: ${whyBadNodeName(source)}`, NAME_FIXES.nodeSource);
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

export function checkServiceName(name: string): Verdict<string> {
  if (!SERVICE_NAME.test(name)) return bad(`the service name ${show(name)} is not valid`, NAME_FIXES.serviceName);
  if (TAKEN_SERVICE_NAMES.has(name) || name.startsWith('systemd-')) return bad(`the service name ${show(name)} belongs to a system service`, NAME_FIXES.serviceNameTaken);
  return ok(name);
}

/** The user the node runs as: a dedicated system user unless root is asked for explicitly. */
export function checkServiceUser(user: string): Verdict<string> {
  if (!USER_NAME.test(user)) return bad(`the service user ${show(user)} is not a valid user name`, NAME_FIXES.serviceUser);
  return ok(user, user === 'root' ? ['the node runs as root: every task it executes has full control of the VM; prefer the default dedicated user'] : undefined);
}

// ------------------------------------------------------------------------- node-name patterns

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['n', 'hostname']);

export interface NodeNameContext {
  /** 1-based position of the image in the batch. */
  n: number;
  /** The guest's hostname as inspection found it ('' when unknown). */
  hostname: string;
}

export function isNodeNamePattern(name: string | undefined): boolean {
  return name !== undefined && /[{}]/.test(name);
}

/** Unknown placeholders and stray braces: what makes a pattern unusable whatever the images are. */
function patternSyntax(pattern: string): Verdict<string> {
  const unknown = [...pattern.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((k) => !KNOWN.has(k));
  if (unknown.length) return bad(`the node name pattern ${show(pattern)} has an unknown placeholder {${unknown[0]}}`, NAME_FIXES.pattern);
  if (/[{}]/.test(pattern.replace(PLACEHOLDER, ''))) return bad(`the node name pattern ${show(pattern)} has an unmatched brace`, NAME_FIXES.pattern);
  return ok(pattern);
}

/** Expands `{n}` and `{hostname}` (its first label) for one image. */
export function expandNodeName(pattern: string, ctx: NodeNameContext): Verdict<string> {
  const syntax = patternSyntax(pattern);
  if (!syntax.ok) return syntax;
  const short = ctx.hostname.trim().split('.')[0] ?? '';
  if (pattern.includes('{hostname}') && !short) {
    return bad('the node name pattern uses {hostname}, but this guest has no hostname set', 'Use {n} instead, or give this image its own node name');
  }
  return ok(pattern.replace(PLACEHOLDER, (_, k: string) => (k === 'n' ? String(ctx.n) : short)));
}

/**
 * A pattern for `count` images, before any guest is known: the expansion is checked with stand-ins, the
 * largest number for the length. Empty is fine (every node takes its guest's hostname).
 */
export function checkNodeNamePattern(pattern: string, count: number): Verdict<string> {
  const p = pattern.trim();
  if (!p) return ok(p);
  const sample = expandNodeName(p, { n: Math.max(1, count), hostname: 'host' });
  if (!sample.ok) return sample;
  if (!NODE_NAME.test(sample.value)) return bad(`the node name pattern is not valid: ${whyBadNodeName(sample.value, 'would')}`, NAME_FIXES.pattern);
  return ok(p);
}
