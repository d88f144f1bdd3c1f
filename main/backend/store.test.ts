import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { GuestprepError, type ErrorCode } from '../engine/errors';
import type { PrepareReport } from '../engine/run/prepare';
import { DEFAULT_HISTORY_LIMIT, MAX_LOG_LINE, openStore, type StoreOptions } from './store';
import type { Store } from './store-types';

type T = { after: (fn: () => void) => void };

function tempFile(t: T): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A folder that does not exist yet: first start on a machine.
  return path.join(dir, 'user-data', 'guestprep.sqlite');
}

function open(t: T, file = tempFile(t), opts: StoreOptions = {}): Store {
  const s = openStore(file, opts);
  t.after(() => s.close());
  return s;
}

/** A clock that moves one second per reading, so created/updated times differ visibly. */
function ticking(start = Date.parse('2025-03-01T10:00:00.000Z')): () => Date {
  let n = 0;
  return () => new Date(start + 1000 * n++);
}

function throwsCode(fn: () => unknown, code: ErrorCode, message: RegExp, fix?: RegExp): GuestprepError {
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
  return caught;
}

const lab = { jre: '/arch/jre17.tgz', proactive: '/arch/node-13.zip', settings: { rmUrl: 'pnp://rm.lab:64738', nodeSource: 'Lab', workers: 2 } };

// ---------------------------------------------------------------- presets

