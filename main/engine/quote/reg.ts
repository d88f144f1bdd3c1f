// The regedit text format (.reg, "Windows Registry Editor Version 5.00"): writing the keys of the service
// Guestprep registers, and reading back what `hivexregedit --export` prints, for verification.
//
// Checked against hivexregedit (hivex 1.3): it accepts CRLF or LF, `\`-continued hex lines, and REG_SZ as
// "…" with \\ and \" escapes. It reads the file as bytes, so a non-ASCII character inside "…" would
// arrive as Latin-1 mojibake: such strings are written as hex(1) (UTF-16LE) instead. REG_EXPAND_SZ has
// no quoted form at all in regedit's format, so it is always hex(2): UTF-16LE bytes plus the NUL
// terminator Windows expects. We use CRLF, as regedit itself writes, so the file also reads well on
// Windows. A NUL or a line break in a value cannot be meant for these settings: refused.

import { fail } from '../errors';
import type { RegistryValue } from '../types';
import { assertEncodable } from './guestfish';

export const REG_HEADER = 'Windows Registry Editor Version 5.00';
const EOL = '\r\n';

export interface RegKeyBlock {
  /** Full key path, e.g. HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\proactive-node. */
  key: string;
  /** `[-KEY]`: delete the key and all its subkeys (used to drop an earlier install's values). */
  remove?: boolean;
  /** Value name -> value, in the order they are written. */
  values?: Record<string, RegistryValue>;
}

const bad = (what: string, why: string, fix: string): never => fail('SETTING_INVALID', `${what} ${why}`, fix);

