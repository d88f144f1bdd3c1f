import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from './build';
import { buildRetargetPlan, archivesOfRecord } from './retarget';
import { renderScript } from './render';
import { renderCommand } from '../quote/guestfish';
import { gfUnquote } from '../quote/roundtrip';
import { GuestprepError } from '../errors';
import {
  guestFacts, jreInfo, legacyProactive, matchGolden, modernProactive, nodeSettings, NOW, planArgvs, rcLocalGuest, sysvGuest, VERSION,
  windowsGuest, windowsSettings, writtenFiles,
} from './test-fixtures';
import type { GuestFacts, NodeSettings, Plan } from '../types';

const LATER = '2025-06-07T08:09:10.000Z';
const NEW_RM = { protocol: 'pnps' as const, host: 'rm2.example.org', port: 64739, url: 'pnps://rm2.example.org:64739' };

/** A guest as inspection finds it after `first` was committed: its record is the existing install. */
function installed(guest: GuestFacts, first: Plan): GuestFacts {
  return { ...guest, existing: { path: first.record.installDir.startsWith('/') ? `${first.record.installDir}/guestprep/install.json` : '/ProActive/guestprep/install.json', record: first.record } };
}

const prepareInput = (guest: GuestFacts, settings: NodeSettings, over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest, settings, jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, ...over,
});

const ARCHIVE_STEPS = ['prepare-install-dir', 'upload-jre', 'upload-proactive', 'create-logs-dir'];

for (const [name, guest, rewritten] of [
  ['systemd', guestFacts(), ['/etc/systemd/system/proactive-node.service', '/etc/tmpfiles.d/proactive-node.conf']],
  ['sysvinit', sysvGuest({ insservDepend: { start: 'TARGETS = cron\n', stop: 'TARGETS = halt\n' } }), ['/etc/init.d/proactive-node']],
  ['rc.local', rcLocalGuest('#!/bin/sh\nexit 0\n'), ['/opt/proactive/guestprep/proactive-node']],
] as const) {
  test(`retarget, ${name}: only the files with manager settings, with the texts a prepare would write, no archive`, () => {
    const settings = nodeSettings({ workers: 2 });
    const first = buildPlan(prepareInput(guest, settings));
    const changed = nodeSettings({ rm: NEW_RM, nodeName: 'renamed', nodeSource: 'GPU', workers: 4 });
    const plan = buildRetargetPlan({ guest: installed(guest, first), settings: changed, guestprepVersion: VERSION, now: LATER });

    // Nothing is uploaded: no tar-in, no upload, no archive step.
    assert.ok(!planArgvs(plan).some((a) => a[0] === 'tar-in' || a[0] === 'upload' || a[0].startsWith('rm')), JSON.stringify(planArgvs(plan)));
    assert.ok(!plan.steps.some((s) => ARCHIVE_STEPS.includes(s.id) || s.bytes));
    assert.equal(plan.requiredBytes, 0);

    // Exactly these files are written, each with the text a prepare with the new settings writes.
    const reference = writtenFiles(buildPlan(prepareInput(guest, changed)));
    const written = writtenFiles(plan);
    assert.deepEqual([...written.keys()].sort(), ['/opt/proactive/guestprep/install.json', '/opt/proactive/guestprep/start-node.sh', ...rewritten].sort());
    for (const [path, text] of written) if (!path.endsWith('install.json')) assert.equal(text, reference.get(path), path);
    assert.ok(written.get('/opt/proactive/guestprep/start-node.sh')!.includes("-r 'pnps://rm2.example.org:64739' -s 'GPU' -n 'renamed' -w '4'"));

    // The record: same install, new manager, first install time kept.
    const r = plan.record;
    assert.equal(r.installedAt, NOW);
    assert.equal(r.updatedAt, LATER);
    assert.deepEqual([r.rmUrl, r.nodeName, r.nodeSource, r.workers], ['pnps://rm2.example.org:64739', 'renamed', 'GPU', 4]);
    assert.deepEqual(r.files, first.record.files);
    assert.deepEqual([r.jre, r.proactive, r.rcLocal, r.insserv, r.serviceAccount, r.createdDirs], [first.record.jre, first.record.proactive, first.record.rcLocal, first.record.insserv, first.record.serviceAccount, first.record.createdDirs]);
    assert.deepEqual(JSON.parse(written.get('/opt/proactive/guestprep/install.json')!), r);
    assert.ok(plan.expectations.some((e) => e.kind === 'file' && e.path === '/opt/proactive/guestprep/install.json' && e.contains === `"updatedAt": "${LATER}"`));
    // Every command reads back exactly in guestfish.
    for (const s of plan.steps) for (const c of s.commands) {
      assert.deepEqual(gfUnquote(renderCommand(c, (ref) => `/tmp/${ref.id}`)), c.argv.map((a) => (typeof a === 'string' ? a : `/tmp/${a.upload.id}`)));
    }
  });
}

test('retarget, systemd: the whole rendered script (golden)', () => {
  const first = buildPlan(prepareInput(guestFacts(), nodeSettings()));
  const plan = buildRetargetPlan({ guest: installed(guestFacts(), first), settings: nodeSettings({ rm: NEW_RM }), guestprepVersion: VERSION, now: LATER });
  const { expected, actual } = matchGolden('retarget-systemd.gf', renderScript(plan, { image: '/vms/worker.vdi', format: 'vdi', uploadPath: (r) => `/tmp/${r.id}`, purpose: 'point an installed ProActive node at another Resource Manager' }));
  assert.equal(actual, expected);
});