test('a saved preset comes back as saved; saving again replaces data and keeps its creation time', (t) => {
  const s = open(t, undefined, { now: ticking() });
  const p1 = s.presets.save('  Lab  ', lab);
  assert.deepEqual(p1, { name: 'Lab', data: lab, createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:00:00.000Z' });
  assert.deepEqual(s.presets.get('Lab'), p1);
  assert.deepEqual(s.presets.get(' Lab'), p1, 'lookups trim like saves do');

  const p2 = s.presets.save('Lab', { settings: { rmUrl: 'pnps://rm.lab:64739' } });
  assert.deepEqual(p2, { name: 'Lab', data: { settings: { rmUrl: 'pnps://rm.lab:64739' } }, createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:00:01.000Z' });
  assert.equal(s.presets.list().length, 1);
});

test('presets list by name, case-blind', (t) => {
  const s = open(t);
  for (const n of ['beta', 'Alpha', 'gamma', 'Beta2']) s.presets.save(n, lab);
  assert.deepEqual(s.presets.list().map((p) => p.name), ['Alpha', 'beta', 'Beta2', 'gamma']);
});

test('preset names: 1 to 64 characters once trimmed, no control characters', (t) => {
  const s = open(t);
  throwsCode(() => s.presets.save('', lab), 'SETTING_INVALID', /empty/, /1 to 64 characters/);
  throwsCode(() => s.presets.save('   ', lab), 'SETTING_INVALID', /empty/);
  throwsCode(() => s.presets.save('x'.repeat(65), lab), 'SETTING_INVALID', /longer than 64/);
  throwsCode(() => s.presets.save('two\nlines', lab), 'SETTING_INVALID', /control character/, /line breaks/);
  throwsCode(() => s.presets.save('tab\there', lab), 'SETTING_INVALID', /control character/);
  throwsCode(() => s.presets.save('bell\u0007', lab), 'SETTING_INVALID', /control character/);
  throwsCode(() => s.presets.save(42 as unknown as string, lab), 'SETTING_INVALID', /must be text/);
  // 64 characters outside ASCII are 64, not 128 UTF-16 units.
  assert.equal(s.presets.save('é'.repeat(64), lab).name, 'é'.repeat(64));
  assert.equal(s.presets.save('🚀'.repeat(64), lab).name, '🚀'.repeat(64));
  assert.equal(s.presets.save('x'.repeat(64), lab).name.length, 64);
  assert.equal(s.presets.list().length, 3, 'nothing invalid was saved');
});

test('preset data is checked with the settings schema before saving', (t) => {
  const s = open(t);
  throwsCode(() => s.presets.save('a', { settings: { rmUrl: 'pnp://x', colour: 'red' } } as never), 'SETTING_INVALID', /preset "a".*unknown setting "colour"/, /Known settings/);
  throwsCode(() => s.presets.save('a', { settings: { nodeSource: 'x' } } as never), 'SETTING_INVALID', /rmUrl is missing/);
  throwsCode(() => s.presets.save('a', { settings: { rmUrl: 'pnp://x', jvmOptions: '-Xmx1g' } } as never), 'SETTING_INVALID', /jvmOptions must be a list/);
  throwsCode(() => s.presets.save('a', { settings: { rmUrl: 'pnp://x' }, image: '/x.vdi' } as never), 'SETTING_INVALID', /unknown field image/);
  throwsCode(() => s.presets.save('a', { jre: 5, settings: { rmUrl: 'pnp://x' } } as never), 'SETTING_INVALID', /jre/);
  throwsCode(() => s.presets.save('a', {} as never), 'SETTING_INVALID', /no settings/);
  throwsCode(() => s.presets.save('a', null as never), 'SETTING_INVALID', /invalid/);
  assert.deepEqual(s.presets.list(), []);
  // An empty archive field from a form means "none chosen".
  assert.deepEqual(s.presets.save('a', { jre: '', proactive: '', settings: { rmUrl: 'pnp://x' } }).data, { settings: { rmUrl: 'pnp://x' } });
});

test('rename moves a preset to a free name, and says what is wrong otherwise', (t) => {
  const s = open(t, undefined, { now: ticking() });
  const created = s.presets.save('old', lab).createdAt;
  s.presets.save('taken', lab);
  const r = s.presets.rename('old', ' new ');
  assert.equal(r.name, 'new');
  assert.equal(r.createdAt, created);
  assert.notEqual(r.updatedAt, created);
  assert.deepEqual(r.data, lab);
  assert.equal(s.presets.get('old'), undefined);
  throwsCode(() => s.presets.rename('new', 'taken'), 'SETTING_INVALID', /"taken" already exists/, /another name/);
  throwsCode(() => s.presets.rename('ghost', 'x'), 'SETTING_INVALID', /no preset named "ghost"/, /"new", "taken"/);
  throwsCode(() => s.presets.rename('new', ''), 'SETTING_INVALID', /empty/);
  assert.equal(s.presets.rename('new', 'new').name, 'new', 'renaming to itself is harmless');
  assert.equal(s.presets.rename('new', 'New').name, 'New', 'a change of case is a rename');
  assert.deepEqual(s.presets.list().map((p) => p.name), ['New', 'taken']);
});

test('delete says whether there was something to delete', (t) => {
  const s = open(t);
  s.presets.save('a', lab);
  assert.equal(s.presets.delete('a'), true);
  assert.equal(s.presets.delete('a'), false);
  assert.deepEqual(s.presets.list(), []);
});

test('export then import into another database carries the presets over', (t) => {
  const a = open(t);
  a.presets.save('one', lab);
  a.presets.save('two', { settings: { rmUrl: 'rmi://old:1099' } });
  const json = a.presets.exportJson();
  const doc = JSON.parse(json);
  assert.equal(doc['guestprep-presets'], 1);
  assert.deepEqual(doc.presets, [{ name: 'one', data: lab }, { name: 'two', data: { settings: { rmUrl: 'rmi://old:1099' } } }]);

  const b = open(t);
  assert.deepEqual(b.presets.importJson(json), { imported: ['one', 'two'], skipped: [] });
  assert.deepEqual(b.presets.list().map((p) => [p.name, p.data]), a.presets.list().map((p) => [p.name, p.data]));
});

test('export of chosen names only; an unknown name is an error', (t) => {
  const s = open(t);
  s.presets.save('one', lab);
  s.presets.save('two', lab);
  assert.deepEqual(JSON.parse(s.presets.exportJson(['two', 'two'])).presets.map((p: { name: string }) => p.name), ['two']);
  assert.deepEqual(JSON.parse(s.presets.exportJson([])).presets, []);
  throwsCode(() => s.presets.exportJson(['one', 'nope']), 'SETTING_INVALID', /"nope"/, /"one", "two"/);
});

test('import skips names that exist, unless asked to overwrite', (t) => {
  const s = open(t);
  s.presets.save('one', { settings: { rmUrl: 'pnp://mine' } });
  const file = JSON.stringify({ 'guestprep-presets': 1, presets: [{ name: 'one', data: lab }, { name: 'three', data: lab }] });
  assert.deepEqual(s.presets.importJson(file), { imported: ['three'], skipped: ['one'] });
  assert.equal(s.presets.get('one')?.data.settings.rmUrl, 'pnp://mine');
  assert.deepEqual(s.presets.importJson(file, true), { imported: ['one', 'three'], skipped: [] });
  assert.equal(s.presets.get('one')?.data.settings.rmUrl, 'pnp://rm.lab:64738');
});

test('import refuses what is not a Guestprep presets file, and writes nothing from a bad file', (t) => {
  const s = open(t);
  throwsCode(() => s.presets.importJson('{not json'), 'SETTING_INVALID', /not valid JSON/, /exported from Guestprep/);
  throwsCode(() => s.presets.importJson('[]'), 'SETTING_INVALID', /not a Guestprep presets file/);
  throwsCode(() => s.presets.importJson('{"presets": []}'), 'SETTING_INVALID', /not a Guestprep presets file/);
  throwsCode(() => s.presets.importJson('{"guestprep-presets": 2, "presets": []}'), 'SETTING_INVALID', /version 2.*newer Guestprep/, /Update Guestprep/);
  throwsCode(() => s.presets.importJson('{"guestprep-presets": "1", "presets": []}'), 'SETTING_INVALID', /unknown format version "1"/);
  throwsCode(() => s.presets.importJson('{"guestprep-presets": 1}'), 'SETTING_INVALID', /no "presets" list/);
  const dup = { 'guestprep-presets': 1, presets: [{ name: 'a', data: lab }, { name: ' a', data: lab }] };
  throwsCode(() => s.presets.importJson(JSON.stringify(dup)), 'SETTING_INVALID', /"a" twice/);
  // The second preset is bad: the first must not be imported either.
  const bad = { 'guestprep-presets': 1, presets: [{ name: 'good', data: lab }, { name: 'bad', data: { settings: { rmUrl: 1 } } }] };
  throwsCode(() => s.presets.importJson(JSON.stringify(bad)), 'SETTING_INVALID', /preset "bad".*rmUrl must be a string/);
  const badName = { 'guestprep-presets': 1, presets: [{ name: 'good', data: lab }, { name: '', data: lab }] };
  throwsCode(() => s.presets.importJson(JSON.stringify(badName)), 'SETTING_INVALID', /empty/);
  throwsCode(() => s.presets.importJson('{"guestprep-presets": 1, "presets": [3]}'), 'SETTING_INVALID', /preset 1 in the file is not an object/);
  assert.deepEqual(s.presets.list(), []);
});

// ---------------------------------------------------------------- history

const report = { runId: 'r', ok: true, dryRun: false, warnings: ['w'] } as unknown as PrepareReport;

test('a run is recorded from start to finish, with its log in order and its report', (t) => {
  const s = open(t);
  const id = s.history.start({ image: '/vms/a.vdi', preset: 'lab', startedAt: '2025-03-01T10:00:00.000Z' });
  assert.match(id, /^[0-9a-f-]{36}$/);
  const running = s.history.get(id);
  assert.deepEqual(running, { id, image: '/vms/a.vdi', preset: 'lab', startedAt: '2025-03-01T10:00:00.000Z', log: [] });
  for (const line of ['one', 'two', 'three']) s.history.appendLog(id, line);
  s.history.finish(id, { outcome: 'success', durationMs: 1500.4, report });
  assert.deepEqual(s.history.get(id), {
    id, image: '/vms/a.vdi', preset: 'lab', startedAt: '2025-03-01T10:00:00.000Z', durationMs: 1500, outcome: 'success', report, log: ['one', 'two', 'three'],
  });
  // Lists carry neither the report nor the log.
  assert.deepEqual(s.history.list(), [{ id, image: '/vms/a.vdi', preset: 'lab', startedAt: '2025-03-01T10:00:00.000Z', durationMs: 1500, outcome: 'success' }]);
});

test('a failed run keeps its error as data', (t) => {
  const s = open(t);
  const id = s.history.start({ id: 'fixed-id', image: '/vms/b.vdi' });
  assert.equal(id, 'fixed-id');
  const error = { code: 'GUEST_NO_SPACE' as const, message: 'not enough space', fix: 'grow the disk', step: 'copy-jre' };
  s.history.finish(id, { outcome: 'failed', durationMs: 10, error });
  assert.deepEqual(s.history.get(id)?.error, error);
  assert.equal(s.history.get(id)?.report, undefined);
});

test('history misuse is reported, not ignored', (t) => {
  const s = open(t);
  assert.equal(s.history.get('nope'), undefined);
  throwsCode(() => s.history.appendLog('nope', 'x'), 'INTERNAL', /no run with id "nope"/);
  throwsCode(() => s.history.finish('nope', { outcome: 'success', durationMs: 1 }), 'INTERNAL', /no run with id "nope"/);
  const id = s.history.start({ image: '/x' });
  throwsCode(() => s.history.finish(id, { outcome: 'done' as never, durationMs: 1 }), 'INTERNAL', /unknown run outcome/);
});

test('an overlong log line is cut, saying by how much', (t) => {
  const s = open(t);
  const id = s.history.start({ image: '/x' });
  s.history.appendLog(id, 'y'.repeat(MAX_LOG_LINE + 10));
  const [line] = s.history.get(id)!.log!;
  assert.ok(line.startsWith('y'.repeat(MAX_LOG_LINE)));
  assert.match(line, /\[10 more characters\]$/);
});

test('history lists newest first and filters on text (image or preset) and outcome', (t) => {
  const s = open(t);
  const add = (image: string, preset: string | undefined, day: number, outcome?: 'success' | 'failed' | 'cancelled') => {
    const id = s.history.start({ image, preset, startedAt: `2025-03-${String(day).padStart(2, '0')}T00:00:00.000Z` });
    if (outcome) s.history.finish(id, { outcome, durationMs: 1 });
    return id;
  };
  const a = add('/vms/web-01.vdi', 'Lab', 1, 'success');
  const b = add('/vms/db_01.vdi', undefined, 3, 'failed');
  const c = add('/vms/web-02.vdi', 'Prod', 2, 'cancelled');
  const d = add('/vms/dbX01.vdi', 'prod-100%', 4);
  assert.deepEqual(s.history.list().map((e) => e.id), [d, b, c, a]);
  assert.deepEqual(s.history.list({ text: 'WEB' }).map((e) => e.id), [c, a], 'case-blind');
  assert.deepEqual(s.history.list({ text: 'prod' }).map((e) => e.id), [d, c], 'matches the preset too');
  assert.deepEqual(s.history.list({ text: 'db_' }).map((e) => e.id), [b], '_ is a character, not a wildcard');
  assert.deepEqual(s.history.list({ text: '100%' }).map((e) => e.id), [d], '% is a character, not a wildcard');
  assert.deepEqual(s.history.list({ text: '  ' }).map((e) => e.id), [d, b, c, a], 'blank text filters nothing');
  assert.deepEqual(s.history.list({ outcome: 'failed' }).map((e) => e.id), [b]);
  assert.deepEqual(s.history.list({ outcome: 'cancelled', text: 'web' }).map((e) => e.id), [c]);
  assert.deepEqual(s.history.list({ outcome: 'success', text: 'db' }), []);
  assert.deepEqual(s.history.list({ limit: 2 }).map((e) => e.id), [d, b]);
  assert.equal(s.history.get(d)?.outcome, undefined, 'a run of this live process is running, not interrupted');
  throwsCode(() => s.history.list({ outcome: 'exploded' as never }), 'SETTING_INVALID', /unknown run outcome/, /success, failed, cancelled, interrupted/);
  throwsCode(() => s.history.list({ limit: 0 }), 'SETTING_INVALID', /positive whole number/);
  throwsCode(() => s.history.list({ limit: 2.5 }), 'SETTING_INVALID', /positive whole number/);
});

test(`history lists stop at ${DEFAULT_HISTORY_LIMIT} runs unless asked for more`, (t) => {
  const s = open(t);
  for (let i = 0; i < DEFAULT_HISTORY_LIMIT + 5; i++) s.history.start({ image: `/vms/${i}.vdi`, startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString() });
  const list = s.history.list();
  assert.equal(list.length, DEFAULT_HISTORY_LIMIT);
  assert.equal(list[0].image, `/vms/${DEFAULT_HISTORY_LIMIT + 4}.vdi`);
  assert.equal(s.history.list({ limit: 1000 }).length, DEFAULT_HISTORY_LIMIT + 5);
});

test('runs left unfinished by a process that is gone read as interrupted; a live process keeps its run', (t) => {
  const file = tempFile(t);
  const first = openStore(file);
  const mine = first.history.start({ image: '/vms/live.vdi' });
  const orphan = first.history.start({ image: '/vms/crashed.vdi' });
  const done = first.history.start({ image: '/vms/done.vdi' });
  first.history.finish(done, { outcome: 'success', durationMs: 5 });
  first.close();

  // Give the orphan the pid of a process that has exited (a real one, not a made-up number).
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  assert.equal(child.status, 0);
  const raw = new Database(file);
  raw.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(child.pid, orphan);
  raw.close();

  // A second opener (the app while the CLI runs, say) must not touch the live process's run.
  const second = open(t, file);
  assert.equal(second.history.get(orphan)?.outcome, 'interrupted');
  assert.equal(second.history.get(mine)?.outcome, undefined);
  assert.equal(second.history.get(done)?.outcome, 'success');
  assert.deepEqual(second.history.list({ outcome: 'interrupted' }).map((e) => e.id), [orphan]);
  // The liveness check is the one that decides: with the owner gone, the run is interrupted at the next open.
  const raw2 = new Database(file);
  raw2.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(child.pid, mine);
  raw2.close();
  const third = open(t, file, { isAlive: () => false });
  assert.equal(third.history.get(mine)?.outcome, 'interrupted');
});

test('the app and the CLI can have the database open together', (t) => {
  const file = tempFile(t);
  const app = open(t, file);
  const cli = open(t, file);
  const id = cli.history.start({ image: '/vms/a.vdi' });
  app.presets.save('from-app', lab);
  cli.history.appendLog(id, 'line');
  assert.deepEqual(app.history.get(id)?.log, ['line']);
  assert.equal(cli.presets.get('from-app')?.data.settings.rmUrl, 'pnp://rm.lab:64738');
});

test('closing releases the file: it can be removed and reopened fresh', (t) => {
  const file = tempFile(t);
  const s = openStore(file);
  s.presets.save('a', lab);
  s.close();
  assert.throws(() => s.presets.list(), /not open/);
  const again = open(t, file);
  assert.equal(again.presets.list().length, 1);
});

// ---------------------------------------------------------------- file modes

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

function withUmask<T>(mask: number, fn: () => T): T {
  const saved = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(saved);
  }
}

for (const mask of [0o022, 0o000]) {
  test(`the data folder is created 0700 and the database, its -wal and -shm 0600, whatever the umask (${mask.toString(8).padStart(3, '0')})`, (t) => {
    const file = tempFile(t);
    withUmask(mask, () => {
      const s = openStore(file);
      s.presets.save('lab', { settings: { rmUrl: 'pnp://rm.example.org' } });
      assert.deepEqual(s.notices, [], 'a new folder needs no notice');
      const modes = [path.dirname(file), file, `${file}-wal`, `${file}-shm`].map((p) => [p, modeOf(p).toString(8)]);
      s.close();
      assert.deepEqual(modes, [[path.dirname(file), '700'], [file, '600'], [`${file}-wal`, '600'], [`${file}-shm`, '600']]);
    });
  });
}

test('an existing folder and database other users could read are made private on open, said once', (t) => {
  const file = tempFile(t);
  const dir = path.dirname(file);
  withUmask(0o022, () => {
    // As an older version left them: folder 0755, files 0644.
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    const held = new Database(file); // keeps -wal and -shm in place
    held.prepare('SELECT * FROM t').all();
    db.close();
    assert.equal(modeOf(`${file}-shm`), 0o644);
    const s = openStore(file);
    held.close();
    assert.equal(s.notices?.length, 1);
    assert.match(s.notices![0]!, new RegExp(`data folder ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could be read by other users of this machine \\(mode 0755\\): it is now 0700`));
    assert.deepEqual([dir, file, `${file}-wal`, `${file}-shm`].map((p) => modeOf(p).toString(8)), ['700', '600', '600', '600']);
    s.close();
    const again = openStore(file);
    assert.deepEqual(again.notices, [], 'said once: the folder is private now');
    again.close();
  });
});
