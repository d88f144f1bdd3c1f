import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from '../build';
import { renderScript } from '../render';
import { jreInfo, legacyProactive, matchGolden, modernProactive, NOW, planArgvs, VERSION, windowsGuest, windowsSettings, writtenFiles } from '../test-fixtures';
import { parseRegText, findRegKey, compareRegValues } from '../../quote/reg';
import { GuestprepError } from '../../errors';
import type { Expectation, Plan, UploadRef } from '../../types';

const winJre = jreInfo({ archivePath: '/home/alice/Downloads/OpenJDK17U-jre_x64_windows_hotspot_17.0.9_9.zip', kind: 'zip', os: 'windows' });
const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: windowsGuest(),
  settings: windowsSettings({ workers: 2 }),
  jre: winJre,
  proactive: modernProactive(),
  guestprepVersion: VERSION,
  now: NOW,
  wrapperPath: (arch) => `/usr/lib/guestprep/resources/windows/bin/guestprep-service-${arch}.exe`,
  ...over,
});
const legacyInput = () => input({
  guest: windowsGuest({ productName: 'Windows 7 Professional', majorVersion: 6, minorVersion: 1, arch: 'i386', currentControlSet: 'ControlSet001', inspectedControlSet: 'ControlSet001' }, { arch: 'i386', hostname: 'WIN7-NODE' }),
  settings: windowsSettings({ rm: { protocol: 'rmi', host: 'rm.example.org', port: 1099, url: 'rmi://rm.example.org:1099' }, nodeName: 'WIN7-NODE', jvmOptions: [] }),
  jre: jreInfo({ archivePath: '/home/alice/Downloads/jre-8u392-windows-i586.zip', kind: 'zip', os: 'windows', arch: 'i386', version: '1.8.0_392', major: 8 }),
  proactive: legacyProactive(),
});
const render = (p: Plan) => renderScript(p, { image: '/vms/Windows 10 (64)/Windows 10 (64).vdi', format: 'vdi', uploadPath: (r: UploadRef) => (r.kind === 'file' ? r.source : `/tmp/guestprep-dry-run/win.${r.fileName ?? `${r.id}.tar`}`) });
const contentRef = (plan: Plan, id: string) => plan.steps.flatMap((s) => s.commands.flatMap((c) => c.argv)).map((a) => (typeof a === 'string' ? undefined : a.upload)).find((u) => u?.id === id);

test('Windows 10 x64 with a 6.2+ node: the whole rendered script (golden)', () => {
  const { expected, actual } = matchGolden('windows-modern.gf', render(buildPlan(input())));
  assert.equal(actual, expected);
});

test('Windows 7 x86 with a 3.x node: the whole rendered script (golden)', () => {
  const { expected, actual } = matchGolden('windows-legacy.gf', render(buildPlan(legacyInput())));
  assert.equal(actual, expected);
});

