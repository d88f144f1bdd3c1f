import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeIntoSystemHive } from './hive-merge';
import { SYSTEM_PREFIX } from '../texts/service-reg';

test('a registry change is download, hivexregedit --merge on the host, upload back, of the same hive', () => {
  const hivePath = '/Windows/System32/config/SYSTEM';
  const [down, merge, up] = mergeIntoSystemHive(hivePath, 'Windows Registry Editor Version 5.00\r\n', 'remove-service.reg');
  assert.equal(down.argv[0], 'download');
  assert.equal(down.argv[1], hivePath);
  assert.equal(merge.local, true);
  assert.deepEqual(merge.argv.slice(0, 4), ['hivexregedit', '--merge', '--prefix', SYSTEM_PREFIX]);
  assert.equal(up.argv[0], 'upload');
  assert.equal(up.argv[2], hivePath);
  // One scratch file travels through all three; the .reg text is the merge's last argument.
  const hive = down.argv[2];
  assert.deepEqual(merge.argv[4], hive);
  assert.deepEqual(up.argv[1], hive);
  assert.deepEqual(merge.argv[5], { upload: { id: 'service-reg', kind: 'content', source: '', bytes: 0, content: 'Windows Registry Editor Version 5.00\r\n', fileName: 'remove-service.reg' } });
});
