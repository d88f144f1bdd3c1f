// Names for the engine: the rules live in rules/names.ts (the page checks the same rules while the user
// types); here a problem becomes SETTING_INVALID error data whose fix names the CLI flag to use.

import { fail } from '../errors';
import { checkNodeName, checkNodeSource, checkServiceName, checkServiceUser, DEFAULT_NODE_SOURCE, nodeNameFromHostname } from '../../rules/names';
import type { Verdict } from '../../rules/verdict';

export { whyBadNodeName } from '../../rules/names';

/** The rule's fix, told where to type it: "Use 1 to 63 letters..." becomes "Use --node-name NAME with 1 to 63 letters...". */
function withFlag(fix: string, flag: string): string {
  return /^Use /.test(fix) ? `Use ${flag} with ${fix.slice(4)}.` : `${fix} (${flag}).`;
}

/** The rule's value, or its problem as error data whose fix names the CLI flag. */
function orFail<T>(v: Verdict<T>, flag: string, field: string): { value: T; warnings: string[] } {
  if (!v.ok) return fail('SETTING_INVALID', v.problem.message, withFlag(v.problem.fix, flag), { field });
  return { value: v.value, warnings: v.warnings ?? [] };
}

/** The node name: given, or the guest's short hostname. */
export function resolveNodeName(given: string | undefined, guestHostname: string): { nodeName: string; warnings: string[] } {
  const r = orFail(given !== undefined ? checkNodeName(given) : nodeNameFromHostname(guestHostname), '--node-name NAME', 'nodeName');
  return { nodeName: r.value, warnings: r.warnings.map((w) => `${w} (--node-name NAME)`) };
}

export function resolveNodeSource(given: string | undefined): string {
  return orFail(checkNodeSource(given ?? DEFAULT_NODE_SOURCE), '--node-source NAME', 'nodeSource').value;
}

export function resolveServiceName(given: string | undefined): string {
  return orFail(checkServiceName(given ?? 'proactive-node'), '--service-name NAME', 'serviceName').value;
}

/** The user the node runs as: a dedicated system user unless root is asked for explicitly. */
export function resolveServiceUser(given: string | undefined): { serviceUser: string; warnings: string[] } {
  const r = orFail(checkServiceUser(given ?? 'proactive'), '--service-user NAME', 'serviceUser');
  return { serviceUser: r.value, warnings: r.warnings };
}
