// One schema per contract call: what the page sends is checked before any handler sees it. These tests pin
// the coverage (no call without a schema), the bounds the issue asked for, and that the facts the engine
// itself produces (inspection, archive detection) pass unchanged, so valid pages are never refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALL_NAMES, type CallName } from './contract';
import { CALL_SCHEMAS, MAX_HISTORY_LIMIT, MAX_PATH, parseCallRequest } from './schemas';
import { GuestprepError } from '../engine/errors';
import { guestFacts, installRecord, jreInfo, legacyProactive, modernProactive, rcLocalGuest, sysvGuest, windowsGuest } from '../engine/plan/test-fixtures';

function refusal(call: CallName, req: unknown): GuestprepError {
  try {
    parseCallRequest(call, req);
  } catch (e) {
    assert.ok(e instanceof GuestprepError, String(e));
    return e;
  }
  assert.fail(`${call} accepted ${JSON.stringify(req).slice(0, 200)}`);
}

test('every call of the contract has a schema, and no schema names a call the contract does not have', () => {
  assert.deepEqual(CALL_NAMES.filter((c) => !(c in CALL_SCHEMAS)), []);
  assert.deepEqual(Object.keys(CALL_SCHEMAS).filter((c) => !(CALL_NAMES as readonly string[]).includes(c)), []);
});

test('the four requests of the issue are refused as SETTING_INVALID naming their field', () => {
  const limit = refusal('history.list', { limit: 1e300 });
  assert.equal(limit.code, 'SETTING_INVALID');
  assert.equal(limit.field, 'limit');
  assert.match(limit.message, /^history\.list: limit must be at most 1000/);

  const guest = refusal('plan.preview', { image: '/v.vdi', guest: {}, imageInfo: { path: '/v.vdi', format: 'vdi', virtualSize: 1, fileSize: 1 }, proactive: modernProactive(), settings: { rmUrl: 'pnp://rm' } });
  assert.equal(guest.field, 'guest.root');
  assert.match(guest.message, /guest\.root is missing/);

  const preset = refusal('run.start', { image: '/v.vdi', proactive: '/p.zip', settings: { rmUrl: 'pnp://rm' }, preset: 'x'.repeat(1024 * 1024) });
  assert.equal(preset.field, 'preset');
  assert.match(preset.message, /preset is longer than/);

  const path = refusal('presets.save', { name: 'Lab', data: { proactive: `/${'p'.repeat(1024 * 1024)}`, settings: { rmUrl: 'pnp://rm' } } });
  assert.equal(path.field, 'data.proactive');
  assert.match(path.message, new RegExp(`data\\.proactive is longer than ${MAX_PATH} characters`));
});

test('numbers are bounded integers: the history limit is 1..1000', () => {
  for (const limit of [0, -1, 1.5, MAX_HISTORY_LIMIT + 1, Number.MAX_SAFE_INTEGER, '10']) {
    assert.equal(refusal('history.list', { limit }).field, 'limit', String(limit));
  }
  for (const limit of [1, 200, MAX_HISTORY_LIMIT]) assert.deepEqual(parseCallRequest('history.list', { limit }), { limit });
  // JSON has no undefined: null means "not given", as the page's optional fields do.
  assert.deepEqual(JSON.parse(JSON.stringify(parseCallRequest('history.list', { text: null, outcome: null }))), {});
});

test('settings are checked field by field, strictly, and the fix names the setting', () => {
  const unknown = refusal('run.start', { image: '/v.vdi', proactive: '/p.zip', settings: { rmUrl: 'pnp://rm', shell: 'x' } });
  assert.equal(unknown.field, 'settings');
  assert.match(unknown.message, /unknown field "shell"/);
  const long = refusal('settings.validate', { settings: { rmUrl: 'pnp://rm', nodeName: 'n'.repeat(300) }, guest: guestFacts(), proactive: modernProactive() });
  assert.equal(long.field, 'settings.nodeName');
  assert.match(long.fix, /Correct the setting nodeName/);
  const jvm = refusal('run.startBatch', { images: ['/a.vdi'], proactive: '/p.zip', settings: { rmUrl: 'pnp://rm', jvmOptions: '-Xmx1g' } });
  assert.equal(jvm.field, 'settings.jvmOptions');
  assert.match(jvm.message, /must be a list/);
});

test('requests that are not objects, or carry unknown fields, are refused', () => {
  for (const bad of [undefined, null, 'x', 3, ['a']]) assert.equal(refusal('presets.list', bad).code, 'SETTING_INVALID');
  assert.match(refusal('image.inspect', { image: '/v.vdi', extra: 1 }).message, /unknown field "extra"/);
  assert.equal(refusal('run.startBatch', { images: [], proactive: '/p.zip', settings: { rmUrl: 'pnp://rm' } }).field, 'images');
  assert.equal(refusal('archive.detect', { path: '/a.zip', role: 'other' }).field, 'role');
});

test('the facts the engine produces pass unchanged (Linux flavours, Windows, an existing install)', () => {
  const imageInfo = { path: '/vms/n.vdi', format: 'vdi' as const, subformat: 'dynamic', virtualSize: 8 << 30, fileSize: 1 << 30 };
  const guests = [
    guestFacts(),
    sysvGuest(),
    rcLocalGuest('#!/bin/sh\nexit 0\n'),
    windowsGuest(),
    guestFacts({ existing: { record: installRecord(), path: '/opt/proactive/guestprep/install.json' }, dirsPresent: { '/opt': true } }),
  ];
  for (const guest of guests) {
    // Node distributions of one OS carry one start script only (a Windows one: only the .bat).
    const windowsOnly = { ...modernProactive(), startScript: undefined, windowsStartScript: 'bin/proactive-node.bat' };
    const { windowsStartScript: _w, ...linuxOnly } = modernProactive({ windowsStartScript: 'bin/proactive-node.bat' });
    for (const proactive of [modernProactive(), legacyProactive(), windowsOnly, linuxOnly]) {
      const req = { image: imageInfo.path, guest, imageInfo, jre: jreInfo(), proactive, settings: { rmUrl: 'pnp://rm', workers: 2, jvmOptions: ['-Xmx1g'] } };
      assert.deepEqual(parseCallRequest('plan.preview', req), req);
    }
  }
});

test('a node distribution without any start script is refused, naming the field', () => {
  const { startScript: _s, windowsStartScript: _w, ...none } = modernProactive({ windowsStartScript: 'bin/proactive-node.bat' });
  const e = refusal('settings.validate', { settings: { rmUrl: 'pnp://rm' }, guest: guestFacts(), proactive: none });
  assert.equal(e.code, 'SETTING_INVALID');
  assert.match(e.field ?? '', /^proactive/);
});
