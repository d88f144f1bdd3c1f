// JVM options reach the JVM through JAVA_OPTS, which the ProActive start scripts expand unquoted: the
// shell splits it on spaces and would expand globs. So each option must be one word of harmless
// characters; anything else cannot survive and is refused rather than mangled.

import { fail } from '../errors';
import type { ProactiveGeneration } from '../types';

const OPTION = /^-[A-Za-z0-9._:=+,/@-]+$/;
const MAX_OPTIONS = 64;
const MAX_LENGTH = 1024;

export const IGNORE_UNRECOGNIZED = '-XX:+IgnoreUnrecognizedVMOptions';

function describeBad(opt: string): string {
  if (!opt.startsWith('-')) return 'does not start with "-"';
  // Line breaks and other control characters first: they are whitespace too, but "a space" would mislead.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(opt)) return 'contains a line break or another control character, which no start script can pass on';
  if (/\s/.test(opt)) return 'contains a space (the start scripts split JAVA_OPTS on spaces)';
  const ch = [...opt].find((c) => !/[A-Za-z0-9._:=+,/@-]/.test(c)) ?? '';
  return `contains ${JSON.stringify(ch)}, which the start scripts cannot pass through unchanged`;
}

export function validateJvmOptions(given: readonly string[] | undefined): string[] {
  const options = [...(given ?? [])];
  if (options.length > MAX_OPTIONS) {
    fail('SETTING_INVALID', `${options.length} JVM options is more than ${MAX_OPTIONS}`, 'Give fewer --jvm-option values.', { field: 'jvmOptions' });
  }
  for (const opt of options) {
    if (opt.length > MAX_LENGTH || !OPTION.test(opt)) {
      fail('SETTING_INVALID', `the JVM option ${JSON.stringify(opt)} ${opt.length > MAX_LENGTH ? 'is too long' : describeBad(opt)}`,
        'Give each option separately (--jvm-option -Xmx2g --jvm-option -Dname=value), using only letters, digits and . _ : = + , / @ -', { field: 'jvmOptions' });
    }
  }
  return options;
}

/**
 * Modern start scripts pass -XX:+AggressiveOpts, which Java 17+ refuses at startup;
 * -XX:+IgnoreUnrecognizedVMOptions lets the JVM start anyway. Added once, first, unless the user set
 * the flag either way or turned this off.
 */
export function withJava17Workaround(options: string[], javaMajor: number, generation: ProactiveGeneration, enabled: boolean | undefined): string[] {
  if (enabled === false || generation !== 'modern' || javaMajor < 17) return options;
  if (options.some((o) => /^-XX:[+-]IgnoreUnrecognizedVMOptions$/.test(o))) return options;
  return [IGNORE_UNRECOGNIZED, ...options];
}
