import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildPlan, type BuildPlanInput } from './build';
import { buildRemovePlan, removalQueries, type PathKind, type RemovalState } from './remove';
import { renderScript } from './render';
import { renderCommand } from '../quote/guestfish';
import { gfUnquote } from '../quote/roundtrip';
import { GuestprepError } from '../errors';
import { addInsservTarget } from './texts/insserv-depend';
import {
  guestFacts, jreInfo, matchGolden, modernProactive, nodeSettings, NOW, planArgvs, rcLocalGuest, sysvGuest, VERSION, windowsGuest, windowsSettings, writtenFiles,
} from './test-fixtures';
import type { Expectation, GuestFacts, Plan } from '../types';

const LATER = '2025-06-07T08:09:10.000Z';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const prepareInput = (guest: GuestFacts, over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest, settings: nodeSettings(), jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});

/** The guest after `first` was committed, as the removal's inspection finds it. */
function installed(guest: GuestFacts, first: Plan): GuestFacts {
  return { ...guest, existing: { path: '/opt/proactive/guestprep/install.json', record: first.record } };
}

/** Every path the record names exists (directories where the record made directories). */
function stateAfter(first: Plan, over: Partial<RemovalState> = {}): RemovalState {
  const kinds: Record<string, PathKind> = {};
  const dirs = new Set(first.expectations.filter((e) => e.kind === 'dir').map((e) => (e as { path: string }).path));
  for (const p of first.record.files) kinds[p] = dirs.has(p) || /\/(jre|node|logs|guestprep)$/.test(p) || p === first.record.installDir ? 'dir' : first.expectations.some((e) => e.kind === 'symlink' && e.path === p) ? 'symlink' : 'file';
  for (const d of first.record.createdDirs ?? []) kinds[d] = 'dir';
  return { kinds: { ...kinds, ...over.kinds }, entries: over.entries ?? {}, texts: over.texts ?? {} };
}

const absent = (plan: Plan) => plan.expectations.filter((e): e is Extract<Expectation, { kind: 'absent' }> => e.kind === 'absent').map((e) => e.path);

test('remove, systemd: units, link, sysusers/tmpfiles entries and the install dir go; the folders Guestprep made go when empty', () => {
  const guest = guestFacts({ dirsPresent: { '/opt': false, '/opt/proactive': false, '/etc/sysusers.d': false, '/etc/tmpfiles.d': true } });
  const first = buildPlan(prepareInput(guest));
  assert.deepEqual(first.record.createdDirs, ['/opt', '/etc/sysusers.d']);
  const state = stateAfter(first, { entries: { '/opt': ['proactive'], '/etc/sysusers.d': ['proactive-node.conf'] } });
  const plan = buildRemovePlan({ guest: installed(guest, first), state, guestprepVersion: VERSION, now: LATER });
  assert.deepEqual(plan.steps.map((s) => s.id), ['remove-boot-service', 'remove-install-dir', 'remove-created-dirs']);
  assert.deepEqual(planArgvs(plan), [
    ['rm-f', '/etc/systemd/system/proactive-node.service'],
    ['rm-f', '/etc/systemd/system/proactive-node-setup.service'],
    ['rm-f', '/etc/sysusers.d/proactive-node.conf'],
    ['rm-f', '/etc/tmpfiles.d/proactive-node.conf'],
    ['rm-f', '/etc/systemd/system/multi-user.target.wants/proactive-node.service'],
    ['rm-rf', '/opt/proactive'],
    ['rmdir', '/etc/sysusers.d'],
    ['rmdir', '/opt'],
  ]);
  for (const p of ['/opt/proactive', '/opt', '/etc/sysusers.d', '/etc/systemd/system/proactive-node.service']) assert.ok(absent(plan).includes(p), p);
  assert.deepEqual(plan.warnings, []);
  // A folder Guestprep made that holds someone else's file now stays, with a warning.
  const busy = buildRemovePlan({ guest: installed(guest, first), state: stateAfter(first, { entries: { '/opt': ['proactive', 'other-app'] } }), guestprepVersion: VERSION, now: LATER });
  assert.ok(!planArgvs(busy).some((a) => a[0] === 'rmdir' && a[1] === '/opt'));
  assert.match(plan.atNextBoot.join(' '), /no longer starts the ProActive node/);
  assert.match(busy.warnings.join(' '), /\/opt was created by Guestprep but holds other files/);
});

