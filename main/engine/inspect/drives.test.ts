import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driveOf, onDrive, onOwnDrive } from './drives';

test('driveOf and onDrive map devices to the drives of a multi-disk appliance', () => {
  assert.equal(driveOf('/dev/sda1'), 0);
  assert.equal(driveOf('/dev/sdb'), 1);
  assert.equal(driveOf('/dev/vdz3'), 25);
  assert.equal(driveOf('/dev/sdaa1'), 26);
  assert.equal(driveOf('/dev/mapper/vg-root'), undefined);
  assert.equal(onDrive('/dev/sda2', 1), '/dev/sdb2');
  assert.equal(onDrive('/dev/sdb1', 0), '/dev/sda1');
  assert.equal(onDrive('/dev/sda1', 26), '/dev/sdaa1');
  assert.equal(onDrive('/dev/vg/lv', 1), undefined);
});

test('drives after the guest disks are Guestprep\'s own (archive disks): never part of the guest', () => {
  assert.equal(onOwnDrive('/dev/sdb', 1), true);
  assert.equal(onOwnDrive('/dev/sdc1', 1), true);
  assert.equal(onOwnDrive('/dev/sda2', 1), false);
  assert.equal(onOwnDrive('/dev/sdh1', 8), false, 'the eighth guest of a batch');
  assert.equal(onOwnDrive('/dev/sdi', 8), true);
  assert.equal(onOwnDrive('/dev/sdb', undefined), false, 'no archive disks: every drive is a guest disk');
  assert.equal(onOwnDrive('/dev/mapper/vg-root', 1), false, 'mapped devices are the guest\'s');
});
