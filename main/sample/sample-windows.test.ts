// The pieces of the phony Windows sample that need no appliance: the empty hive, the PE header that
// tells the architecture, and the .reg sources (mergeable, and consistent with the disk layout).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emptyHive, hiveRegText, regProblems, systemDriveBlob, tinyPe, WINDOWS_VARIANTS, type WindowsVariant } from './sample-windows';

const VARIANTS = Object.keys(WINDOWS_VARIANTS) as WindowsVariant[];

test('empty hive: regf base block with a valid checksum, one hbin, the root nk cell where the header says', () => {
  const h = emptyHive('SYSTEM');
  assert.equal(h.length, 0x2000);
  assert.equal(h.toString('latin1', 0, 4), 'regf');
  assert.equal(h.readUInt32LE(0x14), 1);
  let sum = 0;
  for (let i = 0; i < 0x1fc; i += 4) sum = (sum ^ h.readUInt32LE(i)) >>> 0;
  assert.equal(h.readUInt32LE(0x1fc), sum);
  assert.equal(h.toString('latin1', 0x1000, 0x1004), 'hbin');
  const root = 0x1000 + h.readUInt32LE(0x24);
  assert.ok(h.readInt32LE(root) < 0, 'root cell is used');
  assert.equal(h.toString('latin1', root + 4, root + 6), 'nk');
  const sk = 0x1000 + h.readUInt32LE(root + 0x30);
  assert.equal(h.toString('latin1', sk + 4, sk + 6), 'sk');
  // The cells tile the hbin exactly: used nk + used sk + one free cell to the end.
  const free = sk - h.readInt32LE(sk);
  assert.equal(free + h.readInt32LE(free), 0x2000);
});

test('tiny PE: machine and optional-header magic per architecture', () => {
  for (const [machine, magic] of [[0x14c, 0x10b], [0x8664, 0x20b]]) {
    const pe = tinyPe(machine);
    assert.equal(pe.toString('latin1', 0, 2), 'MZ');
    const off = pe.readUInt32LE(0x3c);
    assert.equal(pe.toString('latin1', off, off + 4), 'PE\0\0');
    assert.equal(pe.readUInt16LE(off + 4), machine);
    assert.equal(pe.readUInt16LE(off + 24), magic);
  }
});

test('`file` reads the architecture libguestfs expects from the tiny PE (when file(1) is installed)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-pe-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [machine, expect] of [[0x14c, /PE32 executable.*Intel 80386/], [0x8664, /PE32\+ executable.*x86-64/]] as const) {
    const f = path.join(dir, `cmd-${machine}.exe`);
    fs.writeFileSync(f, tinyPe(machine));
    const r = spawnSync('file', ['-b', f], { encoding: 'utf8' });
    if (r.error) return t.skip('file(1) is not installed');
    assert.match(r.stdout, expect);
  }
});

test('the .reg sources: header, every key under its hive and after its parent', () => {
  for (const v of VARIANTS) {
    for (const hive of ['SYSTEM', 'SOFTWARE'] as const) assert.deepEqual(regProblems(hiveRegText(v, hive), hive), [], `${v}.${hive}.reg`);
  }
  const bad = 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\B]\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\n';
  assert.equal(regProblems(bad, 'SYSTEM').length, 2);
  assert.equal(regProblems('[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n', 'SYSTEM').length, 1, 'no header');
  // A later text may build on keys an earlier one made; parents compare case-insensitively.
  const seen = new Set<string>();
  assert.deepEqual(regProblems('Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n', 'SYSTEM', seen), []);
  assert.deepEqual(regProblems('Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\a\\B]\n', 'SYSTEM', seen), []);
});

test('the .reg sources say what the variant promises (control set, hostname, product, C: on the partition)', () => {
  for (const v of VARIANTS) {
    const info = WINDOWS_VARIANTS[v];
    const system = hiveRegText(v, 'SYSTEM');
    const software = hiveRegText(v, 'SOFTWARE');
    const current = Number(info.currentControlSet.slice(-3));
    assert.match(system, new RegExp(`\\[HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\Select\\]\\n"Current"=dword:0000000${current}\\n`));
    assert.ok(system.includes(`[HKEY_LOCAL_MACHINE\\SYSTEM\\${info.currentControlSet}\\Services\\Tcpip\\Parameters]\n"Hostname"="${info.hostname}"`));
    assert.ok(software.includes(`"ProductName"="${info.productName}"`));
    const blob = systemDriveBlob(system);
    assert.ok(blob);
    assert.equal(blob.partitionOffset, 65536);
  }
  // Windows 10 boots ControlSet002 and still has a ControlSet001 that says other things.
  assert.ok(hiveRegText('win10-x64', 'SYSTEM').includes('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters]\n"Hostname"="WIN10-OLD"'));
  assert.notEqual(systemDriveBlob(hiveRegText('win7-x86', 'SYSTEM'))!.diskSignature, systemDriveBlob(hiveRegText('win10-x64', 'SYSTEM'))!.diskSignature);
});

test('the .reg sources merge into the empty hive with hivexregedit (when installed)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-hive-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (spawnSync('hivexregedit', ['--help']).error) return t.skip('hivexregedit is not installed');
  for (const v of VARIANTS) {
    for (const hive of ['SYSTEM', 'SOFTWARE'] as const) {
      const f = path.join(dir, `${v}.${hive}`);
      fs.writeFileSync(f, emptyHive(hive));
      fs.writeFileSync(`${f}.reg`, hiveRegText(v, hive));
      const m = spawnSync('hivexregedit', ['--merge', '--prefix', `HKEY_LOCAL_MACHINE\\${hive}`, f, `${f}.reg`], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      const e = spawnSync('hivexregedit', ['--export', '--prefix', `HKEY_LOCAL_MACHINE\\${hive}`, f, '\\'], { encoding: 'utf8' });
      assert.equal(e.status, 0, e.stderr);
      if (hive === 'SOFTWARE') assert.match(e.stdout, /\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\]/);
      else assert.match(e.stdout, new RegExp(`"Current"=dword:0000000${WINDOWS_VARIANTS[v].currentControlSet.slice(-1)}`));
    }
  }
});
