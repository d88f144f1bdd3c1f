import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSettings, type ValidateContext } from './validate';
import { resolveInstallDir } from './install-dir';
import { validateJvmOptions, withJava17Workaround } from './jvm-options';
import { normaliseArch } from './runtime';
import { GuestprepError, type ErrorCode } from '../errors';
import type { SettingsInput } from '../types';
import { guestFacts, installRecord, jreInfo, legacyProactive, modernProactive } from '../plan/test-fixtures';

const ctx = (over: Partial<ValidateContext> = {}): ValidateContext => ({ guest: guestFacts(), jre: jreInfo(), proactive: modernProactive(), ...over });
const input = (over: Partial<SettingsInput> = {}): SettingsInput => ({ rmUrl: 'pnp://rm.example.org', ...over });

function rejects(fn: () => unknown, code: ErrorCode, message: RegExp, fix?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GuestprepError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    if (fix) assert.match(e.fix, fix);
    return true;
  });
}

test('defaults: short hostname, Default source, /opt/proactive, proactive-node, user proactive, Java 17 workaround', () => {
  const { settings, warnings } = validateSettings(input(), ctx());
  assert.deepEqual(settings, {
    rm: { protocol: 'pnp', host: 'rm.example.org', port: 64738, url: 'pnp://rm.example.org:64738' },
    nodeName: 'worker-01',
    nodeSource: 'Default',
    jvmOptions: ['-XX:+IgnoreUnrecognizedVMOptions'],
    installDir: '/opt/proactive',
    serviceName: 'proactive-node',
    serviceUser: 'proactive',
  });
  assert.deepEqual(warnings, []);
});

test('everything given explicitly', () => {
  const { settings } = validateSettings(
    input({ nodeName: 'n1', nodeSource: 'GPU_nodes', workers: '8', jvmOptions: ['-Xmx2g', '-Dfoo=a,b:c/d@e'], installDir: '/usr/local/proactive', serviceName: 'pa-node', serviceUser: 'panode', credentialsFile: '/x/rm.cred' }),
    ctx({ credentials: { hostPath: '/x/rm.cred', bytes: 1200 } }),
  );
  assert.equal(settings.nodeName, 'n1');
  assert.equal(settings.nodeSource, 'GPU_nodes');
  assert.equal(settings.workers, 8);
  assert.deepEqual(settings.jvmOptions, ['-XX:+IgnoreUnrecognizedVMOptions', '-Xmx2g', '-Dfoo=a,b:c/d@e']);
  assert.equal(settings.installDir, '/usr/local/proactive');
  assert.equal(settings.serviceName, 'pa-node');
  assert.equal(settings.serviceUser, 'panode');
  assert.deepEqual(settings.credentials, { hostPath: '/x/rm.cred', bytes: 1200 });
});

test('node name: charset, hostname fallback, unusable hostname asks for --node-name', () => {
  rejects(() => validateSettings(input({ nodeName: 'bad name' }), ctx()), 'SETTING_INVALID', /node name/, /--node-name NAME/);
  rejects(() => validateSettings(input({ nodeName: '-x' }), ctx()), 'SETTING_INVALID', /node name/);
  rejects(() => validateSettings(input({ nodeName: 'x'.repeat(64) }), ctx()), 'SETTING_INVALID', /node name/);
  assert.equal(validateSettings(input({ nodeName: 'x'.repeat(63) }), ctx()).settings.nodeName, 'x'.repeat(63));
  rejects(() => validateSettings(input(), ctx({ guest: guestFacts({ hostname: '' }) })), 'SETTING_INVALID', /hostname/, /--node-name NAME/);
  rejects(() => validateSettings(input(), ctx({ guest: guestFacts({ hostname: 'my_host$' }) })), 'SETTING_INVALID', /hostname/, /--node-name/);
  const lh = validateSettings(input(), ctx({ guest: guestFacts({ hostname: 'localhost.localdomain' }) }));
  assert.equal(lh.settings.nodeName, 'localhost');
  assert.match(lh.warnings.join('\n'), /--node-name/);
  rejects(() => validateSettings(input({ nodeSource: 'a b' }), ctx()), 'SETTING_INVALID', /node source/, /--node-source/);
});

