// The archive-vs-guest rules as the page meets them (a fit, not an exception); the engine's wrappers are
// tested with their error codes in archive/detect.test.ts and settings/validate.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archivesFit, javaFit, normaliseArch, proactiveFit } from './guest-fit';

const linux = { osType: 'linux', arch: 'x86_64' };
const windows = { osType: 'windows', arch: 'x86_64' };

test('Java: a wrong OS or CPU is a problem with its code; 32-bit builds and unknowns are warnings', () => {
  assert.equal(javaFit({ os: 'windows', arch: 'x86_64' }, linux).problem?.code, 'JRE_WRONG_OS');
  assert.match(javaFit({ os: 'windows', arch: 'x86_64' }, linux).problem!.fix, /jre_x64_linux/);
  assert.equal(javaFit({ os: 'linux', arch: 'aarch64' }, linux).problem?.code, 'JRE_WRONG_ARCH');
  assert.match(javaFit({ os: 'linux', arch: 'i386' }, linux).warnings[0]!, /32-bit/);
  assert.match(javaFit({ os: 'windows', arch: 'x86' }, windows).warnings[0]!, /WOW64/);
  assert.equal(javaFit({ os: 'unknown', arch: 'amd64' }, linux).warnings.length, 1);
  assert.deepEqual(javaFit({ os: 'linux', arch: 'x64' }, linux), { warnings: [] });
  assert.equal(normaliseArch('AMD64'), 'x86_64');
});

test('ProActive: only an archive without the start script of the guest\'s OS is refused', () => {
  const pa = (scripts: { startScript?: string; windowsStartScript?: string }, generation: 'modern' | 'legacy' = 'modern') =>
    ({ archivePath: '/dl/node.zip', generation, version: '13.0.0', ...scripts });
  assert.deepEqual(proactiveFit(pa({ windowsStartScript: 'bin/proactive-node.bat' }), windows), { warnings: [] });
  assert.deepEqual(proactiveFit(pa({ startScript: 'bin/proactive-node' }), linux), { warnings: [] });
  assert.match(proactiveFit(pa({ windowsStartScript: 'bin/proactive-node.bat' }), linux).problem!.fix, /activeeon_enterprise-node-linux-x64-13\.0\.0\.zip/);
  assert.equal(proactiveFit(pa({ startScript: 'bin/unix/rm-start-node' }, 'legacy'), windows).problem!.message,
    'node.zip is the ProActive node distribution for Linux: it has bin/unix/rm-start-node but not bin\\windows\\rm-start-node.bat, the start script the node needs in this Windows guest.');
});

test('all archives: the Java runtime first, then the distribution, warnings gathered on the way', () => {
  const f = archivesFit({ jre: { os: 'linux', arch: 'i386' }, proactive: { archivePath: 'n.zip', generation: 'modern', version: '13', windowsStartScript: 'bin/proactive-node.bat' } }, linux);
  assert.equal(f.problem?.code, 'PROACTIVE_NOT_FOUND');
  assert.equal(f.warnings.length, 1);
  assert.equal(archivesFit({ jre: { os: 'windows', arch: 'x64' }, proactive: { archivePath: 'n.zip', generation: 'modern', version: '13' } }, linux).problem?.code, 'JRE_WRONG_OS');
});
