// POSIX sh quoting for the scripts Guestprep writes into guests (launcher, init script, rc.local line).
//
// Single quotes keep everything literal except the single quote itself, which is written '\'' (close,
// escaped quote, reopen). That holds for dash, bash, busybox ash and ksh alike. NUL bytes cannot be part
// of a shell word at all, so they are refused.

import { assertEncodable } from './guestfish';

export function shQuote(s: string, what = 'a shell word'): string {
  assertEncodable(s, what);
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/**
 * Characters that are never special to sh in an argument position, so a word made only of them can be
 * written bare. (`=` is only special in the first word of a command, before the command name, where
 * Guestprep never puts a bare value.)
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A word as written in a script: bare when that is unambiguous, else single-quoted. */
export function shWord(s: string, what = 'a shell word'): string {
  return SAFE_WORD.test(s) ? s : shQuote(s, what);
}

/** A command line for humans and scripts: every word through shWord. */
export function shCommandLine(argv: readonly string[]): string {
  return argv.map((a) => shWord(a)).join(' ');
}
