// The run journal (engine/run/journal.ts) in the app's SQLite database, which the CLI opens too: a run
// started by either is seen, locked against and recovered by both.
//
// Durability: the store runs WAL with synchronous=NORMAL, which may lose the last commits on power loss.
// A journal write must not be lost (recovery would delete the overlay of a commit that had started), so
// each one is made with synchronous=FULL: the WAL is synced before update() returns.

import type Database from 'better-sqlite3';
import { checkClaim, JournalEntry, JournalPhase, OPEN_PHASES, RunJournal, type AliveCheck } from '../engine/api';
import { ownerAlive } from '../engine/api';
import { fail } from '../engine/api';

interface Row {
  run_id: string;
  kind: JournalEntry['kind'];
  image: string;
  format: JournalEntry['format'];
  run_dir: string;
  overlay: string;
  owner: string;
  phase: JournalPhase;
  before: string | null;
  verify: string | null;
  note: string | null;
  started_at: string;
  updated_at: string;
}

function fromRow(r: Row): JournalEntry {
  const e: JournalEntry = {
    runId: r.run_id,
    kind: r.kind,
    image: r.image,
    format: r.format,
    runDir: r.run_dir,
    overlay: r.overlay,
    owner: JSON.parse(r.owner) as JournalEntry['owner'],
    phase: r.phase,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
  };
  if (r.before !== null) e.before = JSON.parse(r.before) as JournalEntry['before'];
  if (r.verify !== null) e.verify = JSON.parse(r.verify) as JournalEntry['verify'];
  if (r.note !== null) e.note = r.note;
  return e;
}

const OPEN_SQL = OPEN_PHASES.map((p) => `'${p}'`).join(', ');

export function journalStore(db: Database.Database, opts: { now?: () => Date; alive?: AliveCheck } = {}): RunJournal {
  const now = () => (opts.now ?? (() => new Date()))().toISOString();
  const alive = opts.alive ?? ownerAlive;
  const openOn = db.prepare(`SELECT * FROM journal WHERE image = ? AND phase IN (${OPEN_SQL})`);
  const insert = db.prepare(
    'INSERT INTO journal (run_id, kind, image, format, run_dir, overlay, owner, phase, before, started_at, updated_at) ' +
      "VALUES (@runId, @kind, @image, @format, @runDir, @overlay, @owner, 'planned', @before, @t, @t)",
  );
  const setPhase = db.prepare('UPDATE journal SET phase = @phase, updated_at = @t, verify = COALESCE(@verify, verify), note = COALESCE(@note, note) WHERE run_id = @runId');
  const getQ = db.prepare('SELECT * FROM journal WHERE run_id = ?');
  const openQ = db.prepare(`SELECT * FROM journal WHERE phase IN (${OPEN_SQL}) ORDER BY started_at`);
  const setOwner = db.prepare('UPDATE journal SET owner = @owner, updated_at = @t WHERE run_id = @runId');
  const listQ = db.prepare('SELECT * FROM journal ORDER BY started_at DESC LIMIT ?');

  /** Runs `f` in a transaction whose commit is synced to disk. */
  function durably<T>(f: () => T, immediate = false): T {
    db.pragma('synchronous = FULL');
    try {
      const tx = db.transaction(f);
      return immediate ? tx.immediate() : tx();
    } finally {
      db.pragma('synchronous = NORMAL');
    }
  }

  return {
    claim(entry) {
      // IMMEDIATE: the write lock is taken before the check, so two processes claiming one image at the same
      // moment are serialised and the second sees the first's row.
      durably(() => {
        checkClaim((openOn.all(entry.image) as Row[]).map(fromRow), entry.image, alive);
        insert.run({
          runId: entry.runId,
          kind: entry.kind,
          image: entry.image,
          format: entry.format,
          runDir: entry.runDir,
          overlay: entry.overlay,
          owner: JSON.stringify(entry.owner),
          before: entry.before ? JSON.stringify(entry.before) : null,
          t: now(),
        });
      }, true);
    },
    update(runId, phase, extra) {
      const changed = durably(
        () =>
          setPhase.run({
            runId,
            phase,
            t: now(),
            verify: extra?.verify ? JSON.stringify(extra.verify) : null,
            note: extra?.note ?? null,
          }).changes,
      );
      if (changed !== 1) fail('INTERNAL', `Run ${runId} is not in the journal.`, 'This is a bug in Guestprep.');
    },
    adopt(runId, owner) {
      return durably(() => {
        const r = getQ.get(runId) as Row | undefined;
        if (!r || !OPEN_PHASES.includes(r.phase) || alive(JSON.parse(r.owner) as JournalEntry['owner'])) return undefined;
        setOwner.run({ runId, owner: JSON.stringify(owner), t: now() });
        return { ...fromRow(r), owner };
      }, true);
    },
    get(runId) {
      const r = getQ.get(runId) as Row | undefined;
      return r && fromRow(r);
    },
    open: () => (openQ.all() as Row[]).map(fromRow),
    list: (limit = 50) => (listQ.all(limit) as Row[]).map(fromRow),
  };
}
