// Parsers that read back what the quoting modules write, the way the real consumers do: guestfish's
// command-line parser, a POSIX shell's word splitting, and systemd's word extraction. Tests (unit and
// property) check `parse(quote(x)) === x`. They are strict: anything our quoting never produces (an
// unquoted `$`, an unknown escape, an unterminated quote) throws, so a quoting bug cannot hide behind a
// lenient parser.

class ParseError extends Error {
  constructor(what: string, line: string, at: number) {
    super(`${what} at offset ${at} in ${JSON.stringify(line)}`);
    this.name = 'ParseError';
  }
}

const isBlank = (c: string) => c === ' ' || c === '\t';

// ---------------------------------------------------------------- guestfish

const GF_SIMPLE: Record<string, number> = {
  '\\': 0x5c, '"': 0x22, "'": 0x27, '?': 0x3f, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11,
};

/** Splits one guestfish script line into words, as fish.c does (double, single and bare words). */
export function gfUnquote(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (isBlank(line[i])) { i++; continue; }
    const bytes: number[] = [];
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new ParseError('unterminated double quote', line, i);
        const c = line[i];
        if (c === '"') { i++; break; }
        if (c !== '\\') { bytes.push(...Buffer.from(c, 'utf8')); i++; continue; }
        const e = line[i + 1];
        if (e !== undefined && e in GF_SIMPLE) { bytes.push(GF_SIMPLE[e]); i += 2; continue; }
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          const v = parseInt(line.slice(i + 2, i + 4), 16);
          if (v === 0) throw new ParseError('\\x00 escape', line, i);
          bytes.push(v); i += 4; continue;
        }
        if (e !== undefined && /^[0-7]{3}$/.test(line.slice(i + 1, i + 4))) {
          const v = parseInt(line.slice(i + 1, i + 4), 8);
          if (v < 1 || v > 255) throw new ParseError('octal escape out of range', line, i);
          bytes.push(v); i += 4; continue;
        }
        throw new ParseError('invalid escape sequence', line, i);
      }
    } else if (line[i] === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ParseError('unterminated single quote', line, i);
      bytes.push(...Buffer.from(line.slice(i + 1, end), 'utf8'));
      i = end + 1;
    } else {
      const start = i;
      while (i < line.length && !isBlank(line[i])) i++;
      const word = line.slice(start, i);
      if (words.length > 0 && /^[~|]/.test(word)) throw new ParseError('bare word with host-side meaning', line, start);
      bytes.push(...Buffer.from(word, 'utf8'));
    }
    if (i < line.length && !isBlank(line[i])) throw new ParseError('arguments not separated by whitespace', line, i);
    words.push(decodeUtf8(bytes, line));
  }
  return words;
}

function decodeUtf8(bytes: number[], line: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new ParseError('argument is not valid UTF-8', line, 0);
  }
}

// ---------------------------------------------------------------- POSIX sh

/**
 * Splits POSIX sh text into words (quote removal only: no expansions). Unquoted characters that would
 * trigger an expansion, a redirection or a new command throw.
 */
export function shUnquote(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c0 = text[i];
    if (c0 === ' ' || c0 === '\t' || c0 === '\n') { i++; continue; }
    let word = '';
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n') break;
      if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) throw new ParseError('unterminated single quote', text, i);
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new ParseError('unterminated double quote', text, i);
          const d = text[i];
          if (d === '"') { i++; break; }
          if (d === '$' || d === '`') throw new ParseError('expansion inside double quotes', text, i);
          if (d === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1])) {
            if (text[i + 1] !== '\n') word += text[i + 1];
            i += 2;
            continue;
          }
          word += d;
          i++;
        }
      } else if (c === '\\') {
        if (i + 1 >= text.length) throw new ParseError('trailing backslash', text, i);
        if (text[i + 1] !== '\n') word += text[i + 1];
        i += 2;
      } else if ('|&;<>()$`*?[#'.includes(c) || (c === '~' && word === '')) {
        throw new ParseError(`unquoted ${JSON.stringify(c)}`, text, i);
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

// ---------------------------------------------------------------- systemd

/** systemd's separators (WHITESPACE in its string-util.h). */
const isSystemdSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** systemd's extract_first_word with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE (unit files, Exec lines). */
export function systemdSplit(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (isSystemdSpace(line[i])) { i++; continue; }
    let word = '';
    let quote: string | null = null;
    while (i < line.length) {
      const c = line[i];
      if (quote === null && isSystemdSpace(c)) break;
      if (quote === null && (c === '"' || c === "'")) { quote = c; i++; continue; }
      if (quote !== null && c === quote) { quote = null; i++; continue; }
      if (c === '\\') {
        const [text, used] = cUnescapeOne(line, i);
        word += text;
        i += used;
        continue;
      }
      word += c;
      i++;
    }
    if (quote !== null) throw new ParseError('unterminated quote', line, i);
    words.push(word);
  }
  return words;
}