test('workers: 1..1024 on modern nodes; 3.x refuses them', () => {
  assert.equal(validateSettings(input({ workers: 1 }), ctx()).settings.workers, 1);
  assert.equal(validateSettings(input({ workers: 1024 }), ctx()).settings.workers, 1024);
  assert.equal(validateSettings(input({ workers: ' 4 ' }), ctx()).settings.workers, 4);
  assert.equal(validateSettings(input({ workers: '' }), ctx()).settings.workers, undefined);
  for (const bad of [0, 1025, 2.5, -1, '4x', '0x10', '1e2', '-3']) {
    rejects(() => validateSettings(input({ workers: bad }), ctx()), 'SETTING_INVALID', /workers/, /--workers N/);
  }
  rejects(() => validateSettings(input({ workers: NaN }), ctx()), 'SETTING_INVALID', /workers must be a number/);
  rejects(() => validateSettings(input({ workers: 2 }), ctx({ proactive: legacyProactive(), jre: jreInfo({ major: 8, version: '1.8.0_392' }) })),
    'SETTING_INVALID', /3\.x nodes have no workers option/, /--workers/);
});

test('credentials: optional, non-empty, at most 64 KiB; unreadable file reported', () => {
  const ok = validateSettings(input({ credentialsFile: '/c' }), ctx({ credentials: { hostPath: '/c', bytes: 65536 } }));
  assert.equal(ok.settings.credentials?.bytes, 65536);
  rejects(() => validateSettings(input({ credentialsFile: '/c' }), ctx({ credentials: { hostPath: '/c', bytes: 65537 } })), 'SETTING_INVALID', /64 KiB/);
  rejects(() => validateSettings(input({ credentialsFile: '/c' }), ctx({ credentials: { hostPath: '/c', bytes: 0 } })), 'SETTING_INVALID', /empty/);
  rejects(() => validateSettings(input({ credentialsFile: '/c' }), ctx()), 'CREDENTIALS_UNREADABLE', /\/c/);
});

test('JVM options: one harmless word each; Java 17 workaround added once, first', () => {
  assert.deepEqual(validateJvmOptions(['-Xmx2g', '-Dproactive.pamr.router.address=router.lab', '-XX:+UseG1GC']), ['-Xmx2g', '-Dproactive.pamr.router.address=router.lab', '-XX:+UseG1GC']);
  for (const bad of ['-Xmx2g -Xms1g', 'Xmx2g', '-D=$HOME', '-Da=`id`', '-Da;b', '-Da"b', "-Da'b", '-D100%', '-Da\nb', '-Dé', '-', '-Da*']) {
    rejects(() => validateSettings(input({ jvmOptions: [bad] }), ctx()), 'SETTING_INVALID', /JVM option/, /--jvm-option/);
  }
  assert.deepEqual(withJava17Workaround(['-Xmx1g'], 17, 'modern', undefined), ['-XX:+IgnoreUnrecognizedVMOptions', '-Xmx1g']);
  assert.deepEqual(withJava17Workaround(['-Xmx1g', '-XX:+IgnoreUnrecognizedVMOptions'], 21, 'modern', true), ['-Xmx1g', '-XX:+IgnoreUnrecognizedVMOptions']);
  assert.deepEqual(withJava17Workaround(['-XX:-IgnoreUnrecognizedVMOptions'], 21, 'modern', true), ['-XX:-IgnoreUnrecognizedVMOptions']);
  assert.deepEqual(withJava17Workaround([], 17, 'modern', false), []);
  assert.deepEqual(withJava17Workaround([], 11, 'modern', undefined), []);
  assert.deepEqual(withJava17Workaround([], 17, 'legacy', undefined), []);
  // The bundled JRE decides, since the modern start script prefers it.
  const bundled = modernProactive({ bundledJre: { major: 11, version: '11.0.20', os: 'linux', arch: 'x86_64' } });
  const v = validateSettings(input(), ctx({ proactive: bundled }));
  assert.deepEqual(v.settings.jvmOptions, []);
  assert.match(v.warnings.join('\n'), /bundles Java 11\.0\.20.*will not use it/);
  assert.deepEqual(validateSettings(input({ ignoreUnrecognizedVmOptions: false }), ctx()).settings.jvmOptions, []);
});

