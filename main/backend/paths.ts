// Where Guestprep keeps its own data (the presets and run-history database). The CLI and the app must
// agree on it, or presets saved in the app would be invisible to `guestprep prepare --preset`. The app's
// folder is Electron's app.getPath('userData'): appData + the app name, where appData is %APPDATA% on
// Windows, $XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on macOS, and the app name
// is package.json's productName ("Guestprep"). This module computes the same folder without Electron, so
// the CLI can use it; the app's main process calls app.setPath('userData', userDataDir()) so that the
// GUESTPREP_DATA_DIR override moves both together.

import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Guestprep';
export const DB_FILE_NAME = 'guestprep.sqlite';

export interface PathEnv {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** Guestprep's per-user data folder (not created here). */
export function userDataDir(opts: PathEnv = {}): string {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? os.homedir();
  // Windows paths are built with win32 rules even when computed elsewhere (tests), POSIX ones likewise.
  const p = platform === 'win32' ? path.win32 : path.posix;

  // An explicit override wins everywhere: tests, portable installs, several isolated profiles.
  const override = env.GUESTPREP_DATA_DIR;
  if (override) return p.resolve(override);

  if (platform === 'win32') {
    // Electron asks Windows for FOLDERID_RoamingAppData, which is what %APPDATA% holds; without it, the
    // roaming folder's default location under the profile.
    const appData = env.APPDATA || p.join(env.USERPROFILE || home, 'AppData', 'Roaming');
    return p.join(appData, APP_DIR_NAME);
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  // Linux and other Unixes: Chromium's XDG lookup takes $XDG_CONFIG_HOME when set and not empty.
  const config = env.XDG_CONFIG_HOME || p.join(home, '.config');
  return p.join(config, APP_DIR_NAME);
}

/** The presets and run-history database, shared by the CLI and the app. */
export function defaultDbPath(opts: PathEnv = {}): string {
  const platform = opts.platform ?? process.platform;
  return (platform === 'win32' ? path.win32 : path.posix).join(userDataDir(opts), DB_FILE_NAME);
}