function cUnescapeOne(line: string, i: number): [string, number] {
  const e = line[i + 1];
  const simple: Record<string, string> = {
    a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ',
  };
  if (e !== undefined && e in simple) return [simple[e], 2];
  if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
    const v = parseInt(line.slice(i + 2, i + 4), 16);
    if (v === 0) throw new ParseError('NUL escape', line, i);
    return [String.fromCharCode(v), 4];
  }
  if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(line.slice(i + 2, i + 6))) return [String.fromCodePoint(parseInt(line.slice(i + 2, i + 6), 16)), 6];
  if (e === 'U' && /^[0-9a-fA-F]{8}$/.test(line.slice(i + 2, i + 10))) return [String.fromCodePoint(parseInt(line.slice(i + 2, i + 10), 16)), 10];
  if (/^[0-7]{3}$/.test(line.slice(i + 1, i + 4))) return [String.fromCharCode(parseInt(line.slice(i + 1, i + 4), 8)), 4];
  throw new ParseError('invalid C escape', line, i);
}

/** Undoes specifier escaping: `%%` -> `%`; any other specifier throws (it would be expanded). */
export function unescapeSpecifiers(s: string): string {
  return s.replace(/%(.?)/g, (_m, next: string) => {
    if (next === '%') return '%';
    throw new ParseError('unescaped specifier', s, s.indexOf('%'));
  });
}

/** Undoes environment escaping on an Exec line word: `$$` -> `$`; `$NAME`/`${NAME}` throw. */
function unescapeDollars(s: string): string {
  return s.replace(/\$(.?)/g, (_m, next: string) => {
    if (next === '$') return '$';
    throw new ParseError('environment expansion', s, s.indexOf('$'));
  });
}

/** An ExecStart= value back to argv: word split, C unescape, then specifiers and `$$`. */
export function systemdExecSplit(value: string): string[] {
  return systemdSplit(value).map((w) => unescapeDollars(unescapeSpecifiers(w)));
}

/** A plain unit-file setting value back to its text (`%%` -> `%`). */
export function systemdValueUnescape(value: string): string {
  return unescapeSpecifiers(value);
}

/**
 * A sysusers.d / tmpfiles.d line back to its fields: whitespace split, "..." and '...' keep spaces,
 * no backslash escapes (the quoting side refuses backslashes), then `%%` -> `%`.
 */
export function unitTableSplit(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (isBlank(line[i])) { i++; continue; }
    let word = '';
    let quote: string | null = null;
    while (i < line.length) {
      const c = line[i];
      if (quote === null && isBlank(c)) break;
      if (c === '\\') throw new ParseError('backslash', line, i);
      if (quote === null && (c === '"' || c === "'")) { quote = c; i++; continue; }
      if (quote !== null && c === quote) { quote = null; i++; continue; }
      word += c;
      i++;
    }
    if (quote !== null) throw new ParseError('unterminated quote', line, i);
    words.push(unescapeSpecifiers(word));
  }
  return words;
}

// ---------------------------------------------------------------- sample inputs

/**
 * Values that break naive quoting: spaces, both quote kinds, backslashes, expansions of every kind,
 * specifiers, separators, line breaks, tabs, non-ASCII, and words with a special meaning when leading.
 * (NUL is not here: every quoting function refuses it, and tests check that separately.)
 */
export const NASTY_STRINGS: readonly string[] = [
  '', ' ', '  two  spaces ', 'a b', "it's", 'say "hi"', `mixed '"' quotes`, 'back\\slash', '\\', '\\\\',
  "'", '"', "''", '$HOME', '${HOME}', '$$', '$', '$(id)', '`id`', 'a;b', ';', '&&', 'a|b', '|cat', '~',
  '~root', '-rf', '--', '-', '100%', '%n', '%%', '%', 'line1\nline2', '\n', 'trailing\n', 'cr\r', 'tab\there',
  '\t', '#not a comment', '*', '?', '[a]', '<in >out', 'é ü ß', '日本語', '🚀 rocket', '\u00a0nbsp', '\x7f',
  '\x01\x02', '\\x41', '\\n', 'ends with backslash\\', 'x=1', 'a,b:c@d+e',
];