test('Java runtime: required unless a modern archive bundles one; OS and arch must fit the guest', () => {
  const bundled = modernProactive({ bundledJre: { major: 17, version: '17.0.9', os: 'linux', arch: 'x86_64' } });
  assert.deepEqual(validateSettings(input(), ctx({ jre: undefined, proactive: bundled })).warnings, []);
  rejects(() => validateSettings(input(), ctx({ jre: undefined })), 'SETTING_INVALID', /no Java runtime/, /--jre ARCHIVE/);
  rejects(() => validateSettings(input(), ctx({ jre: undefined, proactive: legacyProactive({ bundledJre: bundled.bundledJre }) })), 'SETTING_INVALID', /no Java runtime/, /--jre ARCHIVE/);
  rejects(() => validateSettings(input(), ctx({ jre: jreInfo({ os: 'windows' }) })), 'JRE_WRONG_OS', /Windows/);
  rejects(() => validateSettings(input(), ctx({ jre: jreInfo({ arch: 'aarch64' }) })), 'JRE_WRONG_ARCH', /aarch64.*x86_64/, /x86_64 build.*jre_x64_linux/);
  rejects(() => validateSettings(input(), ctx({ guest: guestFacts({ arch: 'i686' }) })), 'JRE_WRONG_ARCH', /x86_64.*i386/);
  assert.equal(validateSettings(input(), ctx({ guest: guestFacts({ arch: 'i686' }), jre: jreInfo({ arch: 'i586' }) })).settings.nodeName, 'worker-01');
  assert.match(validateSettings(input(), ctx({ jre: jreInfo({ arch: 'unknown', os: 'unknown' }) })).warnings.join('\n'), /Linux build[\s\S]*which CPU/);
  const legacy = validateSettings(input(), ctx({ proactive: legacyProactive() }));
  assert.deepEqual(legacy.settings.jvmOptions, []);
  assert.match(legacy.warnings.join('\n'), /Java 6 to 8/);
  assert.equal(normaliseArch('amd64'), 'x86_64');
  assert.equal(normaliseArch('armv7l'), 'arm');
  assert.equal(normaliseArch('riscv64'), 'riscv64');
  assert.equal(normaliseArch('sparc64'), 'unknown');
});

test('install dir: absolute, normalised, under /opt or /usr/local, plain characters', () => {
  for (const ok of ['/opt/proactive', '/opt/a/b-c_d.e', '/usr/local/proactive', '/usr/local/share/proactive']) assert.equal(resolveInstallDir(ok), ok);
  const bads: Array<[string, RegExp]> = [
    ['opt/proactive', /absolute/], ['/opt', /inside/], ['/opt/', /trailing|inside/], ['/usr/local', /inside/], ['/usr/local/bin', /standard/],
    ['/var/lib/proactive', /inside/], ['/opt/proactive/', /trailing/], ['/opt//proactive', /empty/], ['/opt/./proactive', /"\."/],
    ['/opt/../etc', /"\."/], ['/opt/pro active', /characters/], ['/opt/pro$x', /characters/], ['/opt/é', /characters/], ['/opt/-x', /-/],
    ['/', /inside/], ['/usr/localx/p', /inside/], ['/opt/' + 'a'.repeat(200), /200/],
  ];
  for (const [bad, re] of bads) rejects(() => resolveInstallDir(bad), 'SETTING_INVALID', re, /--install-dir/);
});

