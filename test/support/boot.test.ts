import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConsole } from './boot';

// Shaped like a real capture: CRLF line ends, kernel noise, a terminal reset glued to a marker.
const CAPTURE = [
  '\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)',
  'Booting from ROM...',
  '\x1bc\x1b[?7l\x1b[2J',
  'GUESTPREP-BOOTED',
  '[   12.5] random: crng init done',
  '',
  'GUESTPREP-RECORD-BEGIN',
  'start-script=/opt/proactive/node/bin/proactive-node',
  'user=proactive-node',
  'arg=-r',
  'arg=pnp://rm.example.org:64738',
  'java-ran',
  'GUESTPREP-RECORD-END',
  'GUESTPREP-PS-BEGIN',
  'USER                             COMMAND',
  'proactive-node                   sleep 100000',
  'GUESTPREP-PS-END',
  '[   30.1] reboot: Power down',
  '',
].join('\r\n');

test('parseConsole finds the markers through CRLF and terminal resets', () => {
  const r = parseConsole(CAPTURE);
  assert.equal(r.booted, true);
  assert.equal(r.watcherTimedOut, false);
  assert.equal(r.record, [
    'start-script=/opt/proactive/node/bin/proactive-node', 'user=proactive-node', 'arg=-r', 'arg=pnp://rm.example.org:64738', 'java-ran', '',
  ].join('\n'));
  assert.match(r.ps ?? '', /^proactive-node +sleep 100000$/m);
  assert.equal(r.diagnostics, undefined);
});

test('parseConsole: a marker glued after an escape sequence still counts', () => {
  assert.equal(parseConsole('\x1bc\x1b[?7l\x1b[2JGUESTPREP-BOOTED\r\n').booted, true);
});

test('parseConsole: a marker inside a longer line does not count', () => {
  const r = parseConsole('echo GUESTPREP-BOOTED\nnot GUESTPREP-RECORD-TIMEOUT here\n');
  assert.equal(r.booted, false);
  assert.equal(r.watcherTimedOut, false);
});

test('parseConsole: no boot at all', () => {
  const r = parseConsole('SeaBIOS\r\nBooting from ROM...\r\nKernel panic - not syncing: VFS: Unable to mount root fs\r\n');
  assert.deepEqual(r, { booted: false, watcherTimedOut: false });
});

test('parseConsole: watcher timeout gives diagnostics and no record', () => {
  const r = parseConsole('GUESTPREP-BOOTED\r\n\r\nGUESTPREP-RECORD-TIMEOUT\r\n--- ls -laR /opt\r\n/opt:\r\nGUESTPREP-DIAG-END\r\n');
  assert.equal(r.booted, true);
  assert.equal(r.watcherTimedOut, true);
  assert.equal(r.record, undefined);
  assert.equal(r.diagnostics, '--- ls -laR /opt\n/opt:\n');
});

test('parseConsole: a record cut off by the timeout (no END marker) is not a record', () => {
  const r = parseConsole('GUESTPREP-BOOTED\nGUESTPREP-RECORD-BEGIN\nstart-script=/x\n');
  assert.equal(r.record, undefined);
});

test('parseConsole: an empty record is an empty string, not missing', () => {
  assert.equal(parseConsole('GUESTPREP-RECORD-BEGIN\nGUESTPREP-RECORD-END\n').record, '');
});
