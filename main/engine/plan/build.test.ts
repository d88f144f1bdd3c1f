import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, requiredBytes, type BuildPlanInput } from './build';
import { GuestprepError, type ErrorCode } from '../errors';
import { shUnquote, systemdExecSplit, gfUnquote } from '../quote/roundtrip';
import { renderCommand } from '../quote/guestfish';
import {
  guestFacts, installRecord, jreInfo, legacyProactive, modernProactive, nodeSettings, NOW, planArgvs, rcLocalGuest, sysvGuest, VERSION, writtenFiles,
} from './test-fixtures';

const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: guestFacts(), settings: nodeSettings(), jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});

function rejects(fn: () => unknown, code: ErrorCode, re: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof GuestprepError && e.code === code && re.test(e.message) && e.fix.length > 0);
}

const ids = (p: ReturnType<typeof buildPlan>) => p.steps.map((s) => s.id);

test('step ids per flavour, in order', () => {
  const common = ['prepare-install-dir', 'upload-jre', 'upload-proactive', 'create-logs-dir', 'write-launcher'];
  assert.deepEqual(ids(buildPlan(input())), [...common, 'install-systemd-units', 'enable-systemd-service', 'write-install-record']);
  assert.deepEqual(ids(buildPlan(input({ guest: sysvGuest() }))), [...common, 'install-init-script', 'link-runlevels', 'write-install-record']);
  assert.deepEqual(ids(buildPlan(input({ guest: rcLocalGuest() }))), [...common, 'install-control-script', 'edit-rc-local', 'write-install-record']);
  const withCreds = buildPlan(input({ settings: nodeSettings({ credentials: { hostPath: '/h/rm.cred', bytes: 321 } }) }));
  assert.deepEqual(ids(withCreds).slice(0, 6), ['prepare-install-dir', 'upload-jre', 'upload-proactive', 'create-logs-dir', 'install-credentials', 'write-launcher']);
  const bundledOnly = buildPlan(input({ jre: undefined, proactive: modernProactive({ bundledJre: { major: 17, version: '17.0.9', os: 'linux', arch: 'x86_64' } }) }));
  assert.ok(!ids(bundledOnly).includes('upload-jre'));
});

test('the common steps: exact commands', () => {
  const plan = buildPlan(input({ settings: nodeSettings({ credentials: { hostPath: '/h/rm.cred', bytes: 321 } }) }));
  const step = (id: string) => plan.steps.find((s) => s.id === id)!;
  const argvs = (id: string) => step(id).commands.map((c) => c.argv.map((a) => (typeof a === 'string' ? a : a.upload)));
  assert.deepEqual(argvs('prepare-install-dir'), [
    ['mkdir-p', '/opt/proactive'], ['chown', '0', '0', '/opt/proactive'], ['chmod', '0755', '/opt/proactive'],
    ['mkdir-p', '/opt/proactive/guestprep'], ['chown', '0', '0', '/opt/proactive/guestprep'], ['chmod', '0755', '/opt/proactive/guestprep'],
  ]);
  // Without a scanned tar size (tarBytes), the plan falls back to its estimate.
  const jreBytes = 130_000_000 + 700 * 1024 + 10240;
  assert.equal(step('upload-jre').bytes, jreBytes);
  const exact = buildPlan(input({ jre: jreInfo({ tarBytes: 123_456_512 }) }));
  assert.equal(exact.steps.find((s) => s.id === 'upload-jre')!.bytes, 123_456_512);
  assert.deepEqual(argvs('upload-jre'), [
    ['mkdir', '/opt/proactive/jre'],
    ['tar-in', { id: 'jre', kind: 'tar', source: jreInfo().archivePath, bytes: jreBytes }, '/opt/proactive/jre'],
    ['chown', '0', '0', '/opt/proactive/jre'], ['chmod', '0755', '/opt/proactive/jre'],
    // zips made on Windows carry no mode bits: the executables are made executable explicitly
    ['chmod', '0755', '/opt/proactive/jre/bin/java'],
  ]);
  assert.deepEqual(argvs('upload-proactive').slice(-1), [['chmod', '0755', '/opt/proactive/node/bin/proactive-node']]);
  assert.deepEqual(argvs('upload-proactive')[1], ['tar-in', { id: 'proactive', kind: 'tar', source: modernProactive().archivePath, bytes: 250_000_000 + 900 * 1024 + 10240 }, '/opt/proactive/node']);
  assert.deepEqual(argvs('create-logs-dir'), [['mkdir-p', '/opt/proactive/node/logs'], ['chown', '0', '0', '/opt/proactive/node/logs'], ['chmod', '0750', '/opt/proactive/node/logs']]);
  assert.deepEqual(argvs('install-credentials'), [
    ['upload', { id: 'credentials', kind: 'file', source: '/h/rm.cred', bytes: 321 }, '/opt/proactive/guestprep/credentials.cred'],
    ['chown', '0', '0', '/opt/proactive/guestprep/credentials.cred'], ['chmod', '0600', '/opt/proactive/guestprep/credentials.cred'],
  ]);
  assert.equal(step('install-credentials').bytes, 321);
  const root = buildPlan(input({ settings: nodeSettings({ serviceUser: 'root' }) }));
  assert.deepEqual(root.steps.find((s) => s.id === 'create-logs-dir')!.commands[2].argv, ['chmod', '0755', '/opt/proactive/node/logs']);
});

