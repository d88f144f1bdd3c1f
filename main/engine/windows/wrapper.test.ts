// The shipped Windows service wrappers: right machine type, console subsystem, only system DLLs imported, small,
// and byte-for-byte what the committed source and Makefile build (when mingw-w64 is installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WRAPPER_FILE_NAMES, asarUnpackedPath, peInfo, peMachine, wrapperPath, type WindowsArch } from './wrapper';

const up3 = path.resolve(__dirname, '..', '..', '..');
const repoRoot = path.basename(up3) === 'dist' ? path.dirname(up3) : up3;
const sourceDir = path.join(repoRoot, 'resources', 'windows', 'service-wrapper');

const EXPECTED: Record<WindowsArch, { machine: number; magic: number }> = {
  x64: { machine: 0x8664, magic: 0x20b },
  x86: { machine: 0x14c, magic: 0x10b },
};
// Present on every Windows since XP; nothing from the toolchain (libgcc_s_*, libwinpthread-1, libstdc++) and no UCRT.
const SYSTEM_DLLS = new Set(['kernel32.dll', 'advapi32.dll', 'msvcrt.dll']);

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

for (const arch of ['x64', 'x86'] as const) {
  test(`the shipped ${arch} wrapper is a small console PE for ${arch} importing only system DLLs`, () => {
    const p = wrapperPath(arch);
    assert.equal(path.basename(p), WRAPPER_FILE_NAMES[arch]);
    assert.equal(path.join(repoRoot, 'resources', 'windows', 'bin', WRAPPER_FILE_NAMES[arch]), p);
    const buf = fs.readFileSync(p);
    assert.ok(buf.length > 4096 && buf.length < 100 * 1024, `unexpected size ${buf.length}`);
    assert.equal(peMachine(buf), arch);
    const info = peInfo(buf);
    assert.equal(info.machine, EXPECTED[arch].machine);
    assert.equal(info.magic, EXPECTED[arch].magic);
    assert.equal(info.subsystem, 3, 'Windows console subsystem');
    const dlls = info.imports.map((d) => d.toLowerCase());
    for (const d of dlls) assert.ok(SYSTEM_DLLS.has(d), `imports ${d}, which is not a system DLL`);
    assert.ok(dlls.includes('kernel32.dll') && dlls.includes('advapi32.dll'), dlls.join(', '));
    // The PE timestamp is zeroed (--no-insert-timestamp): the build is reproducible.
    const pe = buf.readUInt32LE(0x3c);
    assert.equal(buf.readUInt32LE(pe + 8), 0, 'PE TimeDateStamp');
  });
}

test('the import table read by peInfo matches objdump', (t) => {
  if (!onPath('x86_64-w64-mingw32-objdump')) {
    t.skip('x86_64-w64-mingw32-objdump is not installed (apt-get install binutils-mingw-w64-x86-64)');
    return;
  }
  for (const arch of ['x64', 'x86'] as const) {
    const r = spawnSync('x86_64-w64-mingw32-objdump', ['-p', wrapperPath(arch)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fromObjdump = [...r.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(peInfo(fs.readFileSync(wrapperPath(arch))).imports, fromObjdump);
  }
});

test('peMachine: not a PE, or another machine, is "other"', () => {
  assert.equal(peMachine(Buffer.alloc(0)), 'other');
  assert.equal(peMachine(Buffer.from('#!/bin/sh\necho hi\n')), 'other');
  const fake = Buffer.alloc(0x100);
  fake.write('MZ', 0, 'latin1');
  fake.writeUInt32LE(0x80, 0x3c);
  fake.write('PE\0\0', 0x80, 'latin1');
  fake.writeUInt16LE(0xaa64, 0x84); // ARM64
  assert.equal(peMachine(fake), 'other');
  fake.writeUInt16LE(0x8664, 0x84);
  assert.equal(peMachine(fake), 'x64');
  fake.writeUInt32LE(0xfff0, 0x3c); // e_lfanew past the end
  assert.equal(peMachine(fake), 'other');
  assert.throws(() => peInfo(Buffer.from('MZ')), /not a PE file/);
});

test('a packaged app answers the unpacked copy, which external programs (guestfish) can read', () => {
  assert.equal(
    asarUnpackedPath('/opt/Guestprep/resources/app.asar/resources/windows/bin'),
    '/opt/Guestprep/resources/app.asar.unpacked/resources/windows/bin',
  );
  assert.equal(asarUnpackedPath('/work/main/resources/windows/bin'), '/work/main/resources/windows/bin');
});

test('wrapperPath honours GUESTPREP_WINDOWS_BIN_DIR and names what is missing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-wrapper-'));
  const saved = process.env.GUESTPREP_WINDOWS_BIN_DIR;
  try {
    fs.writeFileSync(path.join(dir, WRAPPER_FILE_NAMES.x64), 'x');
    process.env.GUESTPREP_WINDOWS_BIN_DIR = dir;
    assert.equal(wrapperPath('x64'), path.join(dir, WRAPPER_FILE_NAMES.x64));
    assert.equal(wrapperPath('x86'), path.join(repoRoot, 'resources', 'windows', 'bin', WRAPPER_FILE_NAMES.x86));
    assert.throws(() => wrapperPath('arm64' as WindowsArch), /no Windows service wrapper for architecture arm64/);
  } finally {
    if (saved === undefined) delete process.env.GUESTPREP_WINDOWS_BIN_DIR;
    else process.env.GUESTPREP_WINDOWS_BIN_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed wrappers equal a fresh build of the committed source (reproducible build)', { timeout: 120_000 }, (t) => {
  const missing = ['make', 'x86_64-w64-mingw32-gcc', 'i686-w64-mingw32-gcc'].filter((c) => !onPath(c));
  if (missing.length > 0) {
    t.skip(`cannot rebuild the wrapper: ${missing.join(', ')} not installed (apt-get install make gcc-mingw-w64-x86-64 gcc-mingw-w64-i686)`);
    return;
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-wrapper-build-'));
  try {
    const r = spawnSync('make', ['--no-print-directory', '-B', '-C', sourceDir, `OUTDIR=${out}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed:\n${r.stdout}\n${r.stderr}`);
    for (const arch of ['x64', 'x86'] as const) {
      const fresh = fs.readFileSync(path.join(out, WRAPPER_FILE_NAMES[arch]));
      const shipped = fs.readFileSync(wrapperPath(arch));
      assert.ok(fresh.equals(shipped), `${WRAPPER_FILE_NAMES[arch]}: the committed binary differs from a fresh build; run make -C resources/windows/service-wrapper (or the compiler version differs: ${gccVersion(arch)})`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

function gccVersion(arch: WindowsArch): string {
  const cc = arch === 'x64' ? 'x86_64-w64-mingw32-gcc' : 'i686-w64-mingw32-gcc';
  return spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? cc;
}
