import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import Database from 'better-sqlite3';
import { GuestprepError, type ErrorCode } from '../engine/errors';
import type { PrepareReport } from '../engine/run/prepare';
import { openStore } from '../backend/store';
import type { Store } from '../backend/store-types';
import { applyPreset, explicitOptions, logLineFor, openCliStore, recordCliRun, type PrepareFlagValues } from './preset-options';

type T = { after: (fn: () => void) => void };

function tempDbPath(t: T): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-preset-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'guestprep.sqlite');
}

function store(t: T, file = tempDbPath(t)): Store {
  const s = openStore(file);
  t.after(() => s.close());
  return s;
}

function throwsCode(fn: () => unknown, code: ErrorCode, message: RegExp, fix?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GuestprepError, `expected a GuestprepError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
  if (fix) assert.match(caught.fix, fix);
}

/** The `prepare` options as the CLI declares them (same defaults), plus --preset, without the action. */
function prepareCommand(): Command {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  return new Command('prepare')
    .exitOverride()
    .argument('<image>')
    .option('--preset <name>')
    .option('--jre <archive>')
    .option('--proactive <archive>')
    .option('--rm-url <url>')
    .option('--node-source <name>', '', 'Default')
    .option('--node-name <name>')
    .option('--workers <n>')
    .option('--credentials <file>')
    .option('--jvm-option <opt>', '', collect, [])
    .option('--no-ignore-unrecognized-vm-options')
    .option('--service-user <user>', '', 'proactive')
    .option('--service-name <name>', '', 'proactive-node')
    .option('--install-dir <dir>', '', '/opt/proactive')
    .option('--dry-run')
    .option('--json');
}

/** Parses a command line the way the CLI would and merges the preset it names. */
function resolve(s: Store | undefined, argv: string[]) {
  const cmd = prepareCommand();
  cmd.parse(['img.vdi', ...argv], { from: 'user' });
  const o = cmd.opts<PrepareFlagValues & { preset?: string }>();
  return applyPreset(s, o.preset, o, explicitOptions(cmd));
}

const labData = {
  jre: '/arch/jre17.tgz',
  proactive: '/arch/node-13.zip',
  settings: { rmUrl: 'pnp://rm.lab:64738', nodeSource: 'LabSource', workers: 4, jvmOptions: ['-Xmx2g'], ignoreUnrecognizedVmOptions: false, serviceUser: 'pa' },
};

test('only options the user typed count as explicit; defaults do not', () => {
  const cmd = prepareCommand();
  cmd.parse(['img.vdi', '--rm-url', 'pnp://x', '--no-ignore-unrecognized-vm-options', '--jvm-option', '-Xss1m'], { from: 'user' });
  assert.deepEqual([...explicitOptions(cmd)].sort(), ['ignoreUnrecognizedVmOptions', 'jvmOption', 'rmUrl']);
  // Typing the default value is still a choice.
  const again = prepareCommand();
  again.parse(['img.vdi', '--node-source', 'Default'], { from: 'user' });
  assert.deepEqual([...explicitOptions(again)], ['nodeSource']);
});

test('a preset fills everything the user did not type, over commander defaults', (t) => {
  const s = store(t);
  s.presets.save('lab', labData);
  assert.deepEqual(resolve(s, ['--preset', 'lab']), {
    jre: '/arch/jre17.tgz',
    proactive: '/arch/node-13.zip',
    preset: 'lab',
    settings: {
      rmUrl: 'pnp://rm.lab:64738',
      nodeSource: 'LabSource', // not the "Default" commander fills in
      workers: 4,
      jvmOptions: ['-Xmx2g'], // not the empty list commander fills in
      ignoreUnrecognizedVmOptions: false, // not commander's true
      serviceUser: 'pa',
      serviceName: 'proactive-node', // the preset has none: the flag's default
      installDir: '/opt/proactive',
    },
  });
});

test('flags the user typed win over the preset', (t) => {
  const s = store(t);
  s.presets.save('lab', labData);
  const r = resolve(s, ['--preset', 'lab', '--proactive', '/other/node.zip', '--rm-url', 'pnps://prod:64739', '--node-source', 'Default',
    '--workers', '8', '--jvm-option', '-Xmx4g', '--jvm-option', '-Dx=1', '--service-user', 'root', '--node-name', 'n1']);
  assert.equal(r.proactive, '/other/node.zip');
  assert.equal(r.jre, '/arch/jre17.tgz');
  assert.equal(r.settings.rmUrl, 'pnps://prod:64739');
  assert.equal(r.settings.nodeSource, 'Default', 'typed, even though it equals the default');
  assert.equal(r.settings.workers, '8');
  assert.deepEqual(r.settings.jvmOptions, ['-Xmx4g', '-Dx=1'], 'typed JVM options replace the preset list');
  assert.equal(r.settings.serviceUser, 'root');
  assert.equal(r.settings.nodeName, 'n1');
  assert.equal(r.settings.ignoreUnrecognizedVmOptions, false);
});

test('--no-ignore-unrecognized-vm-options typed wins over a preset that says true', (t) => {
  const s = store(t);
  s.presets.save('p', { proactive: '/n.zip', settings: { rmUrl: 'pnp://x', ignoreUnrecognizedVmOptions: true } });
  assert.equal(resolve(s, ['--preset', 'p']).settings.ignoreUnrecognizedVmOptions, true);
  assert.equal(resolve(s, ['--preset', 'p', '--no-ignore-unrecognized-vm-options']).settings.ignoreUnrecognizedVmOptions, false);
});

test('without a preset, the flags alone (as before presets existed)', () => {
  const r = resolve(undefined, ['--proactive', '/n.zip', '--rm-url', 'pnp://x', '--credentials', '/c.cred']);
  assert.deepEqual(r, {
    proactive: '/n.zip',
    settings: { rmUrl: 'pnp://x', nodeSource: 'Default', jvmOptions: [], ignoreUnrecognizedVmOptions: true, serviceUser: 'proactive', serviceName: 'proactive-node', installDir: '/opt/proactive', credentialsFile: '/c.cred' },
  });
});

test('the ProActive archive and the manager URL are required from the flags or the preset', (t) => {
  throwsCode(() => resolve(undefined, ['--rm-url', 'pnp://x']), 'SETTING_INVALID', /no ProActive node archive/, /--proactive/);
  throwsCode(() => resolve(undefined, ['--proactive', '/n.zip']), 'SETTING_INVALID', /no Resource Manager URL/, /--rm-url/);
  const s = store(t);
  s.presets.save('bare', { settings: { rmUrl: '' } });
  throwsCode(() => resolve(s, ['--preset', 'bare', '--rm-url', 'pnp://x']), 'SETTING_INVALID', /no ProActive node archive.*preset "bare" has none/);
  throwsCode(() => resolve(s, ['--preset', 'bare', '--proactive', '/n.zip']), 'SETTING_INVALID', /no Resource Manager URL.*preset "bare"/);
  assert.equal(resolve(s, ['--preset', 'bare', '--proactive', '/n.zip', '--rm-url', 'pnp://x']).settings.rmUrl, 'pnp://x');
});

test('an unknown preset is an error whose fix lists the saved ones', (t) => {
  const s = store(t);
  throwsCode(() => resolve(s, ['--preset', 'lab']), 'SETTING_INVALID', /no preset named "lab"/, /No presets are saved yet/);
  s.presets.save('Lab A', labData);
  s.presets.save('prod', labData);
  throwsCode(() => resolve(s, ['--preset', 'lab']), 'SETTING_INVALID', /no preset named "lab"/, /"Lab A", "prod"/);
});

test('a preset damaged in the database is reported by name, not passed on', (t) => {
  const file = tempDbPath(t);
  const s = store(t, file);
  s.presets.save('lab', labData);
  const raw = new Database(file);
  raw.prepare('UPDATE presets SET data = ? WHERE name = ?').run(JSON.stringify({ settings: { rmUrl: 'pnp://x', oops: 1 } }), 'lab');
  raw.close();
  throwsCode(() => resolve(s, ['--preset', 'lab']), 'SETTING_INVALID', /preset "lab": invalid settings: unknown setting "oops"/, /save the preset again/);
});

test('openCliStore: needed for a preset it fails loudly; otherwise the run goes on unrecorded with a warning', (t) => {
  const file = tempDbPath(t);
  const raw = new Database(file);
  raw.pragma('user_version = 99');
  raw.close();
  const warnings: string[] = [];
  throwsCode(() => openCliStore({ required: true, warn: (m) => warnings.push(m), dbPath: file }), 'STORE_TOO_NEW', /newer Guestprep/, /Update Guestprep/);
  assert.equal(warnings.length, 0);
  assert.equal(openCliStore({ required: false, warn: (m) => warnings.push(m), dbPath: file }), undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /not recorded in the history: .*newer Guestprep/);

  const ok = openCliStore({ required: true, warn: (m) => warnings.push(m), dbPath: tempDbPath(t) });
  assert.ok(ok);
  ok.close();
});

test('events become readable log lines; progress and byte counts are left out', () => {
  assert.equal(logLineFor({ type: 'phase', phase: 'checks', message: 'Checking the image' } as never), 'Checking the image');
  assert.equal(logLineFor({ type: 'step', stepId: 's', title: 'Copy the JRE', status: 'done', index: 1, total: 5 }), '[2/5] Copy the JRE: done');
  assert.equal(logLineFor({ type: 'log', level: 'info', message: 'hello' }), 'hello');
  assert.equal(logLineFor({ type: 'log', level: 'warn', message: 'careful' }), 'warn: careful');
  assert.equal(logLineFor({ type: 'log', level: 'debug', message: 'guestfish> ls' }), 'debug: guestfish> ls');
  assert.equal(logLineFor({ type: 'progress', percent: 50 }), undefined);
  assert.equal(logLineFor({ type: 'bytes', stepId: 's', sent: 1, total: 2 }), undefined);
});

const report = { runId: 'engine-run', ok: true, dryRun: false, warnings: [] } as unknown as PrepareReport;

test('a CLI run is recorded in the shared history: start, log, outcome, duration, report', (t) => {
  const s = store(t);
  let clock = Date.parse('2025-05-01T08:00:00.000Z');
  const rec = recordCliRun(s, { image: '/vms/a.vdi', preset: 'lab' }, { now: () => clock });
  assert.ok(rec.id);
  rec.event({ type: 'log', level: 'info', message: 'one' });
  rec.event({ type: 'progress', percent: 10 });
  rec.event({ type: 'step', stepId: 'x', title: 'Write', status: 'running', index: 0, total: 1 });
  clock += 2500;
  rec.succeeded(report);
  rec.failed({ code: 'INTERNAL', message: 'late', fix: 'x' }); // ignored: the outcome is already recorded
  assert.deepEqual(s.history.get(rec.id!), {
    id: rec.id, image: '/vms/a.vdi', preset: 'lab', startedAt: '2025-05-01T08:00:00.000Z', durationMs: 2500, outcome: 'success', report,
    log: ['one', '[1/1] Write: running'],
  });
});

test('a failed CLI run keeps its error; Ctrl-C is recorded as cancelled', (t) => {
  const s = store(t);
  const failed = recordCliRun(s, { image: 'relative/a.vdi' });
  assert.equal(s.history.get(failed.id!)?.image, path.resolve('relative/a.vdi'), 'recorded absolute, for the app to show');
  const error = { code: 'GUEST_NO_OS' as const, message: 'no OS found', fix: 'choose the system disk' };
  failed.failed(error);
  assert.equal(s.history.get(failed.id!)?.outcome, 'failed');
  assert.deepEqual(s.history.get(failed.id!)?.error, error);
  const cancelled = recordCliRun(s, { image: '/vms/b.vdi' });
  cancelled.failed({ code: 'CANCELLED', message: 'cancelled', fix: 'run again' });
  assert.equal(s.history.get(cancelled.id!)?.outcome, 'cancelled');
});

test('history trouble never stops the run: one warning, then recording stops', (t) => {
  const file = tempDbPath(t);
  const s = openStore(file);
  const warnings: string[] = [];
  const rec = recordCliRun(s, { image: '/vms/a.vdi' }, { warn: (m) => warnings.push(m) });
  const id = rec.id!;
  rec.event({ type: 'log', level: 'info', message: 'kept' });
  s.close(); // the database goes away mid-run
  assert.doesNotThrow(() => {
    rec.event({ type: 'log', level: 'info', message: 'lost' });
    rec.event({ type: 'log', level: 'info', message: 'lost too' });
    rec.succeeded(report);
  });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /stopped recording this run/);
  assert.equal(rec.id, undefined);
  const again = store(t, file);
  assert.deepEqual(again.history.get(id)?.log, ['kept']);

  // Without a store at all, recording is a no-op.
  const none = recordCliRun(undefined, { image: '/vms/a.vdi' });
  none.event({ type: 'log', level: 'info', message: 'x' });
  none.succeeded(report);
  assert.equal(none.id, undefined);
});
