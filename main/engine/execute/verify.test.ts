import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStat } from './verify';

test('lstatns output is parsed into mode, uid and gid', () => {
  const out = 'st_dev: 2049\nst_ino: 17\nst_mode: 33261\nst_nlink: 1\nst_uid: 0\nst_gid: 0\nst_size: 5\n';
  assert.deepEqual(parseStat(out), { mode: 0o100755, uid: 0, gid: 0 });
  assert.equal(parseStat('st_mode: 1\n'), undefined);
});
