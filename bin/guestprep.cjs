#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm install` (the prepare script).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'main', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('guestprep: not built yet. Run `npm install` (or `npm run build`) in the project folder first.\n');
  process.exit(70);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`guestprep: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
