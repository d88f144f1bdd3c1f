// The database schema as an ordered list of migrations. The version a database is at lives in
// `PRAGMA user_version` (stored in the file header, so no bookkeeping table can drift from it). openStore
// applies every migration above that version, each in its own transaction together with the version bump,
// so a crash mid-upgrade leaves the database at the previous version, never half-migrated.
//
// Never edit a migration that has shipped: users have databases at every version. Add a new one.

import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  up: string | ((db: Database.Database) => void);
}

/** Version 1: presets, runs and their log lines. Kept verbatim: tests build a v1 database from it. */
export const SCHEMA_V1 = `
CREATE TABLE presets (
  name       TEXT NOT NULL PRIMARY KEY,
  data       TEXT NOT NULL CHECK (json_valid(data)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- preset is a plain name, not a foreign key: deleting or renaming a preset must not rewrite history.
CREATE TABLE runs (
  id          TEXT NOT NULL PRIMARY KEY,
  image       TEXT NOT NULL,
  preset      TEXT,
  started_at  TEXT NOT NULL,
  duration_ms INTEGER,
  outcome     TEXT CHECK (outcome IN ('success', 'failed', 'cancelled', 'interrupted')),
  error       TEXT CHECK (error IS NULL OR json_valid(error)),
  report      TEXT CHECK (report IS NULL OR json_valid(report))
);

CREATE TABLE run_log (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq    INTEGER NOT NULL,
  line   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
`;

export const MIGRATIONS: Migration[] = [
  { version: 1, up: SCHEMA_V1 },
  {
    // The app and the CLI share one database. Without knowing which process owns an unfinished run, the
    // second one to open the store would mark the first one's live run as interrupted. Runs recorded
    // before this column existed have no owner and are treated as orphans.
    // History lists newest first and filters on outcome: index both so a long history stays quick.
    version: 2,
    up: `
ALTER TABLE runs ADD COLUMN pid INTEGER;
CREATE INDEX runs_by_start ON runs (started_at DESC);
CREATE INDEX runs_by_outcome ON runs (outcome, started_at DESC);
`,
  },
  {
    // The crash journal of runs that write images (engine/run/journal.ts): the phase each run reached, its
    // overlay, and what to verify again after finishing an interrupted commit. Separate from `runs`, the
    // user's history: the CLI journals every run, including those it does not record in the history.
    // The partial index keeps the lock check (open runs on one image) quick however long the journal grows.
    version: 3,
    up: `
CREATE TABLE journal (
  run_id     TEXT NOT NULL PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('prepare', 'retarget', 'remove')),
  image      TEXT NOT NULL,
  format     TEXT NOT NULL,
  run_dir    TEXT NOT NULL,
  overlay    TEXT NOT NULL,
  owner      TEXT NOT NULL CHECK (json_valid(owner)),
  phase      TEXT NOT NULL CHECK (phase IN ('planned', 'writing', 'verified', 'committing', 'done', 'rolled-back', 'failed')),
  before     TEXT CHECK (before IS NULL OR json_valid(before)),
  verify     TEXT CHECK (verify IS NULL OR json_valid(verify)),
  note       TEXT,
  started_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX journal_open ON journal (image) WHERE phase IN ('planned', 'writing', 'verified', 'committing');
CREATE INDEX journal_by_start ON journal (started_at DESC);
`,
  },
];

/** The version a database has once every migration here has run. */
export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
