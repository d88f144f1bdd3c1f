// Phony Windows guest images for tests and the demo: NOT bootable, but libguestfs inspection takes them
// for Windows 7 Professional (32-bit) or Windows 10 Pro (64-bit), with hostname, control set, drive
// letter and product facts, so the Windows inspection and plan can be tested without a Windows licence.
//
// What inspection needs was read in libguestfs (daemon/inspect_fs_windows.ml) and checked by experiment
// (libguestfs 1.48): a filesystem with /Windows/System32/config (any case) and System32/cmd.exe marks a
// Windows root; the architecture comes from `file` on cmd.exe (so it is a small but valid PE image with
// the right machine field); the SOFTWARE hive gives ProductName, InstallationType and the version
// (CurrentMajor/MinorVersionNumber DWORDs, else the "6.1" of CurrentVersion); the SYSTEM hive gives the
// control set (Select\Current), the hostname (ControlSetNNN\Services\Tcpip\Parameters\Hostname) and
// drive letters (MountedDevices: \DosDevices\C: = MBR disk signature + partition byte offset).
//
// The hives are built on the host: hivex cannot create a hive from nothing, and no empty hive ships
// with libguestfs or hivex here, so emptyHive() writes the smallest hive hivex accepts (header block,
// one hbin with a root key and its security cell); `hivexregedit --merge` then adds the keys of the
// .reg texts kept in main/sample/windows-hives/ (the reviewable source of the sample's registry).
// virt-make-fs packs the tree into an MBR disk with one NTFS partition; we then write the disk
// signature that MountedDevices names into the MBR, and qemu-img converts to VDI.

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail } from '../engine/errors';
import { isEnoent, run, virtMakeFs, type RunResult } from './host-tools';

export type WindowsVariant = 'win7-x86' | 'win10-x64';

export interface SampleWindowsOptions {
  variant: WindowsVariant;
  format?: 'vdi' | 'raw';
  /** Size of the disk in MiB (its one NTFS partition is nearly as big). Default 64. */
  sizeMb?: number;
  /**
   * Extra files by absolute guest path on the C: volume, '/'-separated (e.g. '/Tools/readme.txt').
   * Parent folders are created. A Buffer is written as is, a string as UTF-8.
   */
  extraFiles?: Record<string, string | Buffer>;
  /**
   * Extra .reg texts merged after the sample's own (same rules: `Windows Registry Editor Version 5.00`
   * header, every key's parent listed before it, keys under HKEY_LOCAL_MACHINE\SYSTEM or \SOFTWARE).
   */
  extraReg?: { system?: string; software?: string };
}

export interface WindowsVariantInfo {
  /** The VirtualBox VM name; the image is "<outDir>/VirtualBox VMs/<vmName>/<vmName>.<format>". */
  vmName: string;
  productName: string;
  majorVersion: number;
  minorVersion: number;
  /** As libguestfs reports it. */
  arch: 'i386' | 'x86_64';
  hostname: string;
  currentControlSet: string;
  /** PE machine field of cmd.exe. */
  peMachine: number;
}

export const WINDOWS_VARIANTS: Record<WindowsVariant, WindowsVariantInfo> = {
  'win7-x86': {
    vmName: 'Windows 7 (32)', productName: 'Windows 7 Professional', majorVersion: 6, minorVersion: 1,
    arch: 'i386', hostname: 'WIN7-NODE', currentControlSet: 'ControlSet001', peMachine: 0x14c,
  },
  'win10-x64': {
    vmName: 'Windows 10 (64)', productName: 'Windows 10 Pro', majorVersion: 10, minorVersion: 0,
    arch: 'x86_64', hostname: 'WIN10-NODE', currentControlSet: 'ControlSet002', peMachine: 0x8664,
  },
};

/** Where virt-make-fs puts the first (only) partition: sector 128. MountedDevices must name this offset. */
const PARTITION_OFFSET = 65536;

// ---------------------------------------------------------------- a hive from nothing

function sid(authority: number, subAuthorities: number[]): Buffer {
  const b = Buffer.alloc(8 + 4 * subAuthorities.length);
  b[0] = 1; // revision
  b[1] = subAuthorities.length;
  b.writeUIntBE(authority, 2, 6);
  subAuthorities.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
  return b;
}

