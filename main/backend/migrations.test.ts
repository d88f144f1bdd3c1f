import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS, SCHEMA_V1 } from './migrations';
import { migrate, openStore } from './store';
import { GuestprepError } from '../engine/errors';

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-migrations-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'guestprep.sqlite');
}

test('migrations are numbered 1, 2, ... in order, with at least one upgrade past v1', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(LATEST_VERSION, MIGRATIONS.length);
  assert.ok(LATEST_VERSION >= 2);
});

test('a fresh database ends at the latest version with every table', (t) => {
  const file = tempDb(t);
  openStore(file).close();
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    assert.deepEqual(tables, ['journal', 'presets', 'run_log', 'runs']);
    const cols = db.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all();
    assert.ok(cols.includes('pid'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  } finally {
    db.close();
  }
});

test('a v1 database made by hand is upgraded to the latest version with its data kept', (t) => {
  const file = tempDb(t);
  const v1 = new Database(file);
  v1.exec(SCHEMA_V1);
  v1.pragma('user_version = 1');
  v1.prepare('INSERT INTO presets VALUES (?, ?, ?, ?)').run('lab', JSON.stringify({ settings: { rmUrl: 'pnp://rm:64738' }, jre: '/a/jre.tgz' }), '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z');
  v1.prepare('INSERT INTO runs (id, image, preset, started_at, duration_ms, outcome, error, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run('r1', '/vms/a.vdi', 'lab', '2024-01-03T00:00:00.000Z', 1234, 'failed', JSON.stringify({ code: 'GUEST_NO_OS', message: 'no OS', fix: 'pick another disk' }), null);
  // A run the v1 app never finished: after the upgrade it has no owner process and must read as interrupted.
  v1.prepare('INSERT INTO runs (id, image, started_at) VALUES (?, ?, ?)').run('r2', '/vms/b.vdi', '2024-01-04T00:00:00.000Z');
  v1.prepare('INSERT INTO run_log VALUES (?, ?, ?)').run('r1', 1, 'Checking the image');
  v1.prepare('INSERT INTO run_log VALUES (?, ?, ?)').run('r1', 2, 'warn: low space');
  v1.close();

  const store = openStore(file);
  try {
    assert.deepEqual(store.presets.list(), [
      { name: 'lab', data: { settings: { rmUrl: 'pnp://rm:64738' }, jre: '/a/jre.tgz' }, createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-02T00:00:00.000Z' },
    ]);
    assert.deepEqual(store.history.get('r1'), {
      id: 'r1', image: '/vms/a.vdi', preset: 'lab', startedAt: '2024-01-03T00:00:00.000Z', durationMs: 1234, outcome: 'failed',
      error: { code: 'GUEST_NO_OS', message: 'no OS', fix: 'pick another disk' }, log: ['Checking the image', 'warn: low space'],
    });
    assert.equal(store.history.get('r2')?.outcome, 'interrupted');
    assert.deepEqual(store.history.list().map((e) => e.id), ['r2', 'r1']);
    // The upgraded database takes new rows like a fresh one.
    const id = store.history.start({ image: '/vms/c.vdi' });
    store.history.appendLog(id, 'x');
    assert.deepEqual(store.history.get(id)?.log, ['x']);
  } finally {
    store.close();
  }
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'runs_by_%' ORDER BY name").pluck().all();
    assert.deepEqual(indexes, ['runs_by_outcome', 'runs_by_start']);
  } finally {
    db.close();
  }
});

test('a database from a newer Guestprep is refused, untouched, with a fix that says to update', (t) => {
  const file = tempDb(t);
  const db = new Database(file);
  db.exec('CREATE TABLE future (x)');
  db.pragma('user_version = 99');
  db.close();
  const before = fs.readFileSync(file);
  assert.throws(() => openStore(file), (err: unknown) => {
    assert.ok(err instanceof GuestprepError);
    assert.equal(err.code, 'STORE_TOO_NEW');
    assert.match(err.message, /newer Guestprep.*99/);
    assert.match(err.fix, /Update Guestprep/);
    return true;
  });
  assert.deepEqual(fs.readFileSync(file), before, 'the file is byte-identical');
  const after = new Database(file, { readonly: true });
  try {
    assert.equal(after.pragma('user_version', { simple: true }), 99);
    assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['future']);
  } finally {
    after.close();
  }
});

test('a migration that fails is rolled back whole: the version does not move', (t) => {
  const file = tempDb(t);
  const db = new Database(file);
  t.after(() => db.close());
  db.exec(SCHEMA_V1);
  db.pragma('user_version = 1');
  // Make migration 2 fail half-way: its column is added, then its index collides with an existing one.
  db.exec('CREATE INDEX runs_by_outcome ON runs (id)');
  assert.throws(() => migrate(db, file), /already exists/);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  const cols = db.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all();
  assert.ok(!cols.includes('pid'), 'the column added before the failure was rolled back');
});

test('migrating an up-to-date database is a no-op', (t) => {
  const file = tempDb(t);
  openStore(file).close();
  const db = new Database(file);
  t.after(() => db.close());
  assert.equal(migrate(db, file), LATEST_VERSION);
});

test('a file that is not a database is refused as unreadable, with a fix', (t) => {
  const file = tempDb(t);
  fs.writeFileSync(file, 'this is not SQLite, just text long enough to have a header of sorts.....'.repeat(20));
  assert.throws(() => openStore(file), (err: unknown) => {
    assert.ok(err instanceof GuestprepError);
    assert.equal(err.code, 'STORE_UNREADABLE');
    assert.match(err.message, /cannot open the Guestprep database/);
    assert.match(err.fix, /move it aside/);
    return true;
  });
});
