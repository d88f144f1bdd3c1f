import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from '../build';
import { renderScript } from '../render';
import { guestFacts, installRecord, jreInfo, matchGolden, modernProactive, nodeSettings, NOW, rcLocalGuest, VERSION, writtenFiles } from '../test-fixtures';
import { RC_LOCAL_MARKER } from '../texts/rc-local';

const LINE = `/opt/proactive/guestprep/proactive-node start || true  ${RC_LOCAL_MARKER}`;
const RHEL_RC = '#!/bin/sh\n#\n# This script will be executed *after* all the other init scripts.\n\ntouch /var/lock/subsys/local\n';

const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: rcLocalGuest(RHEL_RC), settings: nodeSettings(), jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});

test('rc.local: the whole rendered script (golden)', () => {
  const plan = buildPlan(input());
  const { expected, actual } = matchGolden('rclocal.gf', renderScript(plan, { image: 'C:\\VMs\\old box.vhd', format: 'vpc', uploadPath: (r) => `/tmp/dry/${r.id}.tar` }));
  assert.equal(actual, expected);
});

test('rc.local: control script in the install dir, the line added, the original saved once', () => {
  const plan = buildPlan(input());
  const files = writtenFiles(plan);
  const script = files.get('/opt/proactive/guestprep/proactive-node')!;
  assert.ok(script.includes("\nSELF='/opt/proactive/guestprep/proactive-node'\n"));
  assert.equal(files.get('/etc/rc.d/rc.local'), `${RHEL_RC}${LINE}\n`);
  const edit = plan.steps.find((s) => s.id === 'edit-rc-local')!;
  assert.deepEqual(edit.commands.map((c) => c.argv).slice(0, 3), [
    ['cp', '/etc/rc.d/rc.local', '/opt/proactive/guestprep/rc.local.orig'],
    ['chown', '0', '0', '/opt/proactive/guestprep/rc.local.orig'],
    ['chmod', '0644', '/opt/proactive/guestprep/rc.local.orig'],
  ]);
  assert.deepEqual(edit.commands.slice(-2).map((c) => c.argv), [['chown', '0', '0', '/etc/rc.d/rc.local'], ['chmod', '0755', '/etc/rc.d/rc.local']]);
  assert.deepEqual(plan.record.rcLocal, { path: '/etc/rc.d/rc.local', line: LINE });
  assert.ok(plan.record.files.includes('/opt/proactive/guestprep/rc.local.orig'));
  assert.ok(!plan.record.files.includes('/etc/rc.d/rc.local'), 'edited, not created');
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/etc/rc.d/rc.local' && e.mode === 0o755 && e.contains === LINE));
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/opt/proactive/guestprep/proactive-node' && e.mode === 0o755));
  assert.match(plan.atNextBoot.join(' '), /\/etc\/rc\.d\/rc\.local runs \/opt\/proactive\/guestprep\/proactive-node start/);
});

test('rc.local absent: created at /etc/rc.local with #!/bin/sh -e, the line and exit 0; recorded as created', () => {
  const plan = buildPlan(input({ guest: guestFacts({}, { init: 'rclocal', tools: {} }) }));
  const text = writtenFiles(plan).get('/etc/rc.local')!;
  assert.match(text, /^#!\/bin\/sh -e\n/);
  assert.ok(text.endsWith(`${LINE}\nexit 0\n`));
  assert.ok(!plan.steps.find((s) => s.id === 'edit-rc-local')!.commands.some((c) => c.argv[0] === 'cp'));
  assert.ok(plan.record.files.includes('/etc/rc.local'));
  assert.ok(!plan.record.files.includes('/opt/proactive/guestprep/rc.local.orig'));
});

test('rc.local on a second run: line replaced in place, original not saved again', () => {
  const first = buildPlan(input());
  const edited = writtenFiles(first).get('/etc/rc.d/rc.local')!;
  const existing = { path: '/opt/proactive/guestprep/install.json', record: installRecord({ init: 'rclocal', files: first.record.files }) };
  const second = buildPlan(input({ guest: { ...rcLocalGuest(edited), existing } }));
  assert.equal(writtenFiles(second).get('/etc/rc.d/rc.local'), edited);
  assert.ok(!second.steps.find((s) => s.id === 'edit-rc-local')!.commands.some((c) => c.argv[0] === 'cp'));
  assert.ok(second.record.files.includes('/opt/proactive/guestprep/rc.local.orig'), 'the earlier copy is still ours');
  assert.ok(second.expectations.some((e) => 'path' in e && e.path === '/opt/proactive/guestprep/rc.local.orig'));
  assert.ok(!second.steps[0].commands.some((c) => c.argv[0] === 'rm-f' && c.argv[1] === '/etc/rc.d/rc.local'));
});
