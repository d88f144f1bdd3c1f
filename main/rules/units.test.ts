import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration } from './units';

test('sizes in binary units with one decimal, the same in the CLI and the app', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(32.5 * 1024 * 1024), '32.5 MiB');
  assert.equal(formatBytes(8 * 1024 ** 3), '8.0 GiB');
  assert.equal(formatBytes(undefined), 'unknown');
});

test('durations: ms, then seconds with a decimal, then minutes and seconds', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(2500), '2.5 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
});