test('remove: an install directory that existed before keeps existing, only Guestprep\'s folders go', () => {
  const guest = guestFacts({ dirsPresent: { '/opt': true, '/opt/proactive': true } });
  const first = buildPlan(prepareInput(guest));
  assert.ok(!first.record.files.includes('/opt/proactive'));
  const plan = buildRemovePlan({ guest: installed(guest, first), state: stateAfter(first, { kinds: { '/opt/proactive/jre': 'dir', '/opt/proactive/node': 'dir', '/opt/proactive/guestprep': 'dir' } }), guestprepVersion: VERSION, now: LATER });
  assert.deepEqual(plan.steps.find((s) => s.id === 'remove-install-dir')!.commands.map((c) => c.argv), [
    ['rm-rf', '/opt/proactive/jre'], ['rm-rf', '/opt/proactive/node'], ['rm-rf', '/opt/proactive/guestprep'],
  ]);
  assert.ok(!planArgvs(plan).some((a) => a[1] === '/opt/proactive'));
});

test('remove after the first boot: the service user and group come out of passwd, shadow, group and gshadow, with their modes', () => {
  const accounts = { users: ['root', 'nobody'], groups: ['root', 'nogroup'] };
  const guest = guestFacts({}, { accounts });
  const first = buildPlan(prepareInput(guest));
  assert.deepEqual(first.record.serviceAccount, { user: 'proactive', userExisted: false, groupExisted: false });
  const before = { passwd: 'root:x:0:0:root:/root:/bin/bash\n', shadow: 'root:*:19800:0:99999:7:::\n', group: 'root:x:0:\n', gshadow: 'root:*::\n' };
  const after = {
    '/etc/passwd': { text: `${before.passwd}proactive:x:999:999:ProActive node:/opt/proactive:/usr/sbin/nologin\n`, stat: { mode: 0o644, uid: 0, gid: 0 } },
    '/etc/shadow': { text: `${before.shadow}proactive:!*:20000::::::\n`, stat: { mode: 0o640, uid: 0, gid: 42 } },
    '/etc/group': { text: `${before.group}proactive:x:999:\n`, stat: { mode: 0o644, uid: 0, gid: 0 } },
    '/etc/gshadow': { text: `${before.gshadow}proactive:!*::\n`, stat: { mode: 0o640, uid: 0, gid: 42 } },
  };
  const g = installed(guest, first);
  assert.ok(removalQueries(g).read.includes('/etc/shadow'));
  const plan = buildRemovePlan({ guest: g, state: stateAfter(first, { texts: after }), guestprepVersion: VERSION, now: LATER });
  const files = writtenFiles(plan);
  assert.equal(files.get('/etc/passwd'), before.passwd);
  assert.equal(files.get('/etc/shadow'), before.shadow);
  assert.equal(files.get('/etc/group'), before.group);
  assert.equal(files.get('/etc/gshadow'), before.gshadow);
  assert.ok(planArgvs(plan).some((a) => a.join(' ') === 'chown 0 42 /etc/shadow'));
  assert.ok(planArgvs(plan).some((a) => a.join(' ') === 'chmod 0640 /etc/shadow'));
  // Checked by content hash: the text of /etc/shadow is never kept in the journal.
  const e = plan.expectations.find((x) => x.kind === 'file' && x.path === '/etc/shadow') as Extract<Expectation, { kind: 'file' }>;
  assert.deepEqual([e.sha256, e.mode, e.gid], [sha(before.shadow), 0o640, 42]);
  assert.ok(!JSON.stringify(plan.expectations).includes('root:*'));
  // A user that existed before the install is never touched, nor a group that did.
  const pre = buildPlan(prepareInput(guestFacts({}, { accounts: { users: ['root', 'proactive'], groups: ['proactive'] } })));
  assert.ok(!removalQueries(installed(guest, pre)).read.includes('/etc/shadow'));
  const groupOnly = buildPlan(prepareInput(guestFacts({}, { accounts: { users: ['root'], groups: ['root', 'proactive'] } })));
  const p2 = buildRemovePlan({ guest: installed(guest, groupOnly), state: stateAfter(groupOnly, { texts: after }), guestprepVersion: VERSION, now: LATER });
  assert.ok(writtenFiles(p2).has('/etc/passwd') && !writtenFiles(p2).has('/etc/group') && !writtenFiles(p2).has('/etc/gshadow'));
});