/**
 * A self-relative security descriptor: owner Administrators, group SYSTEM, and a DACL that gives
 * Everyone KEY_ALL_ACCESS. Windows would never look at it (the image does not boot), but hivex makes every
 * new key share the root key's sk cell, so the cell must exist and be well formed.
 */
function securityDescriptor(): Buffer {
  const owner = sid(5, [32, 544]);
  const group = sid(5, [18]);
  const everyone = sid(1, [0]);
  const ace = Buffer.alloc(8 + everyone.length);
  ace[0] = 0; // ACCESS_ALLOWED_ACE_TYPE
  ace[1] = 0x02; // CONTAINER_INHERIT_ACE
  ace.writeUInt16LE(ace.length, 2);
  ace.writeUInt32LE(0xf003f, 4); // KEY_ALL_ACCESS
  everyone.copy(ace, 8);
  const acl = Buffer.alloc(8 + ace.length);
  acl[0] = 2; // ACL_REVISION
  acl.writeUInt16LE(acl.length, 2);
  acl.writeUInt16LE(1, 4);
  ace.copy(acl, 8);
  const head = Buffer.alloc(20);
  head[0] = 1;
  head.writeUInt16LE(0x8004, 2); // SE_SELF_RELATIVE | SE_DACL_PRESENT
  head.writeUInt32LE(20, 4);
  head.writeUInt32LE(20 + owner.length, 8);
  head.writeUInt32LE(20 + owner.length + group.length, 16);
  return Buffer.concat([head, owner, group, acl]);
}

/**
 * The smallest registry hive hivex opens and writes to (8 KiB): the 4 KiB "regf" base block (version
 * 1.5, checksum = XOR of its first 127 dwords), then one 4 KiB "hbin" holding the root key (nk cell,
 * flags HIVE_ENTRY|NO_DELETE|COMP_NAME, no parent), its sk cell, and one free cell for the rest.
 * hivex needs: magic, major version 1, a good checksum, hbins whose offsets match, a used nk cell at
 * the root offset, and a valid sk cell (hivex_node_add_child copies the parent's and bumps its refcount).
 * Offsets inside the hive are relative to the first hbin (file offset 0x1000).
 */
export function emptyHive(fileName: string): Buffer {
  const b = Buffer.alloc(0x2000);
  b.write('regf', 0, 'latin1');
  b.writeUInt32LE(1, 0x04); // primary sequence number
  b.writeUInt32LE(1, 0x08); // secondary: equal = the hive was written out cleanly
  b.writeBigUInt64LE(0n, 0x0c); // last written (FILETIME); 0 keeps the output reproducible
  b.writeUInt32LE(1, 0x14); // major version
  b.writeUInt32LE(5, 0x18); // minor version (XP and later)
  b.writeUInt32LE(0, 0x1c); // primary file
  b.writeUInt32LE(1, 0x20); // direct memory load format
  b.writeUInt32LE(0x20, 0x24); // root cell offset
  b.writeUInt32LE(0x1000, 0x28); // size of the hbins
  b.writeUInt32LE(1, 0x2c); // clustering factor
  b.write(fileName.slice(0, 31), 0x30, 'utf16le');
  let sum = 0;
  for (let i = 0; i < 0x1fc; i += 4) sum = (sum ^ b.readUInt32LE(i)) >>> 0;
  b.writeUInt32LE(sum, 0x1fc);

  const bin = 0x1000;
  b.write('hbin', bin, 'latin1');
  b.writeUInt32LE(0, bin + 4); // offset of this hbin
  b.writeUInt32LE(0x1000, bin + 8); // its size

  const rootName = Buffer.from('ROOT', 'latin1');
  const nk = bin + 0x20;
  const nkLen = (0x50 + rootName.length + 7) & ~7;
  const skRel = 0x20 + nkLen;
  b.writeInt32LE(-nkLen, nk); // negative size = used cell
  b.write('nk', nk + 4, 'latin1');
  b.writeUInt16LE(0x2c, nk + 6);
  b.writeUInt32LE(0xffffffff, nk + 0x14); // parent: none
  b.writeUInt32LE(0xffffffff, nk + 0x20); // subkey list: none
  b.writeUInt32LE(0xffffffff, nk + 0x24); // volatile subkey list: none
  b.writeUInt32LE(0xffffffff, nk + 0x2c); // value list: none
  b.writeUInt32LE(skRel, nk + 0x30);
  b.writeUInt32LE(0xffffffff, nk + 0x34); // class name: none
  b.writeUInt16LE(rootName.length, nk + 0x4c);
  rootName.copy(b, nk + 0x50);

  const desc = securityDescriptor();
  const sk = bin + skRel;
  const skLen = (0x18 + desc.length + 7) & ~7;
  b.writeInt32LE(-skLen, sk);
  b.write('sk', sk + 4, 'latin1');
  b.writeUInt32LE(skRel, sk + 8); // next sk: itself (a one-element ring)
  b.writeUInt32LE(skRel, sk + 12); // previous sk: itself
  b.writeUInt32LE(1, sk + 16); // reference count: the root key
  b.writeUInt32LE(desc.length, sk + 20);
  desc.copy(b, sk + 24);

  const free = sk + skLen;
  b.writeInt32LE(bin + 0x1000 - free, free); // positive size = free cell up to the end of the hbin
  return b;
}

