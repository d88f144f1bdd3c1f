import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from '../build';
import { renderScript } from '../render';
import { systemdExecSplit, systemdSplit, unitTableSplit } from '../../quote/roundtrip';
import { guestFacts, jreInfo, legacyProactive, matchGolden, modernProactive, nodeSettings, NOW, VERSION, writtenFiles } from '../test-fixtures';

const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: guestFacts(), settings: nodeSettings({ workers: 4, credentials: { hostPath: '/home/alice/rm.cred', bytes: 1234 } }),
  jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});
const render = (p: ReturnType<typeof buildPlan>) =>
  renderScript(p, { image: '/vms/worker.vdi', format: 'vdi', uploadPath: (r) => `/tmp/guestprep-dry-run/${r.id}${r.kind === 'tar' ? '.tar' : ''}` });

/** Unit file -> section -> key -> values (keys may repeat, e.g. ExecStart). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section = '';
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { section = s[1]; out.set(section, new Map()); continue; }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not key=value: ${line}`);
    const keys = out.get(section)!;
    keys.set(line.slice(0, eq), [...(keys.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

test('systemd: the whole rendered script (golden)', () => {
  const { expected, actual } = matchGolden('systemd-modern.gf', render(buildPlan(input())));
  assert.equal(actual, expected);
});

test('systemd: the main unit', () => {
  const unit = parseUnit(writtenFiles(buildPlan(input())).get('/etc/systemd/system/proactive-node.service')!);
  const get = (s: string, k: string) => unit.get(s)?.get(k);
  assert.deepEqual(get('Unit', 'Wants'), ['network-online.target']);
  assert.deepEqual(get('Unit', 'After'), ['network-online.target proactive-node-setup.service']);
  assert.deepEqual(get('Unit', 'Requires'), ['proactive-node-setup.service']);
  assert.deepEqual(get('Unit', 'StartLimitIntervalSec'), ['0']);
  assert.deepEqual(get('Service', 'Type'), ['simple']);
  assert.deepEqual(get('Service', 'User'), ['proactive']);
  assert.deepEqual(get('Service', 'Group'), ['proactive']);
  assert.deepEqual(get('Service', 'WorkingDirectory'), ['/opt/proactive/node']);
  assert.deepEqual(systemdExecSplit(get('Service', 'ExecStart')![0]), ['/opt/proactive/guestprep/start-node.sh']);
  assert.deepEqual(get('Service', 'Restart'), ['always']);
  assert.deepEqual(get('Service', 'RestartSec'), ['10s']);
  assert.deepEqual(get('Service', 'RestartSteps'), ['5']);
  assert.deepEqual(get('Service', 'RestartMaxDelaySec'), ['180s']);
  assert.deepEqual(get('Service', 'KillMode'), ['control-group']);
  assert.deepEqual(get('Service', 'SuccessExitStatus'), ['143']);
  assert.deepEqual(get('Service', 'NoNewPrivileges'), ['yes']);
  assert.deepEqual(get('Install', 'WantedBy'), ['multi-user.target']);
  assert.match(writtenFiles(buildPlan(input())).get('/etc/systemd/system/proactive-node.service')!, /# .*254.*\n# Older systemd logs "Unknown key name"/);
});

test('systemd: the setup unit applies sysusers then tmpfiles, with the guest\'s tool paths', () => {
  const guest = guestFacts({}, { tools: { systemdSysusers: '/bin/systemd-sysusers', systemdTmpfiles: '/bin/systemd-tmpfiles' } });
  const unit = parseUnit(writtenFiles(buildPlan(input({ guest }))).get('/etc/systemd/system/proactive-node-setup.service')!);
  assert.deepEqual(unit.get('Unit')!.get('After'), ['local-fs.target systemd-sysusers.service systemd-tmpfiles-setup.service']);
  assert.deepEqual(unit.get('Unit')!.get('Before'), ['proactive-node.service']);
  assert.deepEqual(unit.get('Service')!.get('Type'), ['oneshot']);
  assert.deepEqual(unit.get('Service')!.get('RemainAfterExit'), ['yes']);
  assert.deepEqual(unit.get('Service')!.get('ExecStart')!.map(systemdExecSplit), [
    ['/bin/systemd-sysusers', '/etc/sysusers.d/proactive-node.conf'],
    ['/bin/systemd-tmpfiles', '--create', '/etc/tmpfiles.d/proactive-node.conf'],
  ]);
  // Defaults when inspection found none.
  const bare = guestFacts({}, { tools: {} });
  const text = writtenFiles(buildPlan(input({ guest: bare }))).get('/etc/systemd/system/proactive-node-setup.service')!;
  assert.ok(text.includes('ExecStart=/usr/bin/systemd-sysusers /etc/sysusers.d/proactive-node.conf\n'));
  assert.ok(text.includes('ExecStart=/usr/bin/systemd-tmpfiles --create /etc/tmpfiles.d/proactive-node.conf\n'));
});

test('systemd: sysusers.d and tmpfiles.d entries', () => {
  const files = writtenFiles(buildPlan(input()));
  const lines = (p: string) => files.get(p)!.split('\n').filter((l) => l && !l.startsWith('#')).map(unitTableSplit);
  assert.deepEqual(lines('/etc/sysusers.d/proactive-node.conf'), [['u', 'proactive', '-', 'ProActive node', '/opt/proactive']]);
  assert.deepEqual(lines('/etc/tmpfiles.d/proactive-node.conf'), [
    ['d', '/opt/proactive/node/logs', '0750', 'proactive', 'proactive', '-'],
    ['z', '/opt/proactive/guestprep/credentials.cred', '0600', 'proactive', 'proactive', '-'],
  ]);
  const noCreds = writtenFiles(buildPlan(input({ settings: nodeSettings() }))).get('/etc/tmpfiles.d/proactive-node.conf')!;
  assert.ok(!noCreds.includes('credentials'));
});

test('systemd: enabled through the multi-user.target.wants link, expected as a symlink', () => {
  const plan = buildPlan(input());
  const enable = plan.steps.find((s) => s.id === 'enable-systemd-service')!;
  assert.deepEqual(enable.commands.map((c) => c.argv), [
    ['mkdir-p', '/etc/systemd/system/multi-user.target.wants'],
    ['ln-sf', '/etc/systemd/system/proactive-node.service', '/etc/systemd/system/multi-user.target.wants/proactive-node.service'],
  ]);
  assert.ok(plan.expectations.some((e) => e.kind === 'symlink' && e.path === '/etc/systemd/system/multi-user.target.wants/proactive-node.service' && e.target === '/etc/systemd/system/proactive-node.service'));
  for (const p of ['/etc/systemd/system/proactive-node.service', '/etc/systemd/system/proactive-node-setup.service', '/etc/sysusers.d/proactive-node.conf', '/etc/tmpfiles.d/proactive-node.conf']) {
    assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === p && e.mode === 0o644 && e.uid === 0), p);
  }
  assert.match(plan.atNextBoot.join(' '), /systemd-sysusers.*systemd-tmpfiles/);
});

test('systemd as root: no sysusers entry, logs 0755 owned by root', () => {
  const plan = buildPlan(input({ settings: nodeSettings({ serviceUser: 'root' }) }));
  const files = writtenFiles(plan);
  assert.ok(!files.has('/etc/sysusers.d/proactive-node.conf'));
  assert.ok(!plan.record.files.includes('/etc/sysusers.d/proactive-node.conf'));
  assert.ok(files.get('/etc/tmpfiles.d/proactive-node.conf')!.includes('d /opt/proactive/node/logs 0755 root root -\n'));
  const setup = parseUnit(files.get('/etc/systemd/system/proactive-node-setup.service')!);
  assert.equal(setup.get('Service')!.get('ExecStart')!.length, 1);
  assert.deepEqual(parseUnit(files.get('/etc/systemd/system/proactive-node.service')!).get('Service')!.get('User'), ['root']);
});

test('systemd with a 3.x node (golden)', () => {
  const plan = buildPlan(input({ proactive: legacyProactive(), jre: jreInfo({ version: '1.8.0_392', major: 8 }), settings: nodeSettings({ jvmOptions: [] }) }));
  const { expected, actual } = matchGolden('systemd-legacy.gf', render(plan));
  assert.equal(actual, expected);
  assert.deepEqual(systemdSplit('a "b c"'), ['a', 'b c']);
});
