// The Windows service wrapper Guestprep ships (resources/windows/bin/guestprep-service-{x86,x64}.exe, built from
// resources/windows/service-wrapper/ with mingw-w64) and a small PE reader to check which binary fits a guest.
//
// The wrapper is uploaded into the guest by guestfish, an external process: it must be a real file on disk. In a
// packaged app the resources live in app.asar, so the binaries must be unpacked (electron-builder `asarUnpack:
// resources/windows/bin/**`); wrapperPath() then answers the app.asar.unpacked path.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type WindowsArch = 'x86' | 'x64';

export const WRAPPER_FILE_NAMES: Readonly<Record<WindowsArch, string>> = {
  x86: 'guestprep-service-x86.exe',
  x64: 'guestprep-service-x64.exe',
};

/** The name the wrapper gets inside the guest (ImagePath of the service). */
export const WRAPPER_GUEST_NAME = 'guestprep-service.exe';

/** Folders that may hold the shipped binaries, most specific first. */
export function wrapperSearchDirs(): string[] {
  const dirs: string[] = [];
  const fromEnv = process.env.GUESTPREP_WINDOWS_BIN_DIR;
  if (fromEnv) dirs.push(fromEnv);
  // dist/main/engine/windows/wrapper.js (or main/engine/windows/wrapper.ts) -> <root>/resources/windows/bin
  const up3 = path.resolve(__dirname, '..', '..', '..');
  const root = path.basename(up3) === 'dist' ? path.dirname(up3) : up3;
  const bin = path.join(root, 'resources', 'windows', 'bin');
  dirs.push(asarUnpackedPath(bin));
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) dirs.push(path.join(resourcesPath, 'windows', 'bin'));
  return [...new Set(dirs)];
}

/** app.asar/... -> app.asar.unpacked/... (external programs cannot read inside an asar archive). */
export function asarUnpackedPath(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** Absolute path of the shipped wrapper for a guest architecture; throws if it is missing. */
export function wrapperPath(arch: WindowsArch): string {
  const name = WRAPPER_FILE_NAMES[arch];
  if (!name) throw new Error(`no Windows service wrapper for architecture ${String(arch)}`);
  const dirs = wrapperSearchDirs();
  for (const dir of dirs) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`the Windows service wrapper ${name} is missing (looked in ${dirs.join(', ')})`);
}

export interface PeInfo {
  machine: number;
  arch: WindowsArch | 'other';
  /** 0x10b (PE32) or 0x20b (PE32+) */
  magic: number;
  /** 2 = Windows GUI, 3 = Windows console */
  subsystem: number;
  /** DLL names of the import table, as written in the file */
  imports: string[];
}

const MACHINE_I386 = 0x14c;
const MACHINE_AMD64 = 0x8664;

function peHeaderOffset(buf: Buffer): number | undefined {
  if (buf.length < 0x40 || buf.readUInt16LE(0) !== 0x5a4d) return undefined; // "MZ"
  const pe = buf.readUInt32LE(0x3c);
  if (pe + 24 > buf.length || buf.readUInt32LE(pe) !== 0x00004550) return undefined; // "PE\0\0"
  return pe;
}

/** The machine type of a PE file (EXE/DLL): 0x14c -> 'x86', 0x8664 -> 'x64', anything else (or not PE) -> 'other'. */
export function peMachine(buf: Buffer): 'x86' | 'x64' | 'other' {
  const pe = peHeaderOffset(buf);
  if (pe === undefined) return 'other';
  const machine = buf.readUInt16LE(pe + 4);
  return machine === MACHINE_I386 ? 'x86' : machine === MACHINE_AMD64 ? 'x64' : 'other';
}

/** Machine, subsystem and imported DLLs of a PE file; throws on a file that is not a well-formed PE image. */
export function peInfo(buf: Buffer): PeInfo {
  const pe = peHeaderOffset(buf);
  if (pe === undefined) throw new Error('not a PE file');
  const machine = buf.readUInt16LE(pe + 4);
  const sectionCount = buf.readUInt16LE(pe + 6);
  const optSize = buf.readUInt16LE(pe + 20);
  const opt = pe + 24;
  if (opt + optSize > buf.length || optSize < 96) throw new Error('truncated PE optional header');
  const magic = buf.readUInt16LE(opt);
  if (magic !== 0x10b && magic !== 0x20b) throw new Error(`unknown PE optional header magic 0x${magic.toString(16)}`);
  const subsystem = buf.readUInt16LE(opt + 68);
  const dirs = opt + (magic === 0x20b ? 112 : 96);
  const dirCount = buf.readUInt32LE(opt + (magic === 0x20b ? 108 : 92));
  const sections: { va: number; size: number; raw: number; rawSize: number }[] = [];
  for (let i = 0, s = opt + optSize; i < sectionCount; i++, s += 40) {
    if (s + 40 > buf.length) throw new Error('truncated PE section table');
    sections.push({ size: buf.readUInt32LE(s + 8), va: buf.readUInt32LE(s + 12), rawSize: buf.readUInt32LE(s + 16), raw: buf.readUInt32LE(s + 20) });
  }
  const offset = (rva: number): number => {
    for (const sec of sections) {
      if (rva >= sec.va && rva < sec.va + Math.max(sec.size, sec.rawSize)) {
        const o = sec.raw + (rva - sec.va);
        if (o >= buf.length) break;
        return o;
      }
    }
    throw new Error(`RVA 0x${rva.toString(16)} is outside the file`);
  };
  const cString = (o: number): string => {
    const end = buf.indexOf(0, o);
    return buf.toString('latin1', o, end < 0 ? buf.length : end);
  };
  const imports: string[] = [];
  if (dirCount > 1 && dirs + 16 <= opt + optSize) {
    const importRva = buf.readUInt32LE(dirs + 8);
    if (importRva) {
      for (let d = offset(importRva); d + 20 <= buf.length; d += 20) {
        const nameRva = buf.readUInt32LE(d + 12);
        if (nameRva === 0) break; // the all-zero descriptor ends the table
        imports.push(cString(offset(nameRva)));
        if (imports.length > 1000) throw new Error('runaway PE import table');
      }
    }
  }
  return { machine, arch: peMachine(buf), magic, subsystem, imports };
}
