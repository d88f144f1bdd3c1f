// Parsing what guestfish prints for the hivex commands and binary values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHashtable, parseHivexHandles, parseOdBytes } from './hivex';

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
