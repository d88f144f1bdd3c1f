// Values placed in the Windows batch file (.cmd) Guestprep writes. cmd.exe has no quoting that makes
// every character literal: `%` expands variables even inside "…", `!` does with delayed expansion, `^`
// escapes, `& | < >` chain and redirect outside quotes, and a `"` inside a value ends the quoting. So
// rather than escape (and get it wrong in one of cmd's phases), values that need any of these are refused
// with the setting's name and what to type instead. Paths are written inside "…" (spaces are fine there).

import { fail } from '../errors';
import { assertEncodable } from './guestfish';

// eslint-disable-next-line no-control-regex
const CMD_SPECIAL = /[%!^&|<>"\u0000-\u001f\u007f\u2028\u2029]/;

/**
 * A value checked for a .cmd line, returned as is. `setting` names it as the user knows it
 * (e.g. "the node name (--node-name)"), `fix` says what to do.
 */
export function cmdValue(value: string, setting: string, fix: string): string {
  assertEncodable(value, setting);
  const m = CMD_SPECIAL.exec(value);
  if (m) {
    const ch = m[0];
    const shown = /[\x20-\x7e]/.test(ch) ? `"${ch}"` : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    fail('SETTING_INVALID', `${setting} contains ${shown}, which the Windows start script (a .cmd file) cannot pass on safely`,
      `${fix} (not allowed: % ! ^ & | < > " and control characters).`);
  }
  return value;
}

/** A path (or any value that may hold spaces) as one "…"-quoted cmd word. */
export function cmdQuote(value: string, setting: string, fix: string): string {
  return `"${cmdValue(value, setting, fix)}"`;
}
