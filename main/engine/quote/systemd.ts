// Quoting for systemd configuration files: unit files (systemd.syntax(7), systemd.service(5)) and the
// line-oriented sysusers.d(5) / tmpfiles.d(5) tables.
//
// What systemd does to a value, and therefore what we must undo in advance:
// - `%` starts a specifier (%n, %h, ...) in almost every setting and table field: a literal % is `%%`.
// - In ExecStart= (and the other Exec*= lines) `$NAME` and `${NAME}` are environment expansions: a
//   literal $ is `$$`. Words are split on whitespace; "..." keeps a word together and takes C escapes.
// - A line ending in `\` continues on the next line, and nothing can carry a newline or NUL inside a
//   plain setting or a table field. Such values are refused (SETTING_INVALID naming the field).
// In the tables (sysusers.d, tmpfiles.d), systemd versions differ in how they treat backslashes inside
// quotes (some keep them, some unescape them), so values with `\` or `"` are refused there too rather
// than written in a way that one version would read differently. Guestprep's own values never need them.

import { fail } from '../errors';
import { assertEncodable } from './guestfish';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function refuse(field: string, why: string): never {
  return fail('SETTING_INVALID', `${field} ${why}, which a systemd configuration file cannot express`, `Change ${field} to plain text on one line.`);
}

function describeControl(s: string): string {
  if (s.includes('\n') || s.includes('\r')) return 'contains a line break';
  if (s.includes('\0')) return 'contains a NUL byte';
  return 'contains a control character';
}

/**
 * A value for a plain unit-file setting such as Description=, User=, WorkingDirectory=: written as is
 * (no quoting exists for these), with `%` doubled.
 */
export function systemdValue(value: string, field: string): string {
  assertEncodable(value, field);
  if (value === '') refuse(field, 'is empty');
  if (CONTROL.test(value)) refuse(field, describeControl(value));
  // systemd strips surrounding whitespace, and a trailing backslash would continue the line.
  if (value.trim() !== value) refuse(field, 'starts or ends with whitespace');
  if (value.endsWith('\\')) refuse(field, 'ends with a backslash');
  return value.replace(/%/g, '%%');
}

/** Words that need no quoting on an Exec line: no whitespace, quotes, backslash, %, $ or ;. */
const SAFE_EXEC_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One argument of an ExecStart= line. */
export function systemdExecArg(value: string, field: string): string {
  assertEncodable(value, field);
  if (CONTROL_BUT_TAB.test(value)) refuse(field, describeControl(value));
  // A lone ";" separated commands in older systemd (even when quoted), and the escape for it differs
  // between versions.
  if (value === ';') refuse(field, 'is a lone ";"');
  if (SAFE_EXEC_WORD.test(value)) return value;
  let out = '"';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\t') out += '\\t';
    else if (ch === '%') out += '%%';
    else if (ch === '$') out += '$$';
    else out += ch;
  }
  return out + '"';
}

/**
 * A whole ExecStart= value. The command must be an absolute path: a bare first word may carry prefixes
 * (@ - : + !) and older systemd versions refuse relative commands.
 */
export function systemdExecLine(argv: readonly string[], field: string): string {
  if (argv.length === 0) refuse(field, 'is empty');
  if (!argv[0].startsWith('/')) {
    fail('SETTING_INVALID', `${field} must start with an absolute path, not ${JSON.stringify(argv[0])}`, `Give the full path of the program in ${field}.`);
  }
  return argv.map((a, i) => systemdExecArg(a, i === 0 ? `${field} (command)` : `${field} (argument ${i})`)).join(' ');
}

/** Words that can stand bare in a sysusers.d/tmpfiles.d field. */
const SAFE_TABLE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * One field of a sysusers.d or tmpfiles.d line. `-` means "unset" in both formats, quoted or not, so a
 * value that is exactly `-` cannot be written; use the literal '-' yourself when you mean "unset".
 */
export function unitTableField(value: string, field: string): string {
  assertEncodable(value, field);
  if (value === '') refuse(field, 'is empty');
  if (value === '-') refuse(field, 'is "-", which these files read as "unset"');
  if (CONTROL.test(value)) refuse(field, describeControl(value));
  if (value.includes('\\') || value.includes('"')) refuse(field, 'contains a backslash or a double quote');
  const escaped = value.replace(/%/g, '%%');
  return SAFE_TABLE_WORD.test(value) ? escaped : `"${escaped}"`;
}
