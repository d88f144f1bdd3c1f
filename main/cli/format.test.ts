import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, formatError } from './format';

test('sizes read like a person would write them', () => {
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KB');
  assert.equal(bytes(100 * 1024 * 1024), '100 MB');
  assert.equal(bytes(3.25 * 1024 ** 3), '3.3 GB');
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
