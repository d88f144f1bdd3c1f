// Pure helpers of Windows inspection: the control-set choice, and which
// service ImagePaths count as a Guestprep service.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseControlSet, controlSetName, isGuestprepImagePath } from './windows';

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
