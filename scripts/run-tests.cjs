#!/usr/bin/env node
// Runs the compiled test files with Node's test runner, in three tiers:
//   *.test.js        unit tests (pure, fast, run in parallel)
//   *.int.test.js    integration tests against real libguestfs/qemu-img on fixture images
//   *.boot.test.js   boots prepared fixture guests under QEMU and reads back what the node recorded
//   *.e2e.test.js    drives the real app (renderer in Chromium, or Electron where present) against the engine
// `--unit` runs the first tier only. Appliance-heavy tiers run two files at a time (2 cores).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist');
const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// Filters match the path inside dist/, so the checkout's own folder name never matches every file.
const all = walk(root, []).filter((f) => filters.length === 0 || filters.some((x) => path.relative(root, f).includes(x))).sort();
const unit = all.filter((f) => !/\.(int|boot|e2e)\.test\.js$/.test(f));
// The longest files first (the crash test runs for minutes): the two workers then finish close together.
const LONG = [/crash-recovery/, /reversible/, /\.boot\.test\.js$/, /hostile/];
const rank = (f) => {
  const i = LONG.findIndex((re) => re.test(f));
  return i < 0 ? LONG.length : i;
};
const heavy = all.filter((f) => /\.(int|boot|e2e)\.test\.js$/.test(f)).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
// The renderer's unit tests (React, jsdom) run under vitest, between the node unit tier and the heavy one.
const runRenderer = filters.length === 0 || filters.some((x) => x.includes('renderer'));

// Tests never touch the user's own Guestprep data and state (database, KVM verdict, overlays).
const scratch = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'guestprep-tests-'));
process.env.GUESTPREP_DATA_DIR = process.env.GUESTPREP_DATA_DIR || path.join(scratch, 'data');
process.env.GUESTPREP_STATE_DIR = process.env.GUESTPREP_STATE_DIR || path.join(scratch, 'state');
// libguestfs must use TCG on these machines: nested KVM either aborts at once or hangs (the product would find
// that out itself, after up to two minutes per state folder; the tests' many state folders would each pay it).
// The fallback is tested on its own with a stand-in guestfish (engine/guestfish/launch.test.ts).
if (process.env.LIBGUESTFS_BACKEND_SETTINGS === undefined) process.env.LIBGUESTFS_BACKEND_SETTINGS = 'force_tcg';

let status = 0;
function nodeTests(files, concurrency) {
  if (files.length === 0) return;
  const args = ['--test', '--test-reporter=spec'];
  if (concurrency) args.push(`--test-concurrency=${concurrency}`);
  const r = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status || 1;
}

nodeTests(unit, 0);
if (runRenderer) {
  const vitest = require.resolve('vitest/vitest.mjs');
  const r = spawnSync(process.execPath, [vitest, 'run', '--config', path.join(__dirname, '..', 'renderer', 'vite.config.ts')], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status || 1;
}
if (!unitOnly) nodeTests(heavy, 2);
fs.rmSync(scratch, { recursive: true, force: true });
process.exit(status);