test('service name and user', () => {
  rejects(() => validateSettings(input({ serviceName: 'Proactive' }), ctx()), 'SETTING_INVALID', /service name/, /--service-name/);
  rejects(() => validateSettings(input({ serviceName: 'a'.repeat(33) }), ctx()), 'SETTING_INVALID', /service name/);
  rejects(() => validateSettings(input({ serviceName: 'ssh' }), ctx()), 'SETTING_INVALID', /system service/);
  rejects(() => validateSettings(input({ serviceName: 'systemd-x' }), ctx()), 'SETTING_INVALID', /system service/);
  rejects(() => validateSettings(input({ serviceUser: 'Bob' }), ctx()), 'SETTING_INVALID', /user/, /--service-user/);
  rejects(() => validateSettings(input({ serviceUser: '1x' }), ctx()), 'SETTING_INVALID', /user/);
  const root = validateSettings(input({ serviceUser: 'root' }), ctx());
  assert.equal(root.settings.serviceUser, 'root');
  assert.match(root.warnings.join('\n'), /the node runs as root/);
});

test('an existing install supplies the defaults and refuses different explicit values', () => {
  const existing = { path: '/usr/local/pa/guestprep/install.json', record: installRecord({ installDir: '/usr/local/pa', serviceName: 'pa', serviceUser: 'pauser' }) };
  const c = ctx({ guest: guestFacts({ existing }) });
  const { settings } = validateSettings(input(), c);
  assert.deepEqual([settings.installDir, settings.serviceName, settings.serviceUser], ['/usr/local/pa', 'pa', 'pauser']);
  assert.equal(validateSettings(input({ installDir: '/usr/local/pa' }), c).settings.installDir, '/usr/local/pa');
  rejects(() => validateSettings(input({ installDir: '/opt/proactive' }), c), 'SETTING_INVALID', /already has a Guestprep install/, /--install-dir \/usr\/local\/pa/);
  rejects(() => validateSettings(input({ serviceName: 'other' }), c), 'SETTING_INVALID', /already/, /--service-name pa/);
  rejects(() => validateSettings(input({ serviceUser: 'root' }), c), 'SETTING_INVALID', /already/, /--service-user pauser/);
});

test('pamr without a router option warns how to give it', () => {
  const w = validateSettings(input({ rmUrl: 'pamr://0' }), ctx()).warnings.join('\n');
  assert.match(w, /-Dproactive\.pamr\.router\.address=ROUTER_HOST/);
  const none = validateSettings(input({ rmUrl: 'pamr://0', jvmOptions: ['-Dproactive.pamr.router.address=gw.lab'] }), ctx()).warnings;
  assert.deepEqual(none, []);
});

test('the shape is checked: unknown keys, wrong types', () => {
  rejects(() => validateSettings({ rmUrl: 'pnp://x', nodename: 'a' } as unknown as SettingsInput, ctx()), 'SETTING_INVALID', /unknown setting "nodename"/, /nodeName/);
  rejects(() => validateSettings({ rmUrl: 'pnp://x', jvmOptions: '-Xmx1g' } as unknown as SettingsInput, ctx()), 'SETTING_INVALID', /jvmOptions must be a list/);
  rejects(() => validateSettings({} as unknown as SettingsInput, ctx()), 'SETTING_INVALID', /rmUrl is missing/);
  rejects(() => validateSettings(input({ rmUrl: 'http://rm:8080' }), ctx()), 'SETTING_INVALID', /web portal/);
});

test('each refused setting names its field, so a form shows the error under it without reading the words', () => {
  const fieldOf = (over: Partial<SettingsInput>, c = ctx()) => {
    try {
      validateSettings(input(over), c);
    } catch (e) {
      return (e as GuestprepError).field;
    }
    return 'accepted';
  };
  assert.equal(fieldOf({ rmUrl: 'http://rm:8080' }), 'rmUrl');
  assert.equal(fieldOf({ nodeName: 'a b' }), 'nodeName');
  assert.equal(fieldOf({ nodeSource: 'a b' }), 'nodeSource');
  assert.equal(fieldOf({ workers: 'x' }), 'workers');
  assert.equal(fieldOf({ jvmOptions: ['-Da=$(id)'] }), 'jvmOptions');
  assert.equal(fieldOf({ serviceUser: 'Root!' }), 'serviceUser');
  assert.equal(fieldOf({ serviceName: 'sshd' }), 'serviceName');
  assert.equal(fieldOf({ installDir: 'relative' }), 'installDir');
});
