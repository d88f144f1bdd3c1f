// Pure parts of the quick Windows inspection: the version rule, MountedDevices names and blobs (MBR
// signature + offset, GPT GUID in Windows's byte order), part-list output, partition tables read from the
// disk's first sectors, and the PE machine of cmd.exe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dosDeviceLetter, parsePartitionTable, parsePartList, parseVolumeBlob, peArchitecture, windowsVersion } from './quick-windows';

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

/** A PE header with this machine field (the layout file(1) and Windows read). */
function pe(machine: number): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  return b;
}

test('PE machine: i386 and x86_64; anything else is left to file-architecture', () => {
  assert.equal(peArchitecture(pe(0x14c)), 'i386');
  assert.equal(peArchitecture(pe(0x8664)), 'x86_64');
  assert.equal(peArchitecture(pe(0xaa64)), undefined);
  assert.equal(peArchitecture(Buffer.from('#!/bin/sh\n')), undefined);
  const truncated = pe(0x14c).subarray(0, 0x82);
  assert.equal(peArchitecture(truncated), undefined);
});

function mbr(entries: Array<{ type: number; lba: number }>, signature = 0x5be2039f): Buffer {
  const b = Buffer.alloc(512 * 34);
  b.writeUInt32LE(signature, 0x1b8);
  entries.forEach((e, i) => {
    b[0x1be + 16 * i + 4] = e.type;
    b.writeUInt32LE(e.lba, 0x1be + 16 * i + 8);
  });
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

test('MBR: signature and primary partitions by slot, byte offsets of 512-byte sectors', () => {
  const t = parsePartitionTable(mbr([{ type: 0x07, lba: 2048 }, { type: 0, lba: 0 }, { type: 0x07, lba: 206848 }]));
  assert.ok(t);
  assert.equal(t.type, 'msdos');
  assert.equal(t.signature?.readUInt32LE(0), 0x5be2039f);
  assert.deepEqual(t.partitions, [{ num: 1, start: 1048576n }, { num: 3, start: 105906176n }]);
  assert.equal(t.complete, true);
  // An extended partition hides logical ones: part-list must be asked for those.
  assert.equal(parsePartitionTable(mbr([{ type: 0x07, lba: 2048 }, { type: 0x0f, lba: 4096 }]))?.complete, false);
  // No boot signature: not a partition table.
  const blank = mbr([]);
  blank[510] = 0;
  assert.equal(parsePartitionTable(blank), undefined);
});

test('GPT: partitions by slot with their unique GUIDs, behind the protective MBR', () => {
  const b = mbr([{ type: 0xee, lba: 1 }]);
  b.write('EFI PART', 512, 'latin1');
  b.writeBigUInt64LE(2n, 512 + 72);
  b.writeUInt32LE(128, 512 + 80);
  b.writeUInt32LE(128, 512 + 84);
  // Slot 0 unused, slot 1: a basic data partition at LBA 264192.
  const e = 1024 + 128;
  Buffer.from('a2a0d0ebe5b9334487c068b6b72699c7', 'hex').copy(b, e);
  Buffer.from('67452301ab89efcd0123456789abcdef', 'hex').copy(b, e + 16);
  b.writeBigUInt64LE(264192n, e + 32);
  const t = parsePartitionTable(b);
  assert.deepEqual(t, { type: 'gpt', partitions: [{ num: 2, start: 264192n * 512n, guid: '01234567-89ab-cdef-0123-456789abcdef' }], complete: true });
  // Entries beyond what was read: incomplete, so part-list answers.
  assert.equal(parsePartitionTable(b.subarray(0, 2048))?.complete, false);
  // A protective MBR without its GPT header is not understood.
  assert.equal(parsePartitionTable(mbr([{ type: 0xee, lba: 1 }])), undefined);
});