test('retarget keeps the credentials file already installed, or installs a new one (the only upload)', () => {
  const withCreds = nodeSettings({ credentials: { hostPath: '/h/old.cred', bytes: 10 } });
  const first = buildPlan(prepareInput(guestFacts(), withCreds));
  const guest = installed(guestFacts(), first);
  const kept = buildRetargetPlan({ guest, settings: nodeSettings({ rm: NEW_RM }), guestprepVersion: VERSION, now: LATER });
  assert.ok(writtenFiles(kept).get('/opt/proactive/guestprep/start-node.sh')!.endsWith(" -f '/opt/proactive/guestprep/credentials.cred'\n"));
  assert.ok(writtenFiles(kept).get('/etc/tmpfiles.d/proactive-node.conf')!.includes('z /opt/proactive/guestprep/credentials.cred 0600'));
  assert.equal(kept.record.hasCredentials, true);
  assert.ok(!planArgvs(kept).some((a) => a[0] === 'upload'));

  const fresh = buildRetargetPlan({ guest, settings: nodeSettings({ rm: NEW_RM, credentials: { hostPath: '/h/new.cred', bytes: 20 } }), guestprepVersion: VERSION, now: LATER });
  const uploads = planArgvs(fresh).filter((a) => a[0] === 'upload');
  assert.deepEqual(uploads, [['upload', '<upload:credentials>', '/opt/proactive/guestprep/credentials.cred']]);
  assert.equal(fresh.steps.find((s) => s.id === 'install-credentials')!.bytes, 20);
});

test('retarget on a 3.x node: the 3.x start script and arguments, from the record alone', () => {
  const settings = nodeSettings({ rm: { protocol: 'rmi', host: 'rm', port: 1099, url: 'rmi://rm:1099' } });
  const first = buildPlan(prepareInput(sysvGuest(), settings, { proactive: legacyProactive() }));
  const record = { ...first.record, proactive: { ...first.record.proactive, startScript: undefined } };
  assert.equal(archivesOfRecord(record).proactive.startScript, 'bin/unix/rm-start-node', 'older records: from the generation');
  const plan = buildRetargetPlan({ guest: { ...sysvGuest(), existing: { path: '/x', record } }, settings: nodeSettings({ rm: { protocol: 'rmi', host: 'rm2', port: 1099, url: 'rmi://rm2:1099' } }), guestprepVersion: VERSION, now: LATER });
  assert.ok(writtenFiles(plan).get('/opt/proactive/guestprep/start-node.sh')!.includes("exec '/opt/proactive/node/bin/unix/rm-start-node' -r 'rmi://rm2:1099' -n 'worker-01' -s 'Default'\n"));
});

test('retarget without an install: GUEST_NOT_PREPARED with a fix', () => {
  assert.throws(() => buildRetargetPlan({ guest: guestFacts(), settings: nodeSettings(), guestprepVersion: VERSION, now: LATER }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED' && /guestprep prepare/.test(e.fix) && /--install-dir/.test(e.fix));
});

test('retarget, Windows: start-node.cmd, the service description in the hive, install.json; nothing else', () => {
  const winJre = jreInfo({ archivePath: '/d/OpenJDK17U-jre_x64_windows.zip', kind: 'zip', os: 'windows' });
  const first = buildPlan({ ...prepareInput(windowsGuest(), windowsSettings()), jre: winJre, wrapperPath: () => '/w.exe' });
  const guest = { ...windowsGuest({ existingService: { name: 'proactive-node', imagePath: '"C:\\ProActive\\guestprep\\guestprep-service.exe"', parameters: {} } }), existing: { path: '/ProActive/guestprep/install.json', record: first.record } };
  const changed = windowsSettings({ rm: NEW_RM, nodeName: 'WIN-B' });
  const plan = buildRetargetPlan({ guest, settings: changed, guestprepVersion: VERSION, now: LATER });
  assert.deepEqual(plan.steps.map((s) => s.id), ['write-start-cmd', 'update-service-description', 'write-install-record']);
  assert.ok(!planArgvs(plan).some((a) => a[0] === 'tar-in' || (a[0] === 'upload' && a[2] !== '/Windows/System32/config/SYSTEM')));
  const reference = writtenFiles(buildPlan({ ...prepareInput(windowsGuest(), changed), jre: winJre, wrapperPath: () => '/w.exe' }));
  assert.equal(writtenFiles(plan).get('/ProActive/guestprep/start-node.cmd'), reference.get('/ProActive/guestprep/start-node.cmd'));
  const reg = plan.steps[1].commands.flatMap((c) => c.argv).map((a) => (typeof a === 'string' ? undefined : a.upload)).find((u) => u?.id === 'service-reg')!;
  assert.match(reg.content!, /\[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node\]\r\n"Description"="ProActive node WIN-B for pnps:\/\/rm2\.example\.org:64739, installed by Guestprep\."\r\n/);
  assert.ok(!/\[-/.test(reg.content!), 'the key is not deleted: its other values stay');
  assert.ok(plan.expectations.some((e) => e.kind === 'registry' && e.key === 'ControlSet002\\Services\\proactive-node' && 'Description' in e.values));
  assert.equal(plan.record.rmUrl, NEW_RM.url);
  assert.equal(plan.record.updatedAt, LATER);
  // The service must still be there to be retargeted.
  assert.throws(() => buildRetargetPlan({ guest: { ...guest, windows: { ...guest.windows!, existingService: undefined } }, settings: changed, guestprepVersion: VERSION, now: LATER }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED');
});