function checkText(s: string, what: string): void {
  assertEncodable(s, what);
  if (/[\r\n\u2028\u2029]/.test(s)) bad(what, 'contains a line break, which a registry value written by Guestprep cannot hold', `Remove the line break from ${what}.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) bad(what, 'contains a control character', `Remove control characters from ${what}.`);
}

/** A key or value name: the same rules, and a key name also cannot hold `]` (it ends the [KEY] line). */
function checkKey(key: string): void {
  checkText(key, `the registry key ${JSON.stringify(key)}`);
  if (key.includes(']') || key.startsWith('-') || key.split('\\').some((p) => p === '')) {
    fail('INTERNAL', `not a registry key Guestprep can write: ${JSON.stringify(key)}`, 'This is a bug in Guestprep. Please report it.');
  }
}

/** "…" with regedit's two escapes. */
export function regQuote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** hex(N): bytes as regedit writes them, wrapped with `\` continuation lines of at most 80 characters. */
function hexValue(prefixLen: number, typeTag: string, bytes: Buffer): string {
  let out = `${typeTag}:`;
  let lineLen = prefixLen + out.length;
  const parts = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  parts.forEach((h, i) => {
    const piece = i < parts.length - 1 ? `${h},` : h;
    if (lineLen + piece.length > 77 && i > 0) {
      out += `\\${EOL}  `;
      lineLen = 2;
    }
    out += piece;
    lineLen += piece.length;
  });
  return out;
}

const utf16z = (s: string) => Buffer.concat([Buffer.from(s, 'utf16le'), Buffer.alloc(2)]);

export function regValueLine(name: string, v: RegistryValue): string {
  checkText(name, `the registry value name ${JSON.stringify(name)}`);
  const lhs = `${regQuote(name)}=`;
  if (v.type === 'dword') {
    if (typeof v.data !== 'number' || !Number.isInteger(v.data) || v.data < 0 || v.data > 0xffffffff) {
      fail('INTERNAL', `the DWORD ${name} must be an integer from 0 to 0xffffffff, not ${String(v.data)}`, 'This is a bug in Guestprep. Please report it.');
    }
    return `${lhs}dword:${v.data.toString(16).padStart(8, '0')}`;
  }
  if (typeof v.data !== 'string') fail('INTERNAL', `the string value ${name} is not a string`, 'This is a bug in Guestprep. Please report it.');
  checkText(v.data, `the registry value ${name}`);
  if (v.type === 'expand_sz') return lhs + hexValue(lhs.length, 'hex(2)', utf16z(v.data));
  return /^[\x20-\x7e]*$/.test(v.data) ? lhs + regQuote(v.data) : lhs + hexValue(lhs.length, 'hex(1)', utf16z(v.data));
}

/** A complete .reg text (CRLF line ends), keys in the given order: parents must come before children. */
export function regText(blocks: RegKeyBlock[], comment: string[] = []): string {
  const lines = [REG_HEADER, ''];
  // regedit and hivexregedit both skip `;` lines: used for a short note on what the file is.
  for (const c of comment) {
    checkText(c, 'a .reg comment');
    lines.push(`; ${c}`);
  }
  if (comment.length) lines.push('');
  for (const b of blocks) {
    checkKey(b.key);
    if (b.remove) {
      lines.push(`[-${b.key}]`, '');
      continue;
    }
    lines.push(`[${b.key}]`);
    for (const [name, v] of Object.entries(b.values ?? {})) lines.push(regValueLine(name, v));
    lines.push('');
  }
  return lines.join(EOL) + EOL;
}

// ---------------------------------------------------------------- reading (hivexregedit --export)

export interface ParsedRegValue {
  /** sz, expand_sz and dword as Guestprep uses them; other types as `type:N` (hex(N)) or `binary`. */
  type: RegistryValue['type'] | 'multi_sz' | 'binary' | `type:${number}`;
  /** Strings without their NUL terminator, DWORDs as numbers, anything else as lower-case hex. */
  data: string | number;
}

export interface ParsedRegKey {
  key: string;
  values: Record<string, ParsedRegValue>;
}

function unquote(s: string, at: number): { text: string; end: number } {
  if (s[at] !== '"') throw new Error(`expected a quoted string at ${JSON.stringify(s.slice(at, at + 20))}`);
  let text = '';
  let i = at + 1;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      text += s[++i];
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  throw new Error(`unterminated string in ${JSON.stringify(s)}`);
}

function fromUtf16z(bytes: Buffer): string {
  const even = bytes.length % 2 === 0 ? bytes : bytes.subarray(0, bytes.length - 1);
  const s = even.toString('utf16le');
  return s.endsWith('\0') ? s.slice(0, -1) : s;
}

function parseData(rhs: string): ParsedRegValue {
  if (rhs.startsWith('"')) return { type: 'sz', data: unquote(rhs, 0).text };
  const dw = /^dword:([0-9a-fA-F]{8})$/.exec(rhs);
  if (dw) return { type: 'dword', data: parseInt(dw[1], 16) };
  const hx = /^hex(?:\(([0-9a-fA-F]+)\))?:([0-9a-fA-F,\s]*)$/.exec(rhs);
  if (!hx) throw new Error(`cannot read the value ${JSON.stringify(rhs.slice(0, 60))}`);
  const bytes = Buffer.from(hx[2].split(',').map((x) => x.trim()).filter(Boolean).map((x) => parseInt(x, 16)));
  const type = hx[1] === undefined ? 3 : parseInt(hx[1], 16);
  if (type === 1) return { type: 'sz', data: fromUtf16z(bytes) };
  if (type === 2) return { type: 'expand_sz', data: fromUtf16z(bytes) };
  if (type === 4 && bytes.length === 4) return { type: 'dword', data: bytes.readUInt32LE(0) };
  if (type === 7) return { type: 'multi_sz', data: bytes.toString('hex') };
  if (type === 3) return { type: 'binary', data: bytes.toString('hex') };
  return { type: `type:${type}`, data: bytes.toString('hex') };
}

/**
 * Parses .reg text (as hivexregedit --export writes it, or as regText writes it) into keys with their
 * values. Keys keep their spelling; look them up case-insensitively (findRegKey), as Windows does.
 * Throws on text it cannot read: a verification must not pass on a misread export.
 */
export function parseRegText(text: string): ParsedRegKey[] {
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (raw[0] !== REG_HEADER) throw new Error('not a .reg text (no "Windows Registry Editor Version 5.00" header)');
  // Join `\`-continued lines first.
  const lines: string[] = [];
  for (let i = 1; i < raw.length; i++) {
    let l = raw[i];
    while (l.endsWith('\\') && /^(?:"|@).*=hex/.test(l) && i + 1 < raw.length) l = l.slice(0, -1) + raw[++i].trim();
    lines.push(l);
  }
  const keys: ParsedRegKey[] = [];
  let cur: ParsedRegKey | undefined;
  for (const l of lines) {
    if (l.trim() === '' || l.startsWith(';')) continue;
    const k = /^\[(-?)(.*)\]$/.exec(l);
    if (k) {
      cur = k[1] === '-' ? undefined : { key: k[2], values: {} };
      if (cur) keys.push(cur);
      continue;
    }
    if (!cur) throw new Error(`a value outside any key: ${JSON.stringify(l.slice(0, 60))}`);
    let name: string;
    let rest: string;
    if (l.startsWith('@=')) {
      name = '';
      rest = l.slice(2);
    } else {
      const q = unquote(l, 0);
      if (l[q.end] !== '=') throw new Error(`expected = after the value name in ${JSON.stringify(l.slice(0, 60))}`);
      name = q.text;
      rest = l.slice(q.end + 1);
    }
    cur.values[name] = parseData(rest);
  }
  return keys;
}

export function findRegKey(keys: ParsedRegKey[], key: string): ParsedRegKey | undefined {
  const want = key.toLowerCase();
  return keys.find((k) => k.key.toLowerCase() === want);
}

/** Differences between what a key should hold and what it holds ([] when every value matches exactly). */
export function compareRegValues(want: Record<string, RegistryValue>, have: ParsedRegKey | undefined): string[] {
  if (!have) return ['the key is missing'];
  const problems: string[] = [];
  const byLower = new Map(Object.entries(have.values).map(([n, v]) => [n.toLowerCase(), v] as const));
  for (const [name, v] of Object.entries(want)) {
    const got = byLower.get(name.toLowerCase());
    if (!got) problems.push(`${name} is missing`);
    else if (got.type !== v.type) problems.push(`${name} is ${got.type}, expected ${v.type}`);
    else if (got.data !== v.data) problems.push(`${name} is ${JSON.stringify(got.data)}, expected ${JSON.stringify(v.data)}`);
  }
  return problems;
}
