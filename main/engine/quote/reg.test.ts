import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRegValues, findRegKey, parseRegText, regText, regValueLine } from './reg';
import { GuestprepError } from '../errors';
import { emptyHive } from '../../sample/sample-windows';
import type { RegistryValue } from '../types';

test('values are written as regedit does: dword, quoted REG_SZ with escapes, REG_EXPAND_SZ as hex(2) UTF-16LE + NUL', () => {
  assert.equal(regValueLine('Start', { type: 'dword', data: 2 }), '"Start"=dword:00000002');
  assert.equal(regValueLine('Type', { type: 'dword', data: 0x10 }), '"Type"=dword:00000010');
  assert.equal(regValueLine('WorkingDirectory', { type: 'sz', data: 'C:\\ProActive\\node' }), '"WorkingDirectory"="C:\\\\ProActive\\\\node"');
  assert.equal(regValueLine('X', { type: 'sz', data: 'say "hi"' }), '"X"="say \\"hi\\""');
  assert.equal(regValueLine('P', { type: 'expand_sz', data: '%A%' }), '"P"=hex(2):25,00,41,00,25,00,00,00');
  // Non-ASCII cannot go inside "…" (hivexregedit reads bytes): hex(1) instead.
  assert.equal(regValueLine('N', { type: 'sz', data: 'é' }), '"N"=hex(1):e9,00,00,00');
  const long = regValueLine('CommandLine', { type: 'expand_sz', data: 'x'.repeat(60) });
  assert.ok(long.split('\r\n').every((l) => l.length <= 80), 'wrapped like regedit');
  assert.ok(long.includes('\\\r\n  '));
});

test('what a registry value cannot hold is refused', () => {
  for (const data of ['a\nb', 'a\rb', 'a\0b', 'a\x01b']) {
    assert.throws(() => regValueLine('V', { type: 'sz', data }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
  }
  assert.throws(() => regValueLine('V', { type: 'dword', data: -1 }), GuestprepError);
  assert.throws(() => regValueLine('V', { type: 'dword', data: 2 ** 32 }), GuestprepError);
  assert.throws(() => regText([{ key: 'HKEY_LOCAL_MACHINE\\SYSTEM\\a]b' }]), GuestprepError);
});

test('regText: header, CRLF, keys in order, deletions; parseRegText reads it back', () => {
  const text = regText([
    { key: 'HKEY_LOCAL_MACHINE\\SYSTEM\\CS\\Services\\svc', remove: true },
    { key: 'HKEY_LOCAL_MACHINE\\SYSTEM\\CS\\Services\\svc', values: { Type: { type: 'dword', data: 16 }, D: { type: 'sz', data: 'a "b" \\c' } } },
  ], ['made by a test']);
  assert.ok(text.startsWith('Windows Registry Editor Version 5.00\r\n\r\n; made by a test\r\n\r\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\CS\\Services\\svc]\r\n'));
  assert.ok(!/[^\r]\n/.test(text), 'CRLF only');
  const keys = parseRegText(text);
  assert.equal(keys.length, 1);
  assert.deepEqual(keys[0].values, { Type: { type: 'dword', data: 16 }, D: { type: 'sz', data: 'a "b" \\c' } });
  assert.throws(() => parseRegText('REGEDIT4\n'), /header/);
});

test('compareRegValues reports missing keys and values, wrong types and wrong data; names compare case-blind', () => {
  const have = findRegKey(parseRegText('Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n"start"=dword:00000003\n"ImagePath"=hex(1):41,00,00,00\n'), 'hkey_local_machine\\system\\a');
  assert.deepEqual(compareRegValues({ Start: { type: 'dword', data: 3 } }, have), []);
  assert.deepEqual(compareRegValues({ Start: { type: 'dword', data: 2 }, ImagePath: { type: 'expand_sz', data: 'A' }, X: { type: 'sz', data: '' } }, have), [
    'Start is 3, expected 2', 'ImagePath is sz, expected expand_sz', 'X is missing',
  ]);
  assert.deepEqual(compareRegValues({}, undefined), ['the key is missing']);
});

const hivex = spawnSync('hivexregedit', ['--help'], { encoding: 'utf8' });
test('round trip through the real hivexregedit: merge into an empty hive, export, parse, equal', { skip: hivex.error ? 'hivexregedit is not installed' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-reg-'));
  try {
    const hive = join(dir, 'SYSTEM');
    writeFileSync(hive, emptyHive('SYSTEM'));
    const values: Record<string, RegistryValue> = {
      Type: { type: 'dword', data: 0x10 },
      Start: { type: 'dword', data: 2 },
      Big: { type: 'dword', data: 0xfffffffe },
      ImagePath: { type: 'expand_sz', data: '"C:\\ProActive\\guestprep\\guestprep-service.exe"' },
      CommandLine: { type: 'expand_sz', data: '"%SystemRoot%\\System32\\cmd.exe" /c ""C:\\ProActive\\guestprep\\start-node.cmd""' },
      DisplayName: { type: 'sz', data: 'ProActive node' },
      Quotes: { type: 'sz', data: 'a "quoted" \\ value' },
      Accents: { type: 'sz', data: 'Nœud ProActive é' },
      Empty: { type: 'sz', data: '' },
    };
    const prefix = 'HKEY_LOCAL_MACHINE\\SYSTEM';
    const reg = join(dir, 'in.reg');
    writeFileSync(reg, regText([
      { key: `${prefix}\\ControlSet001` },
      { key: `${prefix}\\ControlSet001\\Services` },
      { key: `${prefix}\\ControlSet001\\Services\\svc`, values },
    ]));
    const m = spawnSync('hivexregedit', ['--merge', '--prefix', prefix, hive, reg], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    const x = spawnSync('hivexregedit', ['--export', '--prefix', prefix, hive, 'ControlSet001\\Services\\svc'], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const key = findRegKey(parseRegText(x.stdout), `${prefix}\\ControlSet001\\Services\\svc`);
    assert.deepEqual(compareRegValues(values, key), []);
    assert.equal(Object.keys(key!.values).length, Object.keys(values).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
