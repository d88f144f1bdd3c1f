import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, formatError, formatRemove, formatRetarget } from './format';
import type { RetargetReport } from '../engine/run/retarget';
import type { RemoveReport } from '../engine/run/remove';

test('sizes read like a person would write them', () => {
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(100 * 1024 * 1024), '100.0 MiB');
  assert.equal(bytes(3.25 * 1024 ** 3), '3.3 GiB');
});

test('errors show code, step, message, fix and the tail of the details', () => {
  const text = formatError({
    code: 'STEP_FAILED',
    step: 'prepare-install-dir',
    message: 'Step "Prepare the install directory" failed: mkdir_p: /opt/proactive: Not a directory',
    fix: 'Choose another --install-dir.',
    detail: Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n'),
  });
  assert.match(text, /^Error \[STEP_FAILED\] in step prepare-install-dir: Step "Prepare/);
  assert.match(text, /\nFix: Choose another --install-dir\.\n/);
  assert.match(text, /line 19/);
  assert.doesNotMatch(text, /line 5\n/);
});

const timings = { checksMs: 5, launchMs: 8000, inspectMs: 5000, writeMs: 100, verifyMs: 700, commitMs: 30, totalMs: 14000 };

test('a retarget says what changed, that no archive was uploaded, and the time', () => {
  const text = formatRetarget({
    operation: 'retarget', image: { path: '/vms/n.vdi' },
    settings: { rm: { url: 'pnp://rm2:64738' }, nodeName: 'n1', nodeSource: 'Default' },
    previous: { rmUrl: 'pnp://rm1:64738', nodeName: 'n1', nodeSource: 'Default', hasCredentials: true },
    steps: [{ id: 'write-launcher', ms: 10 }, { id: 'rewrite-systemd-units', ms: 5 }, { id: 'write-install-record', ms: 2 }],
    bytesStreamed: 0, verification: { checked: 4, failures: [] }, atNextBoot: ['The node joins pnp://rm2:64738.'], warnings: [], launches: 1, hypervisor: 'tcg', timings,
  } as unknown as RetargetReport);
  assert.match(text, /^Retargeted \/vms\/n\.vdi\n/);
  assert.match(text, /Manager: +pnp:\/\/rm2:64738 \(was pnp:\/\/rm1:64738\)/);
  assert.match(text, /Node: +n1 \(unchanged\)/);
  assert.match(text, /Credentials: the installed file is kept/);
  assert.match(text, /Uploaded: +no archive \(0 bytes streamed\)/);
  assert.match(text, /appliance launches: 1 \(tcg\)\n$/);
});

test('a removal lists what it did and the next boot', () => {
  const text = formatRemove({
    operation: 'remove', image: { path: '/vms/n.vdi' },
    removed: { rmUrl: 'pnp://rm1:64738', nodeName: 'n1', installDir: '/opt/proactive', serviceName: 'proactive-node', init: 'sysvinit' },
    verification: { checked: 12, failures: [] }, atNextBoot: ['The guest no longer starts the ProActive node at boot.', 'Removed /opt/proactive.'],
    warnings: ['/opt was created by Guestprep but holds other files now: it is left in place'], launches: 1, timings,
  } as unknown as RemoveReport);
  assert.match(text, /^Removed the Guestprep node from \/vms\/n\.vdi\n/);
  assert.match(text, /Done:\n  - Removed \/opt\/proactive\.\n/);
  assert.match(text, /At next boot: The guest no longer starts/);
  assert.match(text, /! \/opt was created by Guestprep/);
});
