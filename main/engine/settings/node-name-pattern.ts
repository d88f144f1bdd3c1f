// Node names for several images at once: `--node-name 'node-{n}'` numbers the images in the order given,
// `{hostname}` takes each guest's own hostname (its first label). The expanded name must still be a valid
// node name (names.ts); a pattern is checked before any launch with stand-in values.

import { fail } from '../errors';

export interface NodeNameContext {
  /** 1-based position of the image in the batch. */
  n: number;
  /** The guest's hostname as inspection found it ('' when unknown). */
  hostname: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['n', 'hostname']);

export function isNodeNamePattern(name: string | undefined): boolean {
  return name !== undefined && /[{}]/.test(name);
}

/** Expands `{n}` and `{hostname}`; refuses unknown placeholders and stray braces. */
export function expandNodeName(pattern: string, ctx: NodeNameContext): string {
  const unknown = [...pattern.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((k) => !KNOWN.has(k));
  const stray = pattern.replace(PLACEHOLDER, '');
  if (unknown.length || /[{}]/.test(stray)) {
    fail(
      'SETTING_INVALID',
      `the node name pattern ${JSON.stringify(pattern)} has ${unknown.length ? `an unknown placeholder {${unknown[0]}}` : 'an unmatched brace'}`,
      'Use {n} for the image\'s number in the list (1, 2, ...) and {hostname} for the guest\'s hostname, e.g. --node-name "node-{n}".',
    );
  }
  return pattern.replace(PLACEHOLDER, (_, k: string) => {
    if (k === 'n') return String(ctx.n);
    const short = ctx.hostname.trim().split('.')[0];
    if (!short) {
      fail('SETTING_INVALID', 'the node name pattern uses {hostname}, but this guest has no hostname set', 'Use {n} instead, or give this image its own --node-name.');
    }
    return short;
  });
}

/** The pattern with stand-in values, for the checks made before any guest is known. */
export function nodeNameForEarlyCheck(name: string | undefined): string | undefined {
  return isNodeNamePattern(name) ? expandNodeName(name!, { n: 1, hostname: 'host' }) : name;
}
