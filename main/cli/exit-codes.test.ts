import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, exitCodeFor } from './exit-codes';

test('exit codes group errors by what the user must change', () => {
  assert.equal(exitCodeFor('SETTING_INVALID'), EXIT.usage);
  assert.equal(exitCodeFor('IMAGE_LOCKED'), EXIT.imageRefused);
  assert.equal(exitCodeFor('IMAGE_DIFFERENCING_VDI'), EXIT.imageRefused);
  assert.equal(exitCodeFor('GUEST_NO_SPACE'), EXIT.guestRefused);
  assert.equal(exitCodeFor('GUEST_NOT_PREPARED'), EXIT.guestRefused, 'retarget/remove on an image without a Guestprep install');
  assert.equal(exitCodeFor('JRE_WRONG_OS'), EXIT.archiveRefused);
  assert.equal(exitCodeFor('ARCHIVE_UNSAFE_ENTRY'), EXIT.archiveRefused);
  assert.equal(exitCodeFor('APPLIANCE_CACHE_BROKEN'), EXIT.environment);
  assert.equal(exitCodeFor('STEP_FAILED'), EXIT.runFailed);
  assert.equal(exitCodeFor('CANCELLED'), 130);
  assert.equal(exitCodeFor('INTERNAL'), 70);
});
