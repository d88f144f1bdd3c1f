import { describe, expect, it } from 'vitest';
import { checkNodeNamePattern, expandNodeName } from './node-name-pattern';

describe('node name pattern', () => {
  it('accepts {n}, {hostname}, plain names and empty', () => {
    for (const p of ['node-{n}', '{hostname}', '{hostname}-{n}', 'lab.{n}_x', 'fixed', '', '  ']) expect(checkNodeNamePattern(p, 3).ok, p).toBe(true);
  });

  it('refuses unknown placeholders, stray braces and characters a node name cannot have', () => {
    expect(checkNodeNamePattern('node-{x}', 2)).toMatchObject({ ok: false, message: expect.stringMatching(/unknown placeholder \{x\}/), fix: expect.stringMatching(/node-\{n\}/) });
    expect(checkNodeNamePattern('node-{n', 2).message).toMatch(/unmatched brace/);
    expect(checkNodeNamePattern('node}-{n}', 2).message).toMatch(/unmatched brace/);
    expect(checkNodeNamePattern('{{n}}', 2).message).toMatch(/unmatched brace/);
    expect(checkNodeNamePattern('my node-{n}', 2).message).toMatch(/contains a space/);
    expect(checkNodeNamePattern('node/{n}', 2).message).toMatch(/contains "\/"/);
    expect(checkNodeNamePattern('-{n}', 2).message).toMatch(/start with "-"/);
    // The longest number counts: 62 characters plus a two-digit {n} is over 63.
    expect(checkNodeNamePattern(`${'a'.repeat(62)}{n}`, 9).ok).toBe(true);
    expect(checkNodeNamePattern(`${'a'.repeat(62)}{n}`, 10).message).toMatch(/64 characters/);
  });

  it('expands per image: the number in the list, the first label of the hostname', () => {
    expect(expandNodeName('node-{n}', { n: 2, hostname: 'x' })).toBe('node-2');
    expect(expandNodeName('{hostname}-{n}', { n: 1, hostname: 'worker7.lab.local' })).toBe('worker7-1');
    expect(expandNodeName('plain', { n: 1, hostname: 'h' })).toBe('plain');
  });
});
