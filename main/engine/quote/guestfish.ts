// Quoting for guestfish command lines (the interactive/script syntax, not argv).
//
// guestfish's parser (fish.c, parse_quoted_string) understands, inside double quotes:
//   \\ \" \' \? \a \b \f \n \r \t \v, \xHH (exactly two hex digits) and \ooo (three octal digits).
// Escapes that would produce a NUL byte are rejected by guestfish, so a NUL cannot be passed at all.
// Outside quotes, a leading `~` is host-side tilde expansion and `|` pipes the output to a host shell:
// inside double quotes both are literal. So every argument is always double-quoted.
//
// We escape `\` and `"`, write newline and tab as \n and \t (readable in scripts), and every other byte
// outside printable ASCII as \xHH of its UTF-8 encoding, so the script itself stays plain ASCII.

import { fail } from '../errors';
import type { GfCommand, UploadRef } from '../types';

/** Lone UTF-16 surrogates cannot be encoded as UTF-8: Buffer would silently turn them into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

export function assertEncodable(value: string, what: string): void {
  if (value.includes('\0')) {
    fail('SETTING_INVALID', `${what} contains a NUL byte, which cannot be passed on`, `Remove the NUL byte from ${what}.`);
  }
  if (LONE_SURROGATE.test(value)) {
    fail('SETTING_INVALID', `${what} is not valid Unicode (it has a lone surrogate)`, `Retype ${what} as plain text.`);
  }
}

export function gfQuote(arg: string, what = 'a guestfish argument'): string {
  assertEncodable(arg, what);
  let out = '"';
  for (const byte of Buffer.from(arg, 'utf8')) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x22) out += '\\"';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x09) out += '\\t';
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += '\\x' + byte.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/**
 * guestfish reads script lines (stdin or -f) into an 8 KiB buffer: a longer line is split and the rest
 * is read as a new command ("unterminated double quote"). Checked with guestfish 1.48: 8191 characters
 * pass, 8192 do not. Long file contents must therefore be written in pieces (write + write-append).
 */
export const GF_MAX_LINE = 8191;

/** guestfish command names are lower-case words with dashes (`tar-in`, `mkdir-p`, `ln-sf`). */
const COMMAND_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * One guestfish script line for a command. Upload references become the host path the caller gives
 * for them (a FIFO in the executor, a file next to the script in a dry run), quoted like any argument.
 */
export function renderCommand(cmd: GfCommand, uploadPath: (ref: UploadRef) => string): string {
  if (cmd.local) return renderLocalCommand(cmd, uploadPath);
  const [name, ...args] = cmd.argv;
  if (!COMMAND_NAME.test(name)) {
    fail('INTERNAL', `not a guestfish command name: ${JSON.stringify(name)}`, 'This is a bug in Guestprep. Please report it.');
  }
  const parts = [name];
  for (const arg of args) {
    if (typeof arg === 'string') parts.push(gfQuote(arg, `an argument of ${name}`));
    else parts.push(gfQuote(uploadPath(arg.upload), `the host path for ${arg.upload.id}`));
  }
  const line = parts.join(' ');
  if (line.length > GF_MAX_LINE) {
    fail('INTERNAL', `a ${name} command is ${line.length} characters long, more than guestfish reads in one line (${GF_MAX_LINE})`, 'This is a bug in Guestprep (long texts must be written in pieces). Please report it.');
  }
  return line;
}

/** POSIX sh single quoting (quote/sh.ts has the same rule; kept here so this module imports nothing of ours). */
const shSingle = (s: string) => "'" + s.replace(/'/g, "'\\''") + "'";

/**
 * A host command (GfCommand.local) as a guestfish `!` line: guestfish hands the rest of the line to the
 * host's /bin/sh, so every word is single-quoted. The executor does not use this line (it spawns the
 * program without a shell); it is what a dry-run script and the logs show.
 */
function renderLocalCommand(cmd: GfCommand, uploadPath: (ref: UploadRef) => string): string {
  const words = cmd.argv.map((a, i) => {
    const w = typeof a === 'string' ? a : uploadPath(a.upload);
    assertEncodable(w, i === 0 ? 'a host program name' : `an argument of ${String(cmd.argv[0])}`);
    if (/[\r\n]/.test(w)) fail('INTERNAL', `a host command argument contains a line break: ${JSON.stringify(w)}`, 'This is a bug in Guestprep. Please report it.');
    return shSingle(w);
  });
  const line = `! ${words.join(' ')}`;
  if (line.length > GF_MAX_LINE) {
    fail('INTERNAL', `a host command is ${line.length} characters long, more than guestfish reads in one line (${GF_MAX_LINE})`, 'This is a bug in Guestprep. Please report it.');
  }
  return line;
}