// ---------------------------------------------------------------- a PE image for cmd.exe

/**
 * A tiny valid PE executable (one .text section holding `ret`) with the given machine: 0x14c (i386,
 * PE32) or 0x8664 (x86-64, PE32+). `file` says "PE32 executable (console) Intel 80386" or "PE32+
 * executable (console) x86-64", which is what libguestfs reads the guest architecture from.
 */
export function tinyPe(machine: number): Buffer {
  const pe32plus = machine === 0x8664;
  const optSize = pe32plus ? 240 : 224;
  const peOff = 0x80;
  const fileAlign = 0x200;
  const sectAlign = 0x1000;
  const b = Buffer.alloc(2 * fileAlign);
  b.write('MZ', 0, 'latin1');
  b.writeUInt16LE(0x90, 0x02);
  b.writeUInt16LE(3, 0x04);
  b.writeUInt16LE(4, 0x08);
  b.writeUInt16LE(0xffff, 0x0c);
  b.writeUInt16LE(0xb8, 0x10);
  b.writeUInt16LE(0x40, 0x18);
  b.writeUInt32LE(peOff, 0x3c); // e_lfanew
  b.write('PE\0\0', peOff, 'latin1');
  const coff = peOff + 4;
  b.writeUInt16LE(machine, coff);
  b.writeUInt16LE(1, coff + 2); // one section
  b.writeUInt32LE(0x4a5bc60f, coff + 4); // a fixed timestamp (2009), for reproducible images
  b.writeUInt16LE(optSize, coff + 16);
  b.writeUInt16LE(pe32plus ? 0x0022 : 0x0102, coff + 18); // executable, large-address-aware / 32-bit machine
  const o = coff + 20;
  b.writeUInt16LE(pe32plus ? 0x20b : 0x10b, o);
  b[o + 2] = 14; // linker version
  b.writeUInt32LE(fileAlign, o + 4); // SizeOfCode
  b.writeUInt32LE(sectAlign, o + 16); // AddressOfEntryPoint
  b.writeUInt32LE(sectAlign, o + 20); // BaseOfCode
  if (pe32plus) b.writeBigUInt64LE(0x140000000n, o + 24);
  else b.writeUInt32LE(0x400000, o + 28);
  const p = o + 32;
  b.writeUInt32LE(sectAlign, p);
  b.writeUInt32LE(fileAlign, p + 4);
  b.writeUInt16LE(6, p + 8); // OS version 6.1
  b.writeUInt16LE(1, p + 10);
  b.writeUInt16LE(6, p + 16); // subsystem version 6.1
  b.writeUInt16LE(1, p + 18);
  b.writeUInt32LE(2 * sectAlign, p + 24); // SizeOfImage
  b.writeUInt32LE(fileAlign, p + 28); // SizeOfHeaders
  b.writeUInt16LE(3, p + 36); // IMAGE_SUBSYSTEM_WINDOWS_CUI
  b.writeUInt16LE(0x8140, p + 38); // DLL characteristics: NX, dynamic base, TS aware
  const w = pe32plus ? 8 : 4;
  const q = p + 40;
  const word = (off: number, v: number) => (pe32plus ? b.writeBigUInt64LE(BigInt(v), off) : b.writeUInt32LE(v, off));
  word(q, 0x100000); // stack reserve
  word(q + w, 0x1000); // stack commit
  word(q + 2 * w, 0x100000); // heap reserve
  word(q + 3 * w, 0x1000); // heap commit
  b.writeUInt32LE(16, q + 4 * w + 4); // NumberOfRvaAndSizes (all empty)
  const s = peOff + 24 + optSize;
  b.write('.text', s, 'latin1');
  b.writeUInt32LE(1, s + 8); // VirtualSize
  b.writeUInt32LE(sectAlign, s + 12);
  b.writeUInt32LE(fileAlign, s + 16); // SizeOfRawData
  b.writeUInt32LE(fileAlign, s + 20); // PointerToRawData
  b.writeUInt32LE(0x60000020, s + 36); // code, execute, read
  b[fileAlign] = 0xc3; // ret
  return b;
}

