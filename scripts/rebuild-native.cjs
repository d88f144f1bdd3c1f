#!/usr/bin/env node
// Rebuilds native modules (better-sqlite3) for Electron's ABI, where Electron is really installed.
//
// `npm install` compiles better-sqlite3 for the Node that ran it; inside Electron it must be rebuilt against
// Electron's headers (`electron-builder install-app-deps`). Where the Electron binary could not be
// downloaded (offline CI, machines that only run the CLI), there is nothing to rebuild for, and a failing
// postinstall would break `npm install` for everyone: this prints why it skips and exits 0.
//
//   node scripts/rebuild-native.cjs [--dry-run]     (GUESTPREP_SKIP_NATIVE_REBUILD=1 skips too)
//
// Note: after the rebuild, better-sqlite3 is built for Electron, so the plain-Node CLI and tests need
// `npm rebuild better-sqlite3` to get the Node build back. Run this where the app is developed or packaged.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** { path } of the Electron binary, or { skip: reason }. `load` is require, injectable for tests. */
function detectElectron(load = require) {
  let binary;
  try {
    // The electron package's main module returns the binary's path (from its path.txt, written by its own
    // postinstall after the download) and throws when the download never happened.
    binary = load('electron');
  } catch (err) {
    return { skip: `Electron's binary is not installed (${String(err && err.message ? err.message : err).split('\n')[0]})` };
  }
  if (typeof binary !== 'string' || binary === '') return { skip: 'the electron package did not name a binary' };
  if (!fs.existsSync(binary)) return { skip: `Electron's binary ${binary} does not exist (its download failed or was skipped)` };
  return { path: binary };
}

function main(argv) {
  if (process.env.GUESTPREP_SKIP_NATIVE_REBUILD === '1') {
    console.log('rebuild-native: skipped (GUESTPREP_SKIP_NATIVE_REBUILD=1).');
    return 0;
  }
  const found = detectElectron();
  if (found.skip) {
    console.log(`rebuild-native: skipped: ${found.skip}. better-sqlite3 stays built for Node ${process.versions.node}; ` +
      'the CLI and `guestprep serve` work, the Electron app needs this rebuild where Electron is installed.');
    return 0;
  }
  const cli = path.join(path.dirname(require.resolve('electron-builder/package.json')), 'cli.js');
  const args = [cli, 'install-app-deps'];
  if (argv.includes('--dry-run')) {
    console.log(`rebuild-native: Electron found at ${found.path}; would run: ${process.execPath} ${args.join(' ')}`);
    return 0;
  }
  console.log(`rebuild-native: Electron found at ${found.path}; rebuilding native modules for it.`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.error) {
    console.error(`rebuild-native: could not run electron-builder: ${r.error.message}`);
    return 1;
  }
  return r.status === null ? 1 : r.status;
}

module.exports = { detectElectron };

if (require.main === module) process.exit(main(process.argv.slice(2)));
