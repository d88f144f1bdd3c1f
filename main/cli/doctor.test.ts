import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_TOOLS } from '../engine/host-tools';
import { toolChecks, type DoctorCheck } from './doctor';
import { main } from './index';

process.env.GUESTPREP_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'gp-doctor-data-'));

/** A PATH of stub executables: every tool of the table except `without`. */
function stubPath(t: { after: (fn: () => void) => void }, without: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gp doctor path '));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const tool of HOST_TOOLS) {
    if (without.includes(tool.command)) continue;
    writeFileSync(join(dir, tool.command), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, tool.command), 0o755);
  }
  // Present but not executable: not found.
  writeFileSync(join(dir, 'hivexregedit'), 'not a program\n');
  chmodSync(join(dir, 'hivexregedit'), 0o644);
  return dir;
}

test('the table names every program the engine runs, each with its Debian package', () => {
  const commands = HOST_TOOLS.map((t) => t.command);
  for (const c of ['guestfish', 'qemu-img', 'sqfstar', 'hivexregedit', 'xz', 'VBoxManage']) assert.ok(commands.includes(c), c);
  const pkg = Object.fromEntries(HOST_TOOLS.map((t) => [t.command, t.debianPackage]));
  assert.equal(pkg.sqfstar, 'squashfs-tools');
  assert.equal(pkg.hivexregedit, 'libwin-hivex-perl');
  assert.equal(pkg.guestfish, 'libguestfs-tools');
});

test('doctor reports each tool found or missing, with apt-get install PACKAGE for the missing ones', (t) => {
  const dir = stubPath(t, ['sqfstar', 'hivexregedit']);
  const checks = toolChecks(dir);
  assert.deepEqual(checks.map((c) => c.name), HOST_TOOLS.map((x) => x.command));
  const by = (name: string) => checks.find((c) => c.name === name)!;
  assert.equal(by('guestfish').tool?.found, true);
  assert.equal(by('guestfish').tool?.path, join(dir, 'guestfish'));
  const sq = by('sqfstar');
  assert.deepEqual([sq.ok, sq.tool?.found, sq.fix], [true, false, 'sudo apt-get install squashfs-tools']);
  assert.match(sq.message, /missing \(optional\): sqfstar is not on PATH; needed for fast copies/);
  const hx = by('hivexregedit');
  assert.deepEqual([hx.ok, hx.tool?.found, hx.fix], [false, false, 'sudo apt-get install libwin-hivex-perl']);
  assert.match(hx.message, /missing: hivexregedit is not on PATH; needed for Windows guests/);
});

test('guestprep doctor --json with a PATH lacking sqfstar and hivexregedit: both reported, exit 6', async (t) => {
  const dir = stubPath(t, ['sqfstar', 'hivexregedit']);
  const saved = process.env.PATH;
  process.env.PATH = dir;
  let out = '';
  let code: number;
  try {
    code = await main(['doctor', '--json'], { out: (s) => (out += s), err: () => undefined, isTty: false });
  } finally {
    process.env.PATH = saved;
  }
  // JSON lines: one {type: 'check'} per check, then {type: 'result'}.
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; check?: DoctorCheck; ok?: boolean });
  assert.deepEqual(lines.at(-1), { type: 'result', ok: false });
  const checks = lines.filter((l) => l.type === 'check').map((l) => l.check!);
  const missing = checks.filter((c) => c.tool && !c.tool.found).map((c) => [c.name, c.fix]);
  assert.deepEqual(missing, [['hivexregedit', 'sudo apt-get install libwin-hivex-perl'], ['sqfstar', 'sudo apt-get install squashfs-tools']]);
  assert.equal(code, 6);
  let text = '';
  process.env.PATH = dir;
  try {
    await main(['doctor'], { out: (s) => (text += s), err: () => undefined, isTty: false });
  } finally {
    process.env.PATH = saved;
  }
  assert.match(text, /^FAIL hivexregedit: missing: .*\n {5}Fix: sudo apt-get install libwin-hivex-perl$/m);
  assert.match(text, /^warn sqfstar: missing \(optional\): .*\n {5}Fix: sudo apt-get install squashfs-tools$/m);
  assert.match(text, /^ok {3}guestfish: found: /m);
});