// ---------------------------------------------------------------- the .reg sources

/** The repository root (the nearest ancestor with package.json): .reg texts live in the source tree, not in dist/. */
function sourceRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) fail('INTERNAL', 'The Guestprep source tree was not found (package.json).', 'Run from a Guestprep checkout.');
    dir = up;
  }
  return dir;
}

export type HiveName = 'SYSTEM' | 'SOFTWARE';

export function hiveRegPath(variant: WindowsVariant, hive: HiveName): string {
  return path.join(sourceRoot(), 'main', 'sample', 'windows-hives', `${variant}.${hive}.reg`);
}

export function hiveRegText(variant: WindowsVariant, hive: HiveName): string {
  return fs.readFileSync(hiveRegPath(variant, hive), 'utf8');
}

/**
 * Problems hivexregedit would stop on, found before running it: a missing header, a key outside the
 * hive's prefix, or a key whose parent is neither the hive root nor an earlier key (hivexregedit
 * --merge creates a key only under an existing parent). Keys compare case-insensitively, like Windows.
 * `seen` carries the (lowercase) keys of texts merged before this one, and receives this text's keys.
 */
export function regProblems(text: string, hive: HiveName, seen: Set<string> = new Set()): string[] {
  const problems: string[] = [];
  if (!/^\uFEFF?Windows Registry Editor Version 5\.00\r?\n/.test(text)) problems.push('missing the "Windows Registry Editor Version 5.00" header');
  const prefix = `HKEY_LOCAL_MACHINE\\${hive}`.toLowerCase();
  seen.add(prefix);
  for (const m of text.matchAll(/^\[(-?)([^\]\r\n]+)\]\s*$/gm)) {
    const key = m[2].toLowerCase();
    if (m[1] === '-') continue; // a deletion needs no parent
    if (key !== prefix && !key.startsWith(`${prefix}\\`)) {
      problems.push(`[${m[2]}] is not under HKEY_LOCAL_MACHINE\\${hive}`);
      continue;
    }
    const parent = key.slice(0, key.lastIndexOf('\\'));
    if (!seen.has(parent)) problems.push(`[${m[2]}] comes before its parent key`);
    seen.add(key);
  }
  return problems;
}

/** The \DosDevices\C: value of a SYSTEM .reg text: MBR disk signature and partition byte offset. */
export function systemDriveBlob(systemReg: string): { diskSignature: number; partitionOffset: number } | undefined {
  const m = /^"\\\\DosDevices\\\\C:"=hex:([0-9a-f,\\\s]+)$/im.exec(systemReg);
  if (!m) return undefined;
  const bytes = Buffer.from(m[1].replace(/[\\\s]/g, '').split(',').filter((x) => x !== '').map((x) => parseInt(x, 16)));
  if (bytes.length !== 12) return undefined;
  return { diskSignature: bytes.readUInt32LE(0), partitionOffset: Number(bytes.readBigUInt64LE(4)) };
}

// ---------------------------------------------------------------- building


