import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestprepError } from '../errors';
import { checkWindowsCmdValues, isWindowsPath, resolveWindowsInstallDir, resolveWindowsServiceUser, windowsGuestPath } from './windows';

const invalid = (re: RegExp) => (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && re.test(e.message) && e.fix.length > 0;

test('install directory: default on the system drive, normalised, mapped to the guest path', () => {
  assert.equal(resolveWindowsInstallDir(undefined, 'C'), 'C:\\ProActive');
  assert.equal(resolveWindowsInstallDir(undefined, 'D'), 'D:\\ProActive');
  assert.equal(resolveWindowsInstallDir('c:/Tools/ProActive Node', 'C'), 'C:\\Tools\\ProActive Node');
  assert.equal(windowsGuestPath('C:\\ProActive'), '/ProActive');
  assert.equal(windowsGuestPath('C:\\Tools\\ProActive Node\\jre'), '/Tools/ProActive Node/jre');
  assert.ok(isWindowsPath('C:\\x') && !isWindowsPath('/opt/proactive') && !isWindowsPath(undefined));
});

test('install directory: what Windows or cmd.exe would misread is refused', () => {
  assert.throws(() => resolveWindowsInstallDir('D:\\ProActive', 'C'), invalid(/not on the system drive C:/));
  assert.throws(() => resolveWindowsInstallDir('C:\\Pro%Active', 'C'), invalid(/characters other than/));
  assert.throws(() => resolveWindowsInstallDir('C:\\a\\..\\b', 'C'), invalid(/"\." or "\.\."/));
  assert.throws(() => resolveWindowsInstallDir('C:\\', 'C'), invalid(/root of a drive/));
  assert.throws(() => resolveWindowsInstallDir('C:\\a\\', 'C'), invalid(/trailing backslash/));
  assert.throws(() => resolveWindowsInstallDir('C:\\a.\\b', 'C'), invalid(/ends with a space or a dot/));
  assert.throws(() => resolveWindowsInstallDir('C:\\con', 'C'), invalid(/reserved/));
  assert.throws(() => resolveWindowsInstallDir('C:\\Windows\\ProActive', 'C'), invalid(/Windows folder/));
  assert.throws(() => resolveWindowsInstallDir('/opt/proactive', 'C'), invalid(/not an absolute Windows path/));
});

test('service user: LocalSystem only, with a fix', () => {
  assert.equal(resolveWindowsServiceUser(undefined), 'LocalSystem');
  assert.equal(resolveWindowsServiceUser('localsystem'), 'LocalSystem');
  assert.throws(() => resolveWindowsServiceUser('proactive'), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && /Leave out --service-user/.test(e.fix));
});

test('values for the .cmd: metacharacters in JVM options are refused, naming the option', () => {
  const base = { rm: { protocol: 'pnp' as const, host: 'rm', port: 1, url: 'pnp://rm:1' }, nodeName: 'n', nodeSource: 'Default' };
  checkWindowsCmdValues({ ...base, jvmOptions: ['-Xmx1g'] });
  assert.throws(() => checkWindowsCmdValues({ ...base, jvmOptions: ['-Dx=%PATH%'] }), invalid(/JVM option "-Dx=%PATH%"/));
});

test('validateSettings on a Windows guest: Windows defaults (even when an adapter filled in the Linux ones), refusals', async () => {
  const { validateSettings } = await import('./validate');
  const { windowsGuest, modernProactive, jreInfo } = await import('../plan/test-fixtures');
  const ctx = { guest: windowsGuest(), proactive: modernProactive(), jre: jreInfo({ os: 'windows' }) };
  const a = validateSettings({ rmUrl: 'pnp://rm.example.org', installDir: '/opt/proactive', serviceUser: 'proactive' }, ctx).settings;
  assert.equal(a.installDir, 'C:\\ProActive');
  assert.equal(a.serviceUser, 'LocalSystem');
  assert.equal(a.nodeName, 'WIN10-NODE');
  assert.equal(validateSettings({ rmUrl: 'pnp://rm', installDir: 'c:\\Tools\\PA' }, ctx).settings.installDir, 'C:\\Tools\\PA');
  assert.throws(() => validateSettings({ rmUrl: 'pnp://rm', serviceUser: 'alice' }, ctx), invalid(/LocalSystem/));
  assert.throws(() => validateSettings({ rmUrl: 'pnp://rm', jvmOptions: ['-Da=1&calc'] }, ctx), invalid(/JVM option/));
  // A Linux JRE on a Windows guest.
  assert.throws(() => validateSettings({ rmUrl: 'pnp://rm' }, { ...ctx, jre: jreInfo() }), (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_OS');
});