test('launcher: JAVA_HOME, JAVA_OPTS, cd, exec with the modern arguments', () => {
  const plan = buildPlan(input({ settings: nodeSettings({ workers: 4, credentials: { hostPath: '/h/c', bytes: 1 } }) }));
  const text = writtenFiles(plan).get('/opt/proactive/guestprep/start-node.sh')!;
  assert.match(text, /^#!\/bin\/sh\n# Generated by Guestprep 0\.1\.0\. Running Guestprep again on this image rewrites it\.\n/);
  assert.ok(!text.includes(NOW), 'no time stamp: the same settings give the same bytes (the time is in install.json)');
  assert.ok(text.includes("\nJAVA_HOME='/opt/proactive/jre'\nexport JAVA_HOME\n"));
  assert.ok(text.includes("\nJAVA_OPTS='-XX:+IgnoreUnrecognizedVMOptions -Xmx1g'\nexport JAVA_OPTS\n"));
  assert.ok(text.includes("\ncd '/opt/proactive/node' || exit 1\n"));
  const exec = text.split('\n').find((l) => l.startsWith('exec '))!;
  assert.deepEqual(shUnquote(exec), ['exec', '/opt/proactive/node/bin/proactive-node', '-r', 'pnp://rm.example.org:64738', '-s', 'Default', '-n', 'worker-01', '-w', '4', '-f', '/opt/proactive/guestprep/credentials.cred']);
  const bundled = buildPlan(input({ jre: undefined, proactive: modernProactive({ bundledJre: { major: 17, version: '17.0.9', os: 'linux', arch: 'x86_64' } }) }));
  assert.ok(writtenFiles(bundled).get('/opt/proactive/guestprep/start-node.sh')!.includes("JAVA_HOME='/opt/proactive/node/jre'"));
});

test('legacy (3.x): rm-start-node, -r -n -s order, never -w; workers refused', () => {
  const plan = buildPlan(input({ proactive: legacyProactive(), settings: nodeSettings({ jvmOptions: [], credentials: { hostPath: '/h/c', bytes: 1 } }) }));
  const exec = writtenFiles(plan).get('/opt/proactive/guestprep/start-node.sh')!.split('\n').find((l) => l.startsWith('exec '))!;
  assert.deepEqual(shUnquote(exec), ['exec', '/opt/proactive/node/bin/unix/rm-start-node', '-r', 'pnp://rm.example.org:64738', '-n', 'worker-01', '-s', 'Default', '-f', '/opt/proactive/guestprep/credentials.cred']);
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/opt/proactive/node/bin/unix/rm-start-node' && e.mode === 0o755));
  assert.equal(plan.record.proactive.generation, 'legacy');
  rejects(() => buildPlan(input({ proactive: legacyProactive(), settings: nodeSettings({ workers: 2 }) })), 'SETTING_INVALID', /3\.x nodes have no workers option/);
  rejects(() => buildPlan(input({ proactive: legacyProactive(), jre: undefined })), 'SETTING_INVALID', /no Java runtime/);
});

test('expectations: dirs, archives, generated files, all root-owned', () => {
  const plan = buildPlan(input({ settings: nodeSettings({ credentials: { hostPath: '/h/c', bytes: 1 } }) }));
  const byPath = new Map(plan.expectations.map((e) => ['path' in e ? e.path : '', e]));
  assert.deepEqual(byPath.get('/opt/proactive'), { kind: 'dir', path: '/opt/proactive', mode: 0o755, uid: 0, gid: 0 });
  assert.deepEqual(byPath.get('/opt/proactive/node/logs'), { kind: 'dir', path: '/opt/proactive/node/logs', mode: 0o750, uid: 0, gid: 0 });
  assert.deepEqual(byPath.get('/opt/proactive/jre/bin/java'), { kind: 'file', path: '/opt/proactive/jre/bin/java', mode: 0o755, uid: 0, gid: 0 });
  assert.deepEqual(byPath.get('/opt/proactive/node/bin/proactive-node'), { kind: 'file', path: '/opt/proactive/node/bin/proactive-node', mode: 0o755, uid: 0, gid: 0 });
  assert.deepEqual(byPath.get('/opt/proactive/guestprep/credentials.cred'), { kind: 'file', path: '/opt/proactive/guestprep/credentials.cred', mode: 0o600, uid: 0, gid: 0 });
  assert.deepEqual(byPath.get('/opt/proactive/guestprep/start-node.sh'), { kind: 'file', path: '/opt/proactive/guestprep/start-node.sh', mode: 0o755, uid: 0, gid: 0, contains: "'pnp://rm.example.org:64738'" });
  assert.deepEqual(byPath.get('/opt/proactive/guestprep/install.json'), { kind: 'file', path: '/opt/proactive/guestprep/install.json', mode: 0o644, uid: 0, gid: 0, contains: `"installedAt": "${NOW}"` });
  for (const e of plan.expectations) {
    if (e.kind === 'file' || e.kind === 'dir') {
      assert.equal(e.uid, 0);
      assert.equal(e.mode & 0o002, 0, `${e.path} is not world-writable`);
    }
  }
  // Every generated file contains its distinctive text.
  const files = writtenFiles(plan);
  for (const e of plan.expectations) if (e.kind === 'file' && e.contains) assert.ok(files.get(e.path)?.includes(e.contains), e.path);
  const bundled = buildPlan(input({ proactive: modernProactive({ bundledJre: { major: 17, version: '17.0.9', os: 'linux', arch: 'x86_64' } }) }));
  assert.ok(bundled.expectations.some((e) => 'path' in e && e.path === '/opt/proactive/node/jre/bin/java'));
});

test('no command makes anything world-writable', () => {
  for (const guest of [guestFacts(), sysvGuest(), rcLocalGuest('#!/bin/sh\nexit 0\n')]) {
    for (const argv of planArgvs(buildPlan(input({ guest })))) {
      if (argv[0] === 'chmod') assert.equal(parseInt(argv[1], 8) & 0o002, 0, argv.join(' '));
      assert.ok(!argv.some((a) => /umask 0*0\b/.test(a)), argv[0]);
    }
  }
});

test('record: settings, archives by name, every created path, install.json written last', () => {
  const plan = buildPlan(input({ settings: nodeSettings({ workers: 3, credentials: { hostPath: 'C:\\Users\\a\\rm.cred', bytes: 9 } }) }));
  const r = plan.record;
  assert.deepEqual({ ...r, files: undefined }, {
    tool: 'guestprep', formatVersion: 1, guestprepVersion: VERSION, installedAt: NOW, installDir: '/opt/proactive', serviceName: 'proactive-node',
    serviceUser: 'proactive', init: 'systemd', rmUrl: 'pnp://rm.example.org:64738', nodeName: 'worker-01', nodeSource: 'Default', workers: 3,
    jvmOptions: ['-XX:+IgnoreUnrecognizedVMOptions', '-Xmx1g'], hasCredentials: true,
    jre: { version: '17.0.9', arch: 'x86_64', archive: 'OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9.tar.gz' },
    proactive: {
      version: '13.0.0', generation: 'modern', archive: 'activeeon_enterprise-node-linux-x64-13.0.0.zip',
      startScript: 'bin/proactive-node', windowsStartScript: 'bin/proactive-node.bat',
    },
    files: undefined,
  });
  assert.deepEqual(r.files, [
    '/opt/proactive', '/opt/proactive/guestprep', '/opt/proactive/jre', '/opt/proactive/node', '/opt/proactive/node/logs',
    '/opt/proactive/guestprep/credentials.cred', '/opt/proactive/guestprep/start-node.sh',
    '/etc/systemd/system/proactive-node.service', '/etc/systemd/system/proactive-node-setup.service', '/etc/sysusers.d/proactive-node.conf',
    '/etc/tmpfiles.d/proactive-node.conf', '/etc/systemd/system/multi-user.target.wants/proactive-node.service', '/opt/proactive/guestprep/install.json',
  ]);
  const json = writtenFiles(plan).get('/opt/proactive/guestprep/install.json')!;
  assert.deepEqual(JSON.parse(json), r);
  assert.ok(json.endsWith('}\n') && json.includes('\n  "tool": "guestprep",\n'));
  assert.equal(plan.steps[plan.steps.length - 1].id, 'write-install-record');
});

test('requiredBytes: unpacked + 4 KiB per entry + 32 MiB', () => {
  assert.equal(buildPlan(input()).requiredBytes, 130_000_000 + 250_000_000 + (700 + 900) * 4096 + 32 * 1024 * 1024);
  assert.equal(requiredBytes(undefined, modernProactive()), 250_000_000 + 900 * 4096 + 32 * 1024 * 1024);
});

test('warnings are carried through; atNextBoot has the exact command line', () => {
  const plan = buildPlan(input({ warnings: ['from validation', 'from the archive'] }));
  assert.deepEqual(plan.warnings, ['from validation', 'from the archive']);
  const all = plan.atNextBoot.join('\n');
  assert.ok(all.includes('/opt/proactive/node/bin/proactive-node -r pnp://rm.example.org:64738 -s Default -n worker-01'), all);
  assert.match(all, /as user proactive/);
  assert.match(all, /restarts it after 10 s/);
  assert.match(buildPlan(input({ settings: nodeSettings({ nodeSource: 'GPU' }) })).atNextBoot.join('\n'), /node source GPU must already exist/);
  assert.match(buildPlan(input({ settings: nodeSettings({ rm: { protocol: 'pamr', host: '0', port: 33647, url: 'pamr://0' } }) })).atNextBoot.join('\n'), /PAMR router/);
});

test('an existing install is updated in place: old jre/ and node/ removed, stale files removed, warned', () => {
  const old = installRecord({
    files: [
      '/opt/proactive', '/opt/proactive/guestprep', '/opt/proactive/jre', '/opt/proactive/node', '/opt/proactive/node/logs',
      '/opt/proactive/guestprep/credentials.cred', '/opt/proactive/guestprep/start-node.sh', '/etc/sysusers.d/proactive-node.conf',
      '/etc/systemd/system/proactive-node.service', '/etc/passwd', '/etc/../etc/shadow', '/etc/systemd/system/other.service',
    ],
  });
  const guest = guestFacts({ existing: { path: '/opt/proactive/guestprep/install.json', record: old } });
  const plan = buildPlan(input({ guest, settings: nodeSettings({ serviceUser: 'root' }) }));
  const prep = plan.steps[0];
  assert.equal(prep.id, 'prepare-install-dir');
  assert.match(prep.title, /replacing the earlier install/);
  const argvs = prep.commands.map((c) => c.argv.join(' '));
  assert.deepEqual(argvs.slice(0, 4), [
    'rm-rf /opt/proactive/jre', 'rm-rf /opt/proactive/node',
    // No credentials this time, and root needs no sysusers entry: both go. Unrelated paths stay.
    'rm-f /opt/proactive/guestprep/credentials.cred', 'rm-f /etc/sysusers.d/proactive-node.conf',
  ]);
  assert.ok(!argvs.some((a) => a.includes('passwd') || a.includes('shadow') || a.includes('other.service')));
  assert.ok(plan.expectations.some((e) => e.kind === 'absent' && e.path === '/opt/proactive/guestprep/credentials.cred'));
  assert.match(plan.warnings.join('\n'), /already had a Guestprep install.*logs/);
});

test('guest problems: not Linux, no boot facts, sysvinit without a known layout', () => {
  rejects(() => buildPlan(input({ guest: guestFacts({ osType: 'freebsd' }) })), 'GUEST_UNSUPPORTED_OS', /freebsd/);
  // Windows guests have their own plan (plan/windows), which needs the Windows facts inspection reads.
  rejects(() => buildPlan(input({ guest: guestFacts({ osType: 'windows' }) })), 'GUEST_NO_BOOT_HOOK', /Windows facts/);
  rejects(() => buildPlan(input({ guest: { ...guestFacts(), linux: undefined } })), 'GUEST_NO_BOOT_HOOK', /boot/);
  rejects(() => buildPlan(input({ guest: sysvGuest({ sysvLayout: undefined }) })), 'GUEST_NO_BOOT_HOOK', /sysvinit/);
});

test('a node distribution with the Windows start script only cannot make a Linux plan; the Linux script alone is enough', () => {
  const winOnly = { ...modernProactive(), startScript: undefined, windowsStartScript: 'bin/proactive-node.bat' };
  rejects(() => buildPlan(input({ proactive: winOnly })), 'PROACTIVE_NOT_FOUND', /has bin\\proactive-node\.bat but not bin\/proactive-node/);
  const linuxOnly = buildPlan(input({ proactive: modernProactive({ windowsStartScript: undefined }) }));
  assert.ok(linuxOnly.atNextBoot.some((l) => l.includes('/opt/proactive/node/bin/proactive-node')));
  assert.equal(linuxOnly.record.proactive.windowsStartScript, undefined);
});

test('nasty values are quoted for every consumer or refused', () => {
  const nasty = nodeSettings({
    nodeName: `it's "$(id)" \`x\` ; %n \\ é`,
    nodeSource: 'a b$c',
    rm: { protocol: 'pnp', host: 'h', port: 1, url: "pnp://h:1/'$x'" },
    jvmOptions: ['-Da=$HOME', "-Db='q'"],
  });
  for (const guest of [guestFacts(), sysvGuest(), rcLocalGuest('#!/bin/sh\nexit 0\n')]) {
    const plan = buildPlan(input({ guest, settings: nasty }));
    // guestfish reads every command back exactly.
    for (const step of plan.steps) for (const c of step.commands) {
      const line = renderCommand(c, (r) => `/tmp/${r.id}`);
      assert.deepEqual(gfUnquote(line), c.argv.map((a) => (typeof a === 'string' ? a : `/tmp/${a.upload.id}`)));
    }
    // The shell runs the node with exactly these values.
    const launcher = writtenFiles(plan).get('/opt/proactive/guestprep/start-node.sh')!;
    const exec = launcher.split('\n').find((l) => l.startsWith('exec '))!;
    assert.deepEqual(shUnquote(exec).slice(2), ['-r', nasty.rm.url, '-s', 'a b$c', '-n', nasty.nodeName]);
    const opts = launcher.split('\n').find((l) => l.startsWith('JAVA_OPTS='))!;
    assert.deepEqual(shUnquote(opts.slice('JAVA_OPTS='.length)), ['-Da=$HOME -Db=\'q\'']);
    // Values in comments stay on their line.
    for (const text of writtenFiles(plan).values()) assert.ok(!text.includes('\n"$(id)"'));
  }
  // systemd: the unit's Description gets the % doubled.
  const unit = writtenFiles(buildPlan(input({ settings: nasty }))).get('/etc/systemd/system/proactive-node.service')!;
  assert.ok(unit.includes('Description=ProActive node it\'s "$(id)" `x` ; %%n \\ é (Guestprep)'));
  assert.deepEqual(systemdExecSplit(unit.split('\n').find((l) => l.startsWith('ExecStart='))!.slice(10)), ['/opt/proactive/guestprep/start-node.sh']);
  // A line break cannot be expressed in a unit file: refused, naming the field.
  rejects(() => buildPlan(input({ settings: nodeSettings({ nodeName: 'two\nlines' }) })), 'SETTING_INVALID', /Description/);
  // In shell scripts it is quoted, and never leaks out of a comment.
  const sysv = buildPlan(input({ guest: sysvGuest(), settings: nodeSettings({ nodeName: 'two\nlines' }) }));
  const script = writtenFiles(sysv).get('/etc/init.d/proactive-node')!;
  assert.ok(script.includes('node two\\x0alines,') && !script.includes('\nlines'));
});

test('an update with --service-name s never removes /etc/shadow or /etc/passwd that a changed record lists', () => {
  const old = installRecord({
    serviceName: 's',
    files: ['/opt/proactive', '/opt/proactive/guestprep', '/etc/shadow', '/etc/passwd', '/etc/systemd/system/s.service.d/../../../shadow',
      '/opt/proactive/guestprep/../../../etc/shadow', '/etc/systemd/system/s-setup.service', '/etc/init.d/s'],
  });
  const guest = guestFacts({ existing: { path: '/opt/proactive/guestprep/install.json', record: old } });
  const plan = buildPlan(input({ guest, settings: nodeSettings({ serviceName: 's', serviceUser: 'root' }) }));
  const removed = plan.steps[0].commands.filter((c) => c.argv[0] === 'rm-f').map((c) => c.argv[1]);
  // The earlier systemd install's own setup unit is rewritten; an init script is not what a systemd install makes.
  assert.deepEqual(removed, []);
});