async function mergeReg(hiveFile: string, hive: HiveName, regFile: string): Promise<void> {
  let r: RunResult;
  try {
    r = await run('hivexregedit', ['--merge', '--prefix', `HKEY_LOCAL_MACHINE\\${hive}`, hiveFile, regFile]);
  } catch (err) {
    if (isEnoent(err)) {
      fail('LIBGUESTFS_MISSING', 'hivexregedit (hivex) is not installed.', 'Install it: on Debian/Ubuntu `apt-get install libwin-hivex-perl`, on Fedora `dnf install hivex`.');
    }
    throw err;
  }
  if (r.code !== 0) fail('INTERNAL', `hivexregedit could not merge ${path.basename(regFile)} into the ${hive} hive.`, 'Fix the .reg text.', { detail: r.output.trim() });
}

async function buildHive(work: string, hive: HiveName, texts: Array<{ name: string; text: string }>): Promise<string> {
  const hiveFile = path.join(work, hive);
  await fsp.writeFile(hiveFile, emptyHive(hive));
  const seen = new Set<string>();
  for (const [i, { name, text }] of texts.entries()) {
    const problems = regProblems(text, hive, seen);
    if (problems.length > 0) fail('INTERNAL', `${name} cannot be merged into the ${hive} hive.`, 'Fix the .reg text.', { detail: problems.join('\n') });
    const regFile = path.join(work, `${hive}.${i}.reg`);
    await fsp.writeFile(regFile, text);
    await mergeReg(hiveFile, hive, regFile);
  }
  return hiveFile;
}


/**
 * Checks the MBR virt-make-fs wrote (one NTFS partition where MountedDevices says C: starts) and writes
 * the disk signature MountedDevices names: inspection maps C: to the disk whose MBR carries it.
 */
async function stampMbr(raw: string, blob: { diskSignature: number; partitionOffset: number }): Promise<void> {
  const fh = await fsp.open(raw, 'r+');
  try {
    const mbr = Buffer.alloc(512);
    await fh.read(mbr, 0, 512, 0);
    const type = mbr[0x1be + 4];
    const start = mbr.readUInt32LE(0x1be + 8) * 512;
    if (mbr.readUInt16LE(0x1fe) !== 0xaa55 || type !== 0x07 || start !== blob.partitionOffset) {
      fail('INTERNAL', 'virt-make-fs did not lay the sample disk out as expected.',
        `MountedDevices in the SYSTEM .reg names a partition at byte ${blob.partitionOffset}: update it to the new layout.`,
        { detail: `MBR signature 0x${mbr.readUInt16LE(0x1fe).toString(16)}, partition 1 type 0x${type.toString(16)} at byte ${start}` });
    }
    const sig = Buffer.alloc(4);
    sig.writeUInt32LE(blob.diskSignature, 0);
    await fh.write(sig, 0, 4, 0x1b8);
  } finally {
    await fh.close();
  }
}

function normaliseGuestPath(p: string): string {
  if (!p.startsWith('/') || p.includes('\\') || p.split('/').includes('..')) throw new Error(`extraFiles: bad guest path: ${p}`);
  const n = path.posix.normalize(p).replace(/\/+$/, '');
  if (n === '') throw new Error(`extraFiles: bad guest path: ${p}`);
  return n;
}

/**
 * Builds a phony Windows image and returns its path:
 * "<outDir>/VirtualBox VMs/Windows 7 (32)/Windows 7 (32).vdi" (or "Windows 10 (64)", or .raw), a path with
 * spaces and parentheses like VirtualBox's own. MBR disk, one NTFS partition (C:), registry hives built
 * from main/sample/windows-hives/<variant>.{SYSTEM,SOFTWARE}.reg. Takes about 15-20 s under TCG.
 */
