import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coveringMountpoint, parseMountpoints, parseStatvfsFree } from './guest';

test('mountpoints are parsed and ordered shortest first (mount order)', () => {
  const mps = parseMountpoints('/opt: /dev/sda3\n/: /dev/sda1\n/boot: /dev/sda2\n');
  assert.deepEqual(
    mps.map((m) => m.mountpoint),
    ['/', '/opt', '/boot'],
  );
  assert.equal(mps[1].device, '/dev/sda3');
});

test('the filesystem receiving the install dir is the longest covering mountpoint', () => {
  assert.equal(coveringMountpoint('/opt/proactive', ['/', '/opt', '/boot']), '/opt');
  assert.equal(coveringMountpoint('/opt/proactive', ['/', '/op']), '/');
  assert.equal(coveringMountpoint('/usr/local/pa', ['/', '/usr']), '/usr');
});

test('free space is bavail * frsize (root-reserved blocks do not count)', () => {
  const text = 'bsize: 4096\nfrsize: 1024\nblocks: 100\nbfree: 80\nbavail: 70\nfiles: 10\n';
  assert.equal(parseStatvfsFree(text), 70 * 1024);
  assert.equal(parseStatvfsFree('garbage'), 0);
});
