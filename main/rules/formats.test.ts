import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARCHIVE_EXTENSIONS, ARCHIVE_FILES_TEXT, DISK_EXTENSIONS, DISK_FILES_TEXT, partitionByExtension, takesVirtualBoxFormat } from './formats';

test('the words of messages and the picker filters come from the one table', () => {
  assert.deepEqual(DISK_EXTENSIONS, ['.vdi', '.vmdk', '.vhd', '.vhdx', '.qcow2', '.img', '.raw']);
  assert.equal(DISK_FILES_TEXT, '.vdi, .vmdk, .vhd, .vhdx, .qcow2 or a raw .img');
  assert.deepEqual(ARCHIVE_EXTENSIONS, ['.tar.gz', '.tgz', '.tar.xz', '.txz', '.tar', '.zip']);
  assert.equal(ARCHIVE_FILES_TEXT, '.tar.gz / .tgz, .tar.xz, .tar or .zip');
  assert.equal(takesVirtualBoxFormat('VHD'), true);
  assert.equal(takesVirtualBoxFormat('parallels'), false);
});

test('files are accepted by extension, case-insensitively, in the order given', () => {
  const r = partitionByExtension([{ name: 'a.RAW' }, { name: 'b.iso' }, { name: 'c.vhd' }, { name: 'README' }], DISK_EXTENSIONS, 'a disk image');
  assert.deepEqual(r.accepted.map((f) => f.name), ['a.RAW', 'c.vhd']);
  assert.match(r.refused[0]!.reason, /^\.iso is not a disk image/);
  assert.match(r.refused[1]!.reason, /^\(no extension\)/);
  assert.equal(partitionByExtension([{ name: 'jre.tar.xz' }, { name: 'x.gz' }], ARCHIVE_EXTENSIONS, 'an archive').accepted.length, 1);
});