export async function buildSampleWindows(outDir: string, opts: SampleWindowsOptions): Promise<string> {
  const variant = opts.variant;
  const info = WINDOWS_VARIANTS[variant];
  if (!info) throw new Error(`unknown Windows sample variant: ${String(variant)}`);
  const sizeMb = opts.sizeMb ?? 64;
  const format = opts.format ?? 'vdi';
  if (!Number.isInteger(sizeMb) || sizeMb < 16) throw new Error(`sample sizeMb must be an integer >= 16, got ${sizeMb}`);
  if (format !== 'vdi' && format !== 'raw') throw new Error(`unknown sample format: ${String(format)}`);

  const systemReg = hiveRegText(variant, 'SYSTEM');
  const blob = systemDriveBlob(systemReg);
  if (!blob) fail('INTERNAL', `${variant}.SYSTEM.reg has no 12-byte MBR value for \\DosDevices\\C:.`, 'Fix the .reg text.');
  if (blob.partitionOffset !== PARTITION_OFFSET) {
    fail('INTERNAL', `${variant}.SYSTEM.reg puts C: at byte ${blob.partitionOffset}, not ${PARTITION_OFFSET}.`, 'Fix the .reg text.');
  }

  const vmDir = path.resolve(outDir, 'VirtualBox VMs', info.vmName);
  await fsp.mkdir(vmDir, { recursive: true });
  const out = path.join(vmDir, `${info.vmName}.${format}`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'guestprep-winsample-'));
  try {
    const tree = path.join(work, 'tree');
    const hives = path.join(work, 'hives');
    await fsp.mkdir(hives);
    const system = await buildHive(hives, 'SYSTEM', [
      { name: `${variant}.SYSTEM.reg`, text: systemReg },
      ...(opts.extraReg?.system ? [{ name: 'extraReg.system', text: opts.extraReg.system }] : []),
    ]);
    const software = await buildHive(hives, 'SOFTWARE', [
      { name: `${variant}.SOFTWARE.reg`, text: hiveRegText(variant, 'SOFTWARE') },
      ...(opts.extraReg?.software ? [{ name: 'extraReg.software', text: opts.extraReg.software }] : []),
    ]);

    // The layout of a real install, in the real case (NTFS keeps case; inspection looks it up case-blind).
    const config = path.join(tree, 'Windows', 'System32', 'config');
    await fsp.mkdir(config, { recursive: true });
    await fsp.copyFile(system, path.join(config, 'SYSTEM'));
    await fsp.copyFile(software, path.join(config, 'SOFTWARE'));
    await fsp.writeFile(path.join(tree, 'Windows', 'System32', 'cmd.exe'), tinyPe(info.peMachine));
    await fsp.mkdir(path.join(tree, 'Program Files'));
    await fsp.mkdir(path.join(tree, 'Users', 'Public'), { recursive: true });
    if (info.arch === 'x86_64') {
      // 64-bit Windows keeps 32-bit programs apart; an x86 cmd.exe there must not change the arch.
      await fsp.mkdir(path.join(tree, 'Windows', 'SysWOW64'));
      await fsp.writeFile(path.join(tree, 'Windows', 'SysWOW64', 'cmd.exe'), tinyPe(0x14c));
      await fsp.mkdir(path.join(tree, 'Program Files (x86)'));
    }
    for (const [guestPath, content] of Object.entries(opts.extraFiles ?? {})) {
      const host = path.join(tree, ...normaliseGuestPath(guestPath).split('/').slice(1));
      await fsp.mkdir(path.dirname(host), { recursive: true });
      await fsp.writeFile(host, content);
    }

    // A raw result is written next to its final name and renamed, so it stays sparse.
    const raw = format === 'raw' ? `${out}.${process.pid}.partial` : path.join(work, 'disk.raw');
    try {
      await virtMakeFs(['--partition=mbr', '--type=ntfs', `--size=${sizeMb}M`, '--format=raw', tree, raw], 'the sample Windows image', ' NTFS also needs ntfs-3g on the host.');
      await stampMbr(raw, blob);
      await fsp.rm(out, { force: true });
      if (format === 'raw') {
        await fsp.rename(raw, out);
      } else {
        let r: RunResult;
        try {
          r = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vdi', raw, out]);
        } catch (err) {
          if (isEnoent(err)) fail('QEMU_IMG_MISSING', 'qemu-img is not installed.', 'Install it: on Debian/Ubuntu `apt-get install qemu-utils`.');
          throw err;
        }
        if (r.code !== 0) fail('INTERNAL', 'qemu-img convert to vdi failed.', 'Check free space in the output folder.', { detail: r.output.trim() });
      }
    } finally {
      await fsp.rm(raw, { force: true });
    }
    return out;
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
