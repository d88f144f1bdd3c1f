// Presets and run history in one SQLite file (better-sqlite3), shared by the app and the CLI. The two may
// have it open at the same time: WAL lets readers and one writer work together, busy_timeout makes a writer
// wait for the other instead of failing, and every multi-statement change is one transaction.
//
// Everything that crosses this module is validated here, not by callers: preset names and data come from
// forms, import files and hand-edited JSON, and a bad row saved once would break every later list.

import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { GuestprepError, fail, type ErrorData } from '../engine/api';
import { parseSettingsInput } from '../engine/api';
import type { RunReport } from '../engine/api';
import type { HistoryEntry, HistoryFilter, Preset, PresetData, RunOutcome } from '../contract/contract';
import type { HistoryStore, PresetStore, Store } from './store-types';
import { LATEST_VERSION, MIGRATIONS } from './migrations';
import { journalStore } from './journal-store';
import { ensurePrivateDir, ensurePrivateFile, tightenSqliteCompanions } from '../engine/api';

export const EXPORT_MARKER = 'guestprep-presets';
export const EXPORT_VERSION = 1;
export const DEFAULT_HISTORY_LIMIT = 200;
/** Long enough for any guestfish line worth reading; stops one runaway line from bloating the database. */
export const MAX_LOG_LINE = 8192;
const MAX_NAME = 64;
const OUTCOMES: readonly RunOutcome[] = ['success', 'failed', 'cancelled', 'interrupted'];

export interface StoreOptions {
  /** Clock for timestamps (tests). */
  now?: () => Date;
  /** Whether the process that started an unfinished run still runs (tests). */
  isAlive?: (pid: number) => boolean;
}

// ---------------------------------------------------------------- opening and migrating

export function openStore(dbPath: string, opts: StoreOptions = {}): Store {
  const now = opts.now ?? (() => new Date());
  const isAlive = opts.isAlive ?? processIsAlive;
  let db: Database.Database | undefined;
  const notices: string[] = [];
  try {
    // First start on a machine: the user-data folder does not exist yet. Made private (0700), and the
    // database file created 0600 before SQLite opens it, so that its -wal and -shm files are 0600 too.
    if (dbPath !== ':memory:') {
      const tightened = ensurePrivateDir(path.dirname(dbPath));
      if (tightened) notices.push(tightened);
      ensurePrivateFile(dbPath);
      tightenSqliteCompanions(dbPath);
    }
    // Loaded here, not at import: the CLI imports this module, and a native module built for another ABI
    // (Electron's, in a packaged app) must cost the CLI its history, not every command.
    const Sqlite = require('better-sqlite3') as typeof Database;
    db = new Sqlite(dbPath);
    // busy_timeout first: switching to WAL itself needs a lock the other process may hold.
    db.pragma('busy_timeout = 5000');
    // Checked before switching to WAL, which rewrites the header: a newer Guestprep's file stays untouched.
    const found = userVersion(db);
    if (found > LATEST_VERSION) tooNew(dbPath, found);
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, dbPath);
    markInterrupted(db, isAlive);
    // WAL mode made them now, from the database file's mode; a file left by an older version is tightened.
    if (dbPath !== ':memory:') tightenSqliteCompanions(dbPath);
  } catch (err) {
    db?.close();
    if (err instanceof GuestprepError) throw err;
    const e = err as Error & { code?: string };
    fail('STORE_UNREADABLE', `cannot open the Guestprep database ${dbPath}: ${e.message}`,
      'Check that the folder is writable by you. If the file is damaged, move it aside: Guestprep starts a new one (without your presets and history).',
      { detail: e.code });
  }
  const d = db;
  return {
    presets: presetStore(d, now),
    history: historyStore(d, now),
    journal: journalStore(d, { now }),
    close: () => d.close(),
    notices,
  };
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tooNew(dbPath: string, version: number): never {
  fail('STORE_TOO_NEW',
    `the Guestprep database ${dbPath} was written by a newer Guestprep (schema version ${version}; this version knows up to ${LATEST_VERSION})`,
    'Update Guestprep to the latest version. To keep using this version instead, move the file aside: Guestprep then starts a new one, without your presets and history.');
}

