// Node names for several images at once: `--node-name 'node-{n}'` numbers the images in the order given,
// `{hostname}` takes each guest's own hostname (its first label). The rule lives in rules/names.ts (the
// page checks it while the user types); the expanded name must still be a valid node name, and a pattern
// is checked before any launch with stand-in values.

import { fail } from '../errors';
import { expandNodeName as expand, isNodeNamePattern, type NodeNameContext } from '../../rules/names';

export { isNodeNamePattern, type NodeNameContext };

/** Expands `{n}` and `{hostname}`; refuses unknown placeholders, stray braces and a missing hostname. */
export function expandNodeName(pattern: string, ctx: NodeNameContext): string {
  const v = expand(pattern, ctx);
  if (!v.ok) return fail('SETTING_INVALID', v.problem.message, `${v.problem.fix} (--node-name "node-{n}").`, { field: 'nodeName' });
  return v.value;
}

/** The pattern with stand-in values, for the checks made before any guest is known. */
export function nodeNameForEarlyCheck(name: string | undefined): string | undefined {
  return isNodeNamePattern(name) ? expandNodeName(name!, { n: 1, hostname: 'host' }) : name;
}
