// The Resource Manager URL, for the engine: the rule itself lives in rules/rm-url.ts (the page checks the
// same rule while the user types); here a problem becomes SETTING_INVALID error data naming --rm-url.

import { fail } from '../errors';
import type { RmUrl } from '../types';
import { checkRmUrl } from '../../rules/rm-url';

export { DEFAULT_PORTS } from '../../rules/rm-url';

export function parseRmUrl(input: string): RmUrl {
  const v = checkRmUrl(input);
  if (!v.ok) return fail('SETTING_INVALID', v.problem.message, `Check --rm-url: ${v.problem.fix}.`, { field: 'rmUrl' });
  return v.value;
}
