// Where runs keep their working files (overlays): outside the user's image folder, in the user's state dir,
// so a failed or cancelled run never leaves anything next to the image.

import { mkdirSync, rmSync } from 'node:fs';
import { ensurePrivateDir } from './private-files';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function stateDir(): string {
  return process.env.GUESTPREP_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'guestprep');
}

/**
 * The state folder, made private (0700) whatever the umask: overlays hold the written parts of users'
 * images, and the archive disks their archives. A folder an older version made readable is tightened.
 */
export function ensureStateDir(): string {
  const dir = stateDir();
  ensurePrivateDir(dir, 'Guestprep\'s state folder');
  return dir;
}

export interface RunDir {
  id: string;
  dir: string;
  overlay: string;
  remove(): void;
}

export function newRunDir(): RunDir {
  const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(4).toString('hex')}`;
  const dir = join(ensureStateDir(), 'runs', id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    id,
    dir,
    overlay: join(dir, 'overlay.qcow2'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
