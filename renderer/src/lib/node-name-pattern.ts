// Node names for a batch: `node-{n}` numbers the images in the order of the list, `{hostname}` takes each
// guest's hostname (its first label). Checked here while the user types, with the engine's rules (names.ts,
// node-name-pattern.ts): only those two placeholders, no stray braces, and otherwise the characters of a
// node name. The backend stays the authority; the run checks every expanded name again.

export interface PatternCheck {
  ok: boolean;
  message?: string;
  fix?: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['n', 'hostname']);
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const FIX = 'Use letters, digits, dots, dashes or underscores, with {n} for the image\'s number in the list (1, 2, …) and {hostname} for each guest\'s hostname, e.g. node-{n}.';

export function isPattern(name: string): boolean {
  return /[{}]/.test(name);
}

function whyBad(name: string): string {
  if (name.length > 63) return `it would be ${name.length} characters long (at most 63)`;
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad === undefined) return `it would start with ${JSON.stringify(name[0])}`;
  if (/\s/.test(bad)) return 'it contains a space';
  return `it contains ${JSON.stringify(bad)}`;
}

/**
 * The pattern as typed, for `count` images. Empty is fine (every node takes its guest's hostname). The
 * expansion is checked with stand-ins, the largest number for the length, as the engine does before launch.
 */
export function checkNodeNamePattern(pattern: string, count: number): PatternCheck {
  const p = pattern.trim();
  if (!p) return { ok: true };
  const unknown = [...p.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((k) => !KNOWN.has(k));
  if (unknown.length) return { ok: false, message: `the node name pattern has an unknown placeholder {${unknown[0]}}`, fix: FIX };
  if (/[{}]/.test(p.replace(PLACEHOLDER, ''))) return { ok: false, message: 'the node name pattern has an unmatched brace', fix: FIX };
  const sample = expandNodeName(p, { n: Math.max(1, count), hostname: 'host' });
  if (!NODE_NAME.test(sample)) return { ok: false, message: `the node name pattern is not valid: ${whyBad(sample)}`, fix: FIX };
  return { ok: true };
}

/** The name one image gets; {hostname} uses the short hostname, '' when the guest has none. */
export function expandNodeName(pattern: string, ctx: { n: number; hostname: string }): string {
  return pattern.replace(PLACEHOLDER, (whole, k: string) => (k === 'n' ? String(ctx.n) : k === 'hostname' ? ctx.hostname.trim().split('.')[0] ?? '' : whole));
}