test('remove, rc.local: the line out and the earlier mode back; a file Guestprep created goes; a blank one gets its text back', () => {
  const original = '#!/bin/sh\n# mine\nexit 0\n';
  const guest = rcLocalGuest(original, { rcLocalStat: { mode: 0o644, uid: 0, gid: 0 } });
  const first = buildPlan(prepareInput(guest));
  assert.deepEqual(first.record.rcLocal?.previous, { mode: 0o644, uid: 0, gid: 0 });
  const edited = writtenFiles(first).get('/etc/rc.d/rc.local')!;
  const state = stateAfter(first, { texts: { '/etc/rc.d/rc.local': { text: edited, stat: { mode: 0o755, uid: 0, gid: 0 } } } });
  const plan = buildRemovePlan({ guest: installed(guest, first), state, guestprepVersion: VERSION, now: LATER });
  assert.equal(writtenFiles(plan).get('/etc/rc.d/rc.local'), original);
  assert.ok(planArgvs(plan).some((a) => a.join(' ') === 'chmod 0644 /etc/rc.d/rc.local'));
  assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/etc/rc.d/rc.local' && e.sha256 === sha(original) && e.mode === 0o644));
  assert.ok(!planArgvs(plan).some((a) => a[0] === 'rm-f' && a[1] === '/etc/rc.d/rc.local'));

  const none = rcLocalGuest(undefined);
  const created = buildPlan(prepareInput(none));
  const p2 = buildRemovePlan({
    guest: installed(none, created),
    state: stateAfter(created, { texts: { '/etc/rc.local': { text: writtenFiles(created).get('/etc/rc.local')!, stat: { mode: 0o755, uid: 0, gid: 0 } } } }),
    guestprepVersion: VERSION, now: LATER,
  });
  assert.deepEqual(p2.steps.find((s) => s.id === 'restore-rc-local')!.commands.map((c) => c.argv), [['rm-f', '/etc/rc.local']]);

  const blank = rcLocalGuest('\n\n', { rcLocalStat: { mode: 0o600, uid: 0, gid: 0 } });
  const b1 = buildPlan(prepareInput(blank));
  assert.ok(!b1.record.files.includes('/etc/rc.d/rc.local'), 'a blank file is edited, not created');
  const p3 = buildRemovePlan({
    guest: installed(blank, b1),
    state: stateAfter(b1, { texts: { '/etc/rc.d/rc.local': { text: writtenFiles(b1).get('/etc/rc.d/rc.local')!, stat: { mode: 0o755, uid: 0, gid: 0 } } } }),
    guestprepVersion: VERSION, now: LATER,
  });
  assert.equal(writtenFiles(p3).get('/etc/rc.d/rc.local'), '\n\n');
});

test('remove, sysvinit with insserv: links and script go, the .depend files get their text back (golden)', () => {
  const start = 'TARGETS = rsyslog cron rc.local\nINTERACTIVE =\ncron: rsyslog\n';
  const stop = 'TARGETS = halt reboot';
  const guest = sysvGuest({ insservDepend: { start, stop } });
  const first = buildPlan(prepareInput(guest));
  assert.deepEqual(first.record.insserv, [
    { path: '/etc/init.d/.depend.start', target: 'proactive-node', newlineAdded: false },
    { path: '/etc/init.d/.depend.stop', target: 'proactive-node', newlineAdded: true },
  ]);
  const stat = { mode: 0o644, uid: 0, gid: 0 };
  const state = stateAfter(first, {
    texts: { '/etc/init.d/.depend.start': { text: addInsservTarget(start, 'proactive-node'), stat }, '/etc/init.d/.depend.stop': { text: addInsservTarget(stop, 'proactive-node'), stat } },
  });
  const plan = buildRemovePlan({ guest: installed(guest, first), state, guestprepVersion: VERSION, now: LATER });
  assert.equal(writtenFiles(plan).get('/etc/init.d/.depend.start'), start);
  assert.equal(writtenFiles(plan).get('/etc/init.d/.depend.stop'), stop);
  for (const l of ['/etc/rc2.d/S99proactive-node', '/etc/rc6.d/K01proactive-node', '/etc/init.d/proactive-node']) assert.ok(absent(plan).includes(l));
  // Every command reads back exactly in guestfish.
  for (const s of plan.steps) for (const c of s.commands) assert.deepEqual(gfUnquote(renderCommand(c, (r) => `/tmp/${r.id}`)), c.argv);
  const { expected, actual } = matchGolden('remove-sysvinit.gf', renderScript(plan, { image: '/vms/worker.vdi', format: 'vdi', uploadPath: (r) => `/tmp/${r.id}`, purpose: 'remove the ProActive node Guestprep installed' }));
  assert.equal(actual, expected);
});

