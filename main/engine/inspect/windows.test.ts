// Pure helpers of Windows inspection: guestfish output parsing, the control-set choice, and which
// service ImagePaths count as a Guestprep service.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseControlSet, controlSetName, isGuestprepImagePath, parseHashtable, parseHivexHandles, parseOdBytes } from './windows';

test('hivex handle lists as guestfish prints them', () => {
  assert.deepEqual(parseHivexHandles('[0] = {\n  hivex_value_h: 8640\n}\n[1] = {\n  hivex_value_h: 8672\n}\n'), [8640, 8672]);
  assert.deepEqual(parseHivexHandles('[0] = {\n  hivex_node_h: 4128\n}\n'), [4128]);
  assert.deepEqual(parseHivexHandles(''), []);
});

test('od bytes, including bytes >= 0x80 that a UTF-8 decode of the raw buffer would mangle', () => {
  assert.deepEqual([...parseOdBytes(' 02 00 00 00\n')], [2, 0, 0, 0]);
  assert.equal(parseOdBytes(' ff 80 01 00\n').readUInt32LE(0), 0x000180ff);
  assert.equal(parseOdBytes('').length, 0);
});

test('hashtables: drive mappings and mountpoints', () => {
  assert.deepEqual(parseHashtable('C: /dev/sda2\nD: /dev/sdb1\n'), [['C', '/dev/sda2'], ['D', '/dev/sdb1']]);
  assert.deepEqual(parseHashtable('/dev/sda1: /\n'), [['/dev/sda1', '/']]);
});

test('control set names are zero-padded to three digits', () => {
  assert.equal(controlSetName(1), 'ControlSet001');
  assert.equal(controlSetName(2), 'ControlSet002');
  assert.equal(controlSetName(12), 'ControlSet012');
});

test('Select\\Current wins over inspection, and every disagreement is said', () => {
  assert.deepEqual(chooseControlSet('ControlSet002', 2), { controlSet: 'ControlSet002' });
  const disagree = chooseControlSet('ControlSet001', 2);
  assert.equal(disagree.controlSet, 'ControlSet002');
  assert.match(disagree.note ?? '', /ControlSet001.*ControlSet002/);
  assert.equal(chooseControlSet('', 3).controlSet, 'ControlSet003');
  assert.match(chooseControlSet('', 3).note ?? '', /did not report/);
  const noSelect = chooseControlSet('ControlSet001', undefined);
  assert.equal(noSelect.controlSet, 'ControlSet001');
  assert.match(noSelect.note ?? '', /could not be read/);
  assert.equal(chooseControlSet('', undefined).controlSet, '');
  // Current = 0 is not a control set (it would name ControlSet000).
  assert.equal(chooseControlSet('ControlSet001', 0).controlSet, 'ControlSet001');
});

test('Guestprep service ImagePaths: any case, quoted, with arguments, either slash; not look-alikes', () => {
  for (const p of [
    'C:\\Guestprep\\guestprep-service.exe',
    '"C:\\Program Files\\Guestprep\\Guestprep-Service-x64.exe" --run',
    'c:/tools/GUESTPREP-SERVICE-X86.EXE',
    'guestprep-service.exe',
  ]) assert.ok(isGuestprepImagePath(p), p);
  for (const p of [
    'C:\\Tools\\guestprep-service-notes.txt',
    'C:\\tools\\rhsrvany.exe',
    '%SystemRoot%\\System32\\svchost.exe -k LocalService',
    'C:\\Tools\\myguestprep-service.exe',
    'C:\\guestprep-service.exe.bak',
  ]) assert.ok(!isGuestprepImagePath(p), p);
});
