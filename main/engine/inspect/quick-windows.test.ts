// Pure parts of the quick Windows inspection: the version rule, MountedDevices names and blobs (MBR
// signature + offset, GPT GUID in Windows's byte order), and part-list output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dosDeviceLetter, parsePartList, parseVolumeBlob, windowsVersion } from './quick-windows';

test('version: the Windows 10 DWORDs when both are there, else CurrentVersion', () => {
  assert.deepEqual(windowsVersion(10, 0, '6.3'), { major: 10, minor: 0 });
  assert.deepEqual(windowsVersion(undefined, undefined, '6.1'), { major: 6, minor: 1 });
  // One DWORD alone does not count (libguestfs needs both).
  assert.deepEqual(windowsVersion(10, undefined, '6.3'), { major: 6, minor: 3 });
  assert.equal(windowsVersion(undefined, undefined, undefined), undefined);
  assert.equal(windowsVersion(undefined, undefined, 'six'), undefined);
});

test('MountedDevices names: only \\DosDevices\\X:, any case of the prefix', () => {
  assert.equal(dosDeviceLetter('\\DosDevices\\C:'), 'C');
  assert.equal(dosDeviceLetter('\\dosdevices\\d:'), 'd');
  assert.equal(dosDeviceLetter('\\??\\Volume{a2b3c4d5-0000-0000-0000-100000000000}'), undefined);
  assert.equal(dosDeviceLetter('\\DosDevices\\1:'), undefined);
  assert.equal(dosDeviceLetter('\\DosDevices\\C'), undefined);
});

test('MBR blob: disk signature and partition byte offset (little-endian)', () => {
  const blob = Buffer.from('9f03e25b' + '0000100000000000', 'hex');
  const v = parseVolumeBlob(blob);
  assert.ok(v && 'mbr' in v);
  assert.equal(v.mbr.signature.readUInt32LE(0), 0x5be2039f);
  assert.equal(v.mbr.offset, 0x100000n);
  // Neither 12 bytes nor DMIO: not a fixed disk volume libguestfs maps.
  assert.equal(parseVolumeBlob(Buffer.alloc(11)), undefined);
});

test('GPT blob: DMIO:ID: and the partition GUID, first three fields little-endian', () => {
  // {01234567-89AB-CDEF-0123-456789ABCDEF} as Windows stores it.
  const guid = Buffer.from('67452301' + 'ab89' + 'efcd' + '0123' + '456789abcdef', 'hex');
  const v = parseVolumeBlob(Buffer.concat([Buffer.from('DMIO:ID:', 'latin1'), guid]));
  assert.deepEqual(v, { gpt: '01234567-89ab-cdef-0123-456789abcdef' });
});

test('part-list output: partition numbers and starts', () => {
  const text = '[0] = {\n  part_num: 1\n  part_start: 65536\n  part_end: 104857599\n  part_size: 104792064\n}\n[1] = {\n  part_num: 2\n  part_start: 104857600\n  part_end: 209715199\n  part_size: 104857600\n}\n';
  assert.deepEqual(parsePartList(text), [
    { num: 1, start: 65536n },
    { num: 2, start: 104857600n },
  ]);
  assert.deepEqual(parsePartList(''), []);
});