/** Applies every migration above the database's version, each with its version bump in one transaction. */
export function migrate(db: Database.Database, dbPath: string): number {
  const start = userVersion(db);
  // Refused before touching anything: an older Guestprep writing into a newer schema could corrupt it.
  if (start > LATEST_VERSION) tooNew(dbPath, start);
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (m.version <= start) continue;
    // IMMEDIATE takes the write lock before reading the version: if the app and the CLI start together,
    // the second waits, then sees the first already migrated and skips.
    db.transaction(() => {
      const v = userVersion(db);
      if (v >= m.version) return;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  const end = userVersion(db);
  if (end > LATEST_VERSION) tooNew(dbPath, end);
  return end;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else. Still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run without an outcome whose process is gone was cut short (crash, kill, power loss): say so, instead
 * of showing it as running forever. Runs of a live process (the app while the CLI opens the store, or the
 * other way round) are left alone; runs from before the pid column have no owner and count as gone.
 */
function markInterrupted(db: Database.Database, isAlive: (pid: number) => boolean): void {
  const open = db.prepare('SELECT id, pid FROM runs WHERE outcome IS NULL').all() as Array<{ id: string; pid: number | null }>;
  const mark = db.prepare("UPDATE runs SET outcome = 'interrupted' WHERE id = ? AND outcome IS NULL");
  const orphans = open.filter((r) => r.pid === null || (r.pid !== process.pid && !isAlive(r.pid)));
  if (orphans.length) db.transaction(() => orphans.forEach((r) => mark.run(r.id)))();
}

// ---------------------------------------------------------------- presets

/** Trims a preset name and checks it, or throws SETTING_INVALID saying what a name may be. */
export function checkPresetName(raw: unknown): string {
  const fix = `Use 1 to ${MAX_NAME} characters, without line breaks or other control characters.`;
  if (typeof raw !== 'string') fail('SETTING_INVALID', 'the preset name must be text', fix);
  const name = raw.trim();
  if (name.length === 0) fail('SETTING_INVALID', 'the preset name is empty', fix);
  // Counted in characters, not UTF-16 units, so a name in any script gets the same 64.
  if ([...name].length > MAX_NAME) fail('SETTING_INVALID', `the preset name is longer than ${MAX_NAME} characters`, fix);
  if (/[\p{Cc}\u2028\u2029]/u.test(name)) fail('SETTING_INVALID', `the preset name ${JSON.stringify(name)} contains a control character`, fix);
  return name;
}

const presetShape = z
  .object({
    jre: z.string().optional(),
    proactive: z.string().optional(),
    settings: z.unknown().optional(),
  })
  .strict();

/** Checks preset data (shape of the archive paths, settings through the engine's settings schema). */
export function checkPresetData(raw: unknown, name?: string): PresetData {
  const where = name === undefined ? 'the preset' : `preset ${JSON.stringify(name)}`;
  const r = presetShape.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : `${i.path.join('.') || 'data'}: ${i.message}`);
    fail('SETTING_INVALID', `${where} is invalid: ${problems.join('; ')}`,
      'A preset holds "settings" (required) and optionally "jre" and "proactive" archive paths.');
  }
  if (r.data.settings === undefined) fail('SETTING_INVALID', `${where} has no settings`, 'A preset needs "settings" with at least rmUrl.');
  let settings;
  try {
    settings = parseSettingsInput(r.data.settings);
  } catch (err) {
    if (err instanceof GuestprepError) throw new GuestprepError({ ...err.toData(), message: `${where}: ${err.message}` });
    throw err;
  }
  const data: PresetData = { settings };
  // A form's empty archive field means "not chosen", not "the archive at path ''".
  if (r.data.jre) data.jre = r.data.jre;
  if (r.data.proactive) data.proactive = r.data.proactive;
  return data;
}

/** The error for a preset name that is not saved; the fix lists those that are. */
export function noSuchPreset(name: string, saved: string[]): never {
  fail('SETTING_INVALID', `there is no preset named ${JSON.stringify(name)}`,
    saved.length
      ? `Use one of the saved presets: ${saved.map((n) => JSON.stringify(n)).join(', ')}.`
      : 'No presets are saved yet: save one in the Guestprep app, or import a presets file there.');
}

interface PresetRow {
  name: string;
  data: string;
  created_at: string;
  updated_at: string;
}

function toPreset(r: PresetRow): Preset {
  return { name: r.name, data: JSON.parse(r.data) as PresetData, createdAt: r.created_at, updatedAt: r.updated_at };
}

function presetStore(db: Database.Database, now: () => Date): PresetStore {
  // Names compared case-blind for ordering only: a list sorted "B, a" reads as a bug.
  const listQ = db.prepare('SELECT * FROM presets ORDER BY name COLLATE NOCASE, name');
  const getQ = db.prepare('SELECT * FROM presets WHERE name = ?');
  const upsertQ = db.prepare(
    'INSERT INTO presets (name, data, created_at, updated_at) VALUES (@name, @data, @ts, @ts) ' +
      'ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
  );
  const renameQ = db.prepare('UPDATE presets SET name = ?, updated_at = ? WHERE name = ?');
  const deleteQ = db.prepare('DELETE FROM presets WHERE name = ?');
  const names = () => (listQ.all() as PresetRow[]).map((r) => r.name);
  const get = (name: string): Preset | undefined => {
    const row = getQ.get(typeof name === 'string' ? name.trim() : '') as PresetRow | undefined;
    return row && toPreset(row);
  };
  const put = (name: string, data: PresetData) => upsertQ.run({ name, data: JSON.stringify(data), ts: now().toISOString() });

  return {
    list: () => (listQ.all() as PresetRow[]).map(toPreset),
    get,
    save(rawName, rawData) {
      const name = checkPresetName(rawName);
      put(name, checkPresetData(rawData, name));
      return get(name)!;
    },
    rename(rawFrom, rawTo) {
      const to = checkPresetName(rawTo);
      return db.transaction(() => {
        const from = typeof rawFrom === 'string' ? rawFrom.trim() : '';
        if (!get(from)) noSuchPreset(from, names());
        if (from !== to) {
          if (get(to)) fail('SETTING_INVALID', `a preset named ${JSON.stringify(to)} already exists`, 'Choose another name, or delete that preset first.');
          renameQ.run(to, now().toISOString(), from);
        }
        return get(to)!;
      })();
    },
    delete: (name) => deleteQ.run(typeof name === 'string' ? name.trim() : '').changes > 0,
    exportJson(wanted) {
      let chosen: Preset[];
      if (wanted === undefined) chosen = (listQ.all() as PresetRow[]).map(toPreset);
      else {
        chosen = [];
        for (const n of new Set(wanted.map((w) => String(w).trim()))) {
          const p = get(n);
          if (!p) noSuchPreset(n, names());
          chosen.push(p);
        }
      }
      return JSON.stringify({ [EXPORT_MARKER]: EXPORT_VERSION, presets: chosen.map((p) => ({ name: p.name, data: p.data })) }, null, 2) + '\n';
    },
    importJson(json, overwrite = false) {
      const incoming = parseExport(json);
      // All-or-nothing: validated above, written in one transaction here.
      return db.transaction(() => {
        const imported: string[] = [];
        const skipped: string[] = [];
        for (const p of incoming) {
          if (!overwrite && get(p.name)) skipped.push(p.name);
          else {
            put(p.name, p.data);
            imported.push(p.name);
          }
        }
        return { imported, skipped };
      })();
    },
  };
}

/** Reads an export document: format marker and version first, then every preset, before anything is written. */
export function parseExport(json: string): Array<{ name: string; data: PresetData }> {
  const notOurs = 'Choose a file exported from Guestprep (Presets > Export).';
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    fail('SETTING_INVALID', `the presets file is not valid JSON: ${(err as Error).message}`, notOurs);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !(EXPORT_MARKER in doc)) {
    fail('SETTING_INVALID', 'this is not a Guestprep presets file', notOurs);
  }
  const d = doc as Record<string, unknown>;
  const version = d[EXPORT_MARKER];
  if (typeof version === 'number' && Number.isInteger(version) && version > EXPORT_VERSION) {
    fail('SETTING_INVALID', `the presets file has format version ${version}, made by a newer Guestprep (this one reads version ${EXPORT_VERSION})`,
      'Update Guestprep, or export the presets again from the version you have.');
  }
  if (version !== EXPORT_VERSION) fail('SETTING_INVALID', `the presets file has an unknown format version ${JSON.stringify(version)}`, notOurs);
  if (!Array.isArray(d.presets)) fail('SETTING_INVALID', 'the presets file has no "presets" list', notOurs);
  const seen = new Set<string>();
  return d.presets.map((item: unknown, i: number) => {
    if (typeof item !== 'object' || item === null) fail('SETTING_INVALID', `preset ${i + 1} in the file is not an object`, notOurs);
    const { name: rawName, data } = item as { name?: unknown; data?: unknown };
    const name = checkPresetName(rawName);
    if (seen.has(name)) fail('SETTING_INVALID', `the presets file holds ${JSON.stringify(name)} twice`, 'Remove one of them from the file and import again.');
    seen.add(name);
    return { name, data: checkPresetData(data, name) };
  });
}

