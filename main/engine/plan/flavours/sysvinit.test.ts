import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from '../build';
import { renderScript } from '../render';
import { jreInfo, matchGolden, modernProactive, nodeSettings, NOW, planArgvs, sysvGuest, VERSION, writtenFiles } from '../test-fixtures';

const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: sysvGuest(), settings: nodeSettings({ workers: 2 }), jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});
const render = (p: ReturnType<typeof buildPlan>) =>
  renderScript(p, { image: '/vms/worker.qcow2', format: 'qcow2', uploadPath: (r) => `/tmp/guestprep-dry-run/${r.id}.tar` });

const DEPEND_START = `TARGETS = rsyslog killprocs single cron rmnologin rc.local
INTERACTIVE =
single: killprocs
cron: rsyslog
rmnologin: rsyslog
rc.local: rsyslog cron
`;
const DEPEND_STOP = 'TARGETS = rsyslog sendsigs umountfs halt reboot\nsendsigs: rsyslog\n';

test('sysvinit, Debian layout with insserv: the whole rendered script (golden)', () => {
  const plan = buildPlan(input({ guest: sysvGuest({ insservDepend: { start: DEPEND_START, stop: DEPEND_STOP } }) }));
  const { expected, actual } = matchGolden('sysvinit-debian.gf', render(plan));
  assert.equal(actual, expected);
});

test('sysvinit, Debian layout: init script in /etc/init.d, S99/K01 links to ../init.d', () => {
  const plan = buildPlan(input());
  const script = writtenFiles(plan).get('/etc/init.d/proactive-node')!;
  assert.match(script, /^#!\/bin\/sh\n### BEGIN INIT INFO\n# Provides:          proactive-node\n/);
  assert.ok(script.includes("\nSELF='/etc/init.d/proactive-node'\n"));
  assert.ok(script.includes("\nPIDFILE='/var/run/proactive-node.pid'\n"));
  assert.ok(script.includes("\nUSERADD='/usr/sbin/useradd'\n"));
  assert.ok(script.includes("\nLOG_FILE='/opt/proactive/node/logs/proactive-node-service.log'\n"));
  assert.deepEqual(plan.steps.find((s) => s.id === 'link-runlevels')!.commands.map((c) => c.argv), [
    ['ln-sf', '../init.d/proactive-node', '/etc/rc2.d/S99proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc3.d/S99proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc4.d/S99proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc5.d/S99proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc0.d/K01proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc1.d/K01proactive-node'],
    ['ln-sf', '../init.d/proactive-node', '/etc/rc6.d/K01proactive-node'],
  ]);
  // The rc directories exist on sysvinit guests: never created, so a missing one fails the step.
  assert.ok(!planArgvs(plan).some((a) => a[0].startsWith('mkdir') && /\/etc\/rc/.test(a[1])));
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/etc/init.d/proactive-node' && e.mode === 0o755 && e.uid === 0));
  assert.ok(plan.expectations.some((e) => e.kind === 'symlink' && e.path === '/etc/rc2.d/S99proactive-node' && e.target === '../init.d/proactive-node'));
  assert.ok(plan.record.files.includes('/etc/rc6.d/K01proactive-node'));
  assert.match(plan.atNextBoot.join(' '), /sysvinit runs \/etc\/init\.d\/proactive-node start in runlevels 2 to 5/);
  assert.match(plan.atNextBoot.join(' '), /creates the system user proactive/);
  assert.ok(!plan.steps.some((s) => s.id === 'register-insserv'), 'no insserv files, no edit');
});

test('sysvinit, Red Hat layout: /etc/rc.d/init.d and /etc/rc.d/rcN.d', () => {
  const plan = buildPlan(input({ guest: sysvGuest({ sysvLayout: 'redhat', insservDepend: { start: DEPEND_START, stop: DEPEND_STOP } }) }));
  assert.ok(writtenFiles(plan).has('/etc/rc.d/init.d/proactive-node'));
  const links = plan.steps.find((s) => s.id === 'link-runlevels')!.commands.map((c) => c.argv.slice(1));
  assert.deepEqual(links[0], ['../init.d/proactive-node', '/etc/rc.d/rc2.d/S99proactive-node']);
  assert.deepEqual(links[6], ['../init.d/proactive-node', '/etc/rc.d/rc6.d/K01proactive-node']);
  assert.ok(writtenFiles(plan).get('/etc/rc.d/init.d/proactive-node')!.includes('\n# chkconfig: 2345 99 01\n'));
  assert.ok(!plan.steps.some((s) => s.id === 'register-insserv'), 'insserv is Debian only');
});

test('sysvinit with insserv: the service is added to .depend.start and .depend.stop once', () => {
  const plan = buildPlan(input({ guest: sysvGuest({ insservDepend: { start: DEPEND_START, stop: DEPEND_STOP } }) }));
  const files = writtenFiles(plan);
  assert.equal(files.get('/etc/init.d/.depend.start'), `${DEPEND_START}proactive-node:\n`);
  assert.equal(files.get('/etc/init.d/.depend.stop'), `${DEPEND_STOP}proactive-node:\n`);
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/etc/init.d/.depend.start' && e.mode === 0o644 && e.contains === 'proactive-node:'));
  // Already listed (a second run, or insserv ran since): left alone.
  const again = buildPlan(input({ guest: sysvGuest({ insservDepend: { start: files.get('/etc/init.d/.depend.start')!, stop: 'TARGETS = proactive-node sendsigs\n' } }) }));
  assert.ok(!again.steps.some((s) => s.id === 'register-insserv'));
});

test('sysvinit as root, no tools found: still a complete script', () => {
  const plan = buildPlan(input({ guest: sysvGuest({ tools: {} }), settings: nodeSettings({ serviceUser: 'root' }) }));
  const script = writtenFiles(plan).get('/etc/init.d/proactive-node')!;
  assert.ok(script.includes("\nSERVICE_USER='root'\n") && script.includes("\nUSERADD=''\n") && script.includes('\nLOG_MODE=0755\n'));
  assert.ok(!plan.atNextBoot.join(' ').includes('creates the system user'));
});
