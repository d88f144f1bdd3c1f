// The data folder holds image paths, manager URLs, credentials file paths and run logs: only its user may
// read it. Modes are set explicitly (mkdir's and open's modes are cut by the umask, which may be 000, and
// an existing folder keeps whatever mode it had), so the result does not depend on the umask.
//
// SQLite creates the database's -wal and -shm files itself, with the mode of the database file: creating
// that file 0600 first makes them 0600 too. Files an older Guestprep left readable are tightened on open.

import fs from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Creates `dir` (and its missing parents) 0700, or tightens it to 0700 when other users can enter or read
 * it. Returns a sentence to say once when an existing folder was tightened.
 */
export function ensurePrivateDir(dir: string, what = 'Guestprep\'s data folder'): string | undefined {
  const before = statOrUndefined(dir);
  if (!before) {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    fs.chmodSync(dir, PRIVATE_DIR_MODE);
    return undefined;
  }
  if ((before.mode & 0o077) === 0) return undefined;
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
  return `${what} ${dir} could be read by other users of this machine (mode ${octal(before.mode)}): it is now ${octal(PRIVATE_DIR_MODE)}, readable by you only`;
}

/** Creates `file` empty and 0600 if missing; an existing file other users can read is set to 0600. */
export function ensurePrivateFile(file: string): void {
  const st = statOrUndefined(file);
  if (!st) {
    // 'a': never truncates a file another process created meanwhile.
    const fd = fs.openSync(file, 'a', PRIVATE_FILE_MODE);
    try {
      fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  if (st.isFile() && (st.mode & 0o077) !== 0) fs.chmodSync(file, PRIVATE_FILE_MODE);
}

/** The SQLite files of a database: itself, its write-ahead log and its shared-memory index. */
export function sqliteFiles(dbPath: string): string[] {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`];
}

/** Sets the database's existing -wal and -shm files (SQLite makes them) to 0600 if looser. */
export function tightenSqliteCompanions(dbPath: string): void {
  for (const f of sqliteFiles(dbPath).slice(1)) {
    const st = statOrUndefined(f);
    if (st?.isFile() && (st.mode & 0o077) !== 0) fs.chmodSync(f, PRIVATE_FILE_MODE);
  }
}