// ---------------------------------------------------------------- history

interface RunRow {
  id: string;
  image: string;
  preset: string | null;
  started_at: string;
  duration_ms: number | null;
  outcome: RunOutcome | null;
  error: string | null;
  report?: string | null;
}

function toEntry(r: RunRow): HistoryEntry {
  // Optional fields left out rather than set to undefined or null: the contract's shape, and JSON stays lean.
  const e: HistoryEntry = { id: r.id, image: r.image, startedAt: r.started_at };
  if (r.preset !== null) e.preset = r.preset;
  if (r.duration_ms !== null) e.durationMs = r.duration_ms;
  if (r.outcome !== null) e.outcome = r.outcome;
  if (r.error) e.error = JSON.parse(r.error) as ErrorData;
  if (r.report) e.report = JSON.parse(r.report) as RunReport;
  return e;
}

/** Escapes LIKE's wildcards so a search for "disk_1%" finds exactly that text. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function checkHistoryFilter(f: HistoryFilter = {}): { text?: string; outcome?: RunOutcome; limit: number } {
  const out: { text?: string; outcome?: RunOutcome; limit: number } = { limit: DEFAULT_HISTORY_LIMIT };
  if (f.text !== undefined && f.text !== null) {
    if (typeof f.text !== 'string') fail('SETTING_INVALID', 'the history search must be text', 'Search by (part of) an image path or a preset name.');
    if (f.text.trim()) out.text = f.text.trim();
  }
  if (f.outcome !== undefined && f.outcome !== null) {
    if (!OUTCOMES.includes(f.outcome)) fail('SETTING_INVALID', `unknown run outcome ${JSON.stringify(f.outcome)}`, `Filter on one of: ${OUTCOMES.join(', ')}.`);
    out.outcome = f.outcome;
  }
  if (f.limit !== undefined && f.limit !== null) {
    if (!Number.isInteger(f.limit) || f.limit < 1) fail('SETTING_INVALID', `the history limit must be a positive whole number, not ${JSON.stringify(f.limit)}`, `Leave it out for the newest ${DEFAULT_HISTORY_LIMIT} runs.`);
    out.limit = f.limit;
  }
  return out;
}

function historyStore(db: Database.Database, now: () => Date): HistoryStore {
  const insertQ = db.prepare('INSERT INTO runs (id, image, preset, started_at, pid) VALUES (?, ?, ?, ?, ?)');
  // seq computed in the same statement, so it stays gap-free and ordered without a counter kept in memory.
  const logQ = db.prepare('INSERT INTO run_log (run_id, seq, line) SELECT @id, COALESCE(MAX(seq), 0) + 1, @line FROM run_log WHERE run_id = @id');
  const existsQ = db.prepare('SELECT 1 FROM runs WHERE id = ?');
  const finishQ = db.prepare('UPDATE runs SET outcome = ?, duration_ms = ?, report = ?, error = ? WHERE id = ?');
  const getQ = db.prepare('SELECT * FROM runs WHERE id = ?');
  const linesQ = db.prepare('SELECT line FROM run_log WHERE run_id = ? ORDER BY seq').pluck();
  const unknownRun = (id: string): never => fail('INTERNAL', `no run with id ${JSON.stringify(id)} in the history`, 'This is a bug in Guestprep. Please report it.');

  return {
    start(entry) {
      const id = entry.id ?? randomUUID();
      insertQ.run(id, entry.image, entry.preset ?? null, entry.startedAt ?? now().toISOString(), process.pid);
      return id;
    },
    appendLog(id, line) {
      if (!existsQ.get(id)) unknownRun(id);
      const text = String(line);
      logQ.run({ id, line: text.length > MAX_LOG_LINE ? `${text.slice(0, MAX_LOG_LINE)}… [${text.length - MAX_LOG_LINE} more characters]` : text });
    },
    finish(id, result) {
      if (!OUTCOMES.includes(result.outcome)) fail('INTERNAL', `unknown run outcome ${JSON.stringify(result.outcome)}`, 'This is a bug in Guestprep. Please report it.');
      const r = finishQ.run(
        result.outcome,
        Math.max(0, Math.round(result.durationMs)),
        result.report === undefined ? null : JSON.stringify(result.report),
        result.error === undefined ? null : JSON.stringify(result.error),
        id,
      );
      if (r.changes === 0) unknownRun(id);
    },
    list(filter) {
      const f = checkHistoryFilter(filter);
      const where: string[] = [];
      const args: unknown[] = [];
      if (f.text) {
        where.push("(image LIKE ? ESCAPE '\\' OR preset LIKE ? ESCAPE '\\')");
        args.push(likePattern(f.text), likePattern(f.text));
      }
      if (f.outcome) {
        where.push('outcome = ?');
        args.push(f.outcome);
      }
      // The report is left out of lists: it is the bulk of a row and a list shows one line per run.
      const sql = `SELECT id, image, preset, started_at, duration_ms, outcome, error FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`;
      return (db.prepare(sql).all(...args, f.limit) as RunRow[]).map(toEntry);
    },
    get(id) {
      const row = getQ.get(id) as RunRow | undefined;
      if (!row) return undefined;
      const e = toEntry(row);
      e.log = linesQ.all(id) as string[];
      return e;
    },
  };
}