test('the steps, in order, and every file under C:\\ProActive as guest paths', () => {
  const plan = buildPlan(input());
  assert.deepEqual(plan.steps.map((s) => s.id), [
    'prepare-install-dir', 'upload-jre', 'upload-proactive', 'create-logs-dir', 'write-start-cmd', 'install-service-wrapper', 'register-service', 'write-install-record',
  ]);
  const argv = planArgvs(plan);
  assert.deepEqual(argv[0], ['mkdir-p', '/ProActive']);
  assert.ok(argv.some((a) => a[0] === 'tar-in' && a[2] === '/ProActive/jre'));
  assert.ok(argv.some((a) => a[0] === 'tar-in' && a[2] === '/ProActive/node'));
  assert.ok(argv.some((a) => a[0] === 'mkdir-p' && a[1] === '/ProActive/node/logs'));
  assert.ok(argv.some((a) => a[0] === 'upload' && a[2] === '/ProActive/guestprep/guestprep-service.exe'));
  assert.ok(!argv.some((a) => a[0] === 'chown' || a[0] === 'chmod'), 'NTFS: no owners or modes');
  const wrapper = contentRef(plan, 'wrapper')!;
  assert.equal(wrapper.source, '/usr/lib/guestprep/resources/windows/bin/guestprep-service-x64.exe');
  assert.equal(contentRef(buildPlan(legacyInput()), 'wrapper')!.source, '/usr/lib/guestprep/resources/windows/bin/guestprep-service-x86.exe');
  const reg = plan.steps.find((s) => s.id === 'register-service')!.commands;
  assert.equal(reg.length, 3, 'download, merge on the host, upload: in the same session');
  assert.equal(reg[0].argv[0], 'download');
  assert.equal(reg[0].argv[1], '/Windows/System32/config/SYSTEM');
  assert.equal(reg[1].local, true);
  assert.deepEqual(reg[1].argv.slice(0, 4), ['hivexregedit', '--merge', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM']);
  assert.equal(reg[2].argv[0], 'upload');
  assert.equal(plan.record.init, 'windows-service');
  assert.equal(plan.record.installDir, 'C:\\ProActive');
  assert.equal(plan.record.serviceUser, 'LocalSystem');
  assert.deepEqual(plan.record.windowsService, { controlSet: 'ControlSet002', key: 'ControlSet002\\Services\\proactive-node' });
});

test('start-node.cmd (6.2+): CRLF, JAVA_HOME, JAVA_OPTS, cd /d to bin, call proactive-node.bat with workers', () => {
  const text = writtenFiles(buildPlan(input()))
    .get('/ProActive/guestprep/start-node.cmd')!;
  assert.ok(!/[^\r]\n/.test(text), 'CRLF only');
  const lines = text.split('\r\n');
  assert.equal(lines[0], '@echo off');
  assert.ok(lines.includes('set "JAVA_HOME=C:\\ProActive\\jre"'));
  assert.ok(lines.includes('set "JAVA_OPTS=-XX:+IgnoreUnrecognizedVMOptions -Xmx1g"'));
  assert.ok(lines.includes('cd /d "C:\\ProActive\\node\\bin" || exit /b 1'));
  assert.ok(lines.includes('call "C:\\ProActive\\node\\bin\\proactive-node.bat" -r pnp://rm.example.org:64738 -s Default -n WIN10-NODE -w 2'));
  assert.equal(lines.at(-2), 'exit /b %ERRORLEVEL%');
  // With credentials, and with only the bundled JRE.
  const withCreds = writtenFiles(buildPlan(input({ jre: undefined, proactive: modernProactive({ bundledJre: { major: 17, version: '17.0.9', os: 'windows', arch: 'x86_64' } }), settings: windowsSettings({ credentials: { hostPath: '/home/alice/rm.cred', bytes: 100 } }) })))
    .get('/ProActive/guestprep/start-node.cmd')!;
  assert.ok(withCreds.includes('set "JAVA_HOME=C:\\ProActive\\node\\jre"'));
  assert.ok(withCreds.includes(' -f "C:\\ProActive\\guestprep\\credentials.cred"\r\n'));
});

test('start-node.cmd (3.x): rm-start-node.bat under bin\\windows, -r -n -s, no workers', () => {
  const text = writtenFiles(buildPlan(legacyInput())).get('/ProActive/guestprep/start-node.cmd')!;
  assert.ok(text.includes('cd /d "C:\\ProActive\\node\\bin\\windows" || exit /b 1\r\n'));
  assert.ok(text.includes('call "C:\\ProActive\\node\\bin\\windows\\rm-start-node.bat" -r rmi://rm.example.org:1099 -n WIN7-NODE -s Default\r\n'));
  assert.ok(text.includes('set "JAVA_OPTS="\r\n'));
});

test('service.reg: every value in the current control set, and the registry expectations match it', () => {
  const plan = buildPlan(input());
  const reg = contentRef(plan, 'service-reg')!;
  assert.equal(reg.kind, 'content');
  const keys = parseRegText(reg.content!);
  const svc = findRegKey(keys, 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node')!;
  assert.deepEqual(svc.values, {
    Type: { type: 'dword', data: 0x10 },
    Start: { type: 'dword', data: 2 },
    ErrorControl: { type: 'dword', data: 1 },
    ImagePath: { type: 'expand_sz', data: '"C:\\ProActive\\guestprep\\guestprep-service.exe"' },
    DisplayName: { type: 'sz', data: 'ProActive node' },
    Description: { type: 'sz', data: 'ProActive node WIN10-NODE for pnp://rm.example.org:64738, installed by Guestprep.' },
    ObjectName: { type: 'sz', data: 'LocalSystem' },
  });
  const params = findRegKey(keys, 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node\\Parameters')!;
  assert.deepEqual(params.values, {
    CommandLine: { type: 'expand_sz', data: '"%SystemRoot%\\System32\\cmd.exe" /c ""C:\\ProActive\\guestprep\\start-node.cmd""' },
    WorkingDirectory: { type: 'sz', data: 'C:\\ProActive\\node' },
    LogFile: { type: 'sz', data: 'C:\\ProActive\\node\\logs\\guestprep-service.log' },
  });
  assert.ok(!/ControlSet001/.test(reg.content!));
  const regExp = plan.expectations.filter((e): e is Extract<Expectation, { kind: 'registry' }> => e.kind === 'registry');
  assert.equal(regExp.length, 2);
  for (const e of regExp) {
    assert.equal(e.hivePath, '/Windows/System32/config/SYSTEM');
    assert.deepEqual(compareRegValues(e.values, findRegKey(keys, `${e.prefix}\\${e.key}`)), []);
  }
  for (const p of ['/ProActive/jre/bin/java.exe', '/ProActive/node/bin/proactive-node.bat', '/ProActive/guestprep/guestprep-service.exe', '/ProActive/guestprep/install.json']) {
    assert.ok(plan.expectations.some((e) => e.kind === 'present' && e.path === p && e.type === 'file'), p);
  }
  assert.ok(plan.expectations.some((e) => e.kind === 'present' && e.path === '/ProActive/guestprep/start-node.cmd' && e.contains === 'pnp://rm.example.org:64738'));
  assert.match(plan.atNextBoot.join(' '), /Windows starts the service proactive-node .* registered in ControlSet002/);
});

test('an earlier Guestprep service is deleted first, so no stale value survives', () => {
  const plan = buildPlan(input({ guest: windowsGuest({ existingService: { name: 'old-node', imagePath: '"C:\\ProActive\\guestprep\\guestprep-service.exe"', parameters: {} } }) }));
  const text = contentRef(plan, 'service-reg')!.content!;
  assert.ok(text.includes('[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\old-node]\r\n'));
  assert.ok(text.includes('[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node]\r\n'));
  assert.ok(text.indexOf('[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node]') < text.indexOf('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node]'));
  assert.deepEqual(planArgvs(plan).slice(0, 2), [['rm-rf', '/ProActive/jre'], ['rm-rf', '/ProActive/node']]);
});

test('refusals: no Windows start script, an unknown architecture, no JRE for 3.x', () => {
  assert.throws(() => buildPlan(input({ proactive: modernProactive({ windowsStartScript: undefined }) })), (e: unknown) => e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND');
  assert.throws(() => buildPlan(input({ guest: windowsGuest({ arch: 'aarch64' }, { arch: 'aarch64' }) })), (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_UNSUPPORTED_OS');
  assert.throws(() => buildPlan({ ...legacyInput(), jre: undefined }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
});

test('updating: only files of the earlier install that this run does not write again are removed (never folders)', async () => {
  const { installRecord } = await import('../test-fixtures');
  const files = ['/ProActive', '/ProActive/guestprep', '/ProActive/jre', '/ProActive/node', '/ProActive/node/logs', '/ProActive/guestprep/credentials.cred',
    '/ProActive/guestprep/start-node.cmd', '/ProActive/guestprep/guestprep-service.exe', '/ProActive/guestprep/install.json', '/Windows/System32/config/SYSTEM'];
  const plan = buildPlan(input({ guest: windowsGuest({}, { existing: { path: '/ProActive/guestprep/install.json', record: installRecord({ installDir: 'C:\\ProActive', init: 'windows-service', files }) } }) }));
  const prep = planArgvs(plan).filter((a) => a[0] === 'rm-f' || a[0] === 'rm-rf');
  assert.deepEqual(prep, [['rm-rf', '/ProActive/jre'], ['rm-rf', '/ProActive/node'], ['rm-f', '/ProActive/guestprep/credentials.cred']]);
  assert.ok(plan.expectations.some((e) => e.kind === 'absent' && e.path === '/ProActive/guestprep/credentials.cred'));
  assert.ok(plan.warnings.some((w) => /already had a Guestprep install in C:\\ProActive/.test(w)));
});