test('remove, Windows: the service key deleted from the SYSTEM hive (checked absent), C:\\ProActive removed', () => {
  const guest = windowsGuest({ existingService: { name: 'proactive-node', imagePath: '"C:\\ProActive\\guestprep\\guestprep-service.exe"', parameters: {} } }, { dirsPresent: { '/ProActive': false } });
  const first = buildPlan({ ...prepareInput(guest, { settings: windowsSettings() }), jre: jreInfo({ os: 'windows' }), wrapperPath: () => '/w.exe' });
  const g = { ...guest, existing: { path: '/ProActive/guestprep/install.json', record: first.record } };
  const q = removalQueries(g);
  assert.deepEqual(q.read, [], 'no Linux files to edit');
  const kinds: Record<string, PathKind> = { '/ProActive': 'dir' };
  const plan = buildRemovePlan({ guest: g, state: { kinds, entries: {}, texts: {} }, guestprepVersion: VERSION, now: LATER });
  assert.deepEqual(plan.steps.map((s) => s.id), ['unregister-service', 'remove-install-dir']);
  const reg = plan.steps[0].commands.flatMap((c) => c.argv).map((a) => (typeof a === 'string' ? undefined : a.upload)).find((u) => u?.id === 'service-reg')!;
  assert.match(reg.content!, /\r\n\[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node\]\r\n/);
  assert.ok(plan.expectations.some((e) => e.kind === 'registry-absent' && e.key === 'ControlSet002\\Services\\proactive-node'));
  assert.deepEqual(plan.steps[1].commands.map((c) => c.argv), [['rm-rf', '/ProActive']]);
});

test('remove without an install, or with a record of the other OS: refused with a fix', () => {
  assert.throws(() => removalQueries(guestFacts()), (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED' && /--install-dir/.test(e.fix));
  const first = buildPlan(prepareInput(guestFacts()));
  const onWindows = { ...windowsGuest(), existing: { path: '/x', record: first.record } };
  assert.throws(() => removalQueries(onWindows), (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_UNSUPPORTED_OS');
});

test('remove after two prepares: the record of the second still lists everything the first created', () => {
  const guest = sysvGuest({ insservDepend: { start: 'TARGETS = cron\n', stop: 'TARGETS = halt\n' }, accounts: { users: ['root'], groups: ['root'] } }, { dirsPresent: { '/opt': false, '/opt/proactive': false } });
  const first = buildPlan(prepareInput(guest));
  const files = writtenFiles(first);
  // The second run sees the guest as the first left it: /opt exists, the service is listed, the files are there.
  const second = buildPlan(prepareInput({
    ...sysvGuest({ insservDepend: { start: files.get('/etc/init.d/.depend.start')!, stop: files.get('/etc/init.d/.depend.stop')! }, accounts: { users: ['root'], groups: ['root'] } }, { dirsPresent: { '/opt': true, '/opt/proactive': true } }),
    existing: { path: '/opt/proactive/guestprep/install.json', record: first.record },
  }, { now: LATER }));
  const { installedAt, updatedAt, ...rest } = second.record;
  const { installedAt: i1, ...rest1 } = first.record;
  assert.equal(installedAt, i1);
  assert.equal(updatedAt, LATER);
  assert.deepEqual(rest, rest1);
  assert.ok(!second.steps.some((s) => s.id === 'register-insserv'), 'already listed: not added twice');
});

test('a tampered record: a path outside what an install creates refuses the whole record, naming it; a foreign install folder is refused', () => {
  const first = buildPlan(prepareInput(guestFacts()));
  for (const extra of ['/etc/passwd', '/usr/bin', '/etc/../etc/shadow', '/etc/systemd/system/other.service']) {
    const record = { ...first.record, files: [...first.record.files, extra] };
    const guest = { ...guestFacts(), existing: { path: '/opt/proactive/guestprep/install.json', record } };
    const refused = (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED' &&
      e.message.includes(`/opt/proactive/guestprep/install.json is damaged`) && e.message.includes(JSON.stringify(extra)) && /nothing was removed/.test(e.message);
    assert.throws(() => removalQueries(guest), refused, extra);
    assert.throws(() => buildRemovePlan({ guest, state: stateAfter({ ...first, record }), guestprepVersion: VERSION, now: LATER }), refused, extra);
  }
  const usr = { ...guestFacts(), existing: { path: '/x', record: { ...first.record, createdDirs: ['/usr'] } } };
  assert.throws(() => removalQueries(usr), (e: unknown) => e instanceof GuestprepError && /"\/usr" \(in createdDirs\)/.test(e.message));
  for (const installDir of ['/', '/etc', '/opt/../etc']) {
    const bad = { ...guestFacts(), existing: { path: '/x', record: { ...first.record, installDir } } };
    assert.throws(() => removalQueries(bad), (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED' && /damaged/.test(e.message), installDir);
  }
  const badKey = buildPlan({ ...prepareInput(windowsGuest(), { settings: windowsSettings() }), jre: jreInfo({ os: 'windows' }), wrapperPath: () => '/w.exe' }).record;
  const w = { ...windowsGuest(), existing: { path: '/x', record: { ...badKey, windowsService: { controlSet: 'ControlSet002', key: 'ControlSet002\\Services\\Tcpip' } } } };
  assert.throws(() => removalQueries(w), (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED');
});
