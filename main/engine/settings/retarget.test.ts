// The settings of a retarget: what is not given stays as the install record says, the URL included
// (the CLI's help promised that, and `retarget IMAGE --node-name X` used to be refused for a missing URL).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRetargetEarly, retargetSettings } from './retarget';
import { guestFacts, installRecord } from '../plan/test-fixtures';
import type { GuestFacts } from '../types';

const prepared = (): GuestFacts => ({ ...guestFacts(), existing: { path: '/opt/proactive/guestprep/install.json', record: installRecord() } });

test('a rename alone keeps the recorded manager URL, node source and workers', () => {
  checkRetargetEarly({ nodeName: 'worker-02' });
  const v = retargetSettings({ nodeName: 'worker-02' }, { guest: prepared() });
  assert.equal(v.settings.rm.url, 'pnp://old-rm:64738');
  assert.equal(v.settings.nodeName, 'worker-02');
  assert.equal(v.settings.nodeSource, 'Default');
  assert.equal(v.previous.nodeName, 'worker-01');
});

test('a new URL replaces the recorded one', () => {
  const v = retargetSettings({ rmUrl: 'pnp://new-rm:64738' }, { guest: prepared() });
  assert.equal(v.settings.rm.url, 'pnp://new-rm:64738');
  assert.equal(v.settings.nodeName, 'worker-01');
});

test('a retarget that changes nothing is refused before any launch, with the options it could take', () => {
  assert.throws(() => checkRetargetEarly({}), (e: { code?: string; fix?: string }) => e.code === 'SETTING_INVALID' && /--node-name/.test(e.fix ?? ''));
});

test('a given URL is still checked early', () => {
  assert.throws(() => checkRetargetEarly({ rmUrl: 'http://rm:8080' }), (e: { code?: string }) => e.code === 'SETTING_INVALID');
});
