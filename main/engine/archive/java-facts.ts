// What a Java runtime is (version, OS, CPU) from the clues an archive gives: its `release` file first,
// then the header of bin/java (ELF, PE or Mach-O) and the names vendors give their archives and
// folders (OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9, jdk-17.0.9+9-jre, jre1.8.0_392, ...).
// Pure functions: detect.ts feeds them bytes and names read in one pass over the archive.

import type { CpuArch, JavaOs } from '../types';

/** Parses KEY="value" lines (the JDK `release` file). Unquoted values are accepted too. */
export function parseReleaseFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

// The spellings of CPUs and OSes are one rule, shared with the page (rules/guest-fit.ts).
import { normaliseArch, normaliseOs } from '../../rules/guest-fit';

export { normaliseArch, normaliseOs };

/** Feature release of a Java version: 1.8.0_392 -> 8, 17.0.9 -> 17, 21 -> 21; 0 when unknown. */
export function javaMajor(version: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return 0;
  const first = Number(m[1]);
  if (first === 1 && m[2] !== undefined) return Number(m[2]);
  return first;
}

export interface BinaryFacts {
  os: JavaOs;
  arch: CpuArch;
  /** What the header was, for messages: 'ELF', 'PE', 'Mach-O', 'script'. */
  format: 'ELF' | 'PE' | 'Mach-O' | 'script';
}

const ELF_MACHINES: Record<number, { b32: CpuArch; b64: CpuArch }> = {
  0x03: { b32: 'i386', b64: 'i386' },
  0x3e: { b32: 'x86_64', b64: 'x86_64' },
  0xb7: { b32: 'aarch64', b64: 'aarch64' },
  0x28: { b32: 'arm', b64: 'arm' },
  0x15: { b32: 'ppc64', b64: 'ppc64' },
  0x16: { b32: 's390x', b64: 's390x' },
  0xf3: { b32: 'riscv64', b64: 'riscv64' },
};

const PE_MACHINES: Record<number, CpuArch> = { 0x14c: 'i386', 0x8664: 'x86_64', 0xaa64: 'aarch64', 0x1c4: 'arm' };
const MACHO_CPUS: Record<number, CpuArch> = { 7: 'i386', 0x01000007: 'x86_64', 12: 'arm', 0x0100000c: 'aarch64' };

/** Reads the first bytes of an executable (64 are enough for ELF, PE needs the header at e_lfanew). */
export function binaryFacts(head: Buffer): BinaryFacts | undefined {
  if (head.length >= 20 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') {
    const is64 = head[4] === 2;
    const little = head[5] !== 2;
    const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
    const m = ELF_MACHINES[machine];
    let arch: CpuArch = m ? (is64 ? m.b64 : m.b32) : 'unknown';
    if (arch === 'ppc64' && little) arch = 'ppc64le';
    if (arch === 'ppc64' && !is64) arch = 'unknown'; // 32-bit PowerPC: not a platform Java ships for
    return { os: 'linux', arch, format: 'ELF' };
  }
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) {
    let arch: CpuArch = 'unknown';
    if (head.length >= 0x40) {
      const pe = head.readUInt32LE(0x3c);
      if (pe + 6 <= head.length && head.toString('latin1', pe, pe + 4) === 'PE\u0000\u0000') {
        arch = PE_MACHINES[head.readUInt16LE(pe + 4)] ?? 'unknown';
      }
    }
    return { os: 'windows', arch, format: 'PE' };
  }
  if (head.length >= 8) {
    const magicLE = head.readUInt32LE(0);
    if (magicLE === 0xfeedfacf || magicLE === 0xfeedface) {
      return { os: 'macos', arch: MACHO_CPUS[head.readUInt32LE(4)] ?? 'unknown', format: 'Mach-O' };
    }
    if (head.readUInt32BE(0) === 0xcafebabe && head.readUInt32BE(4) < 20) {
      return { os: 'macos', arch: 'unknown', format: 'Mach-O' }; // universal binary
    }
  }
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return { os: 'linux', arch: 'unknown', format: 'script' };
  return undefined;
}

export interface NameFacts {
  version?: string;
  os?: JavaOs;
  arch?: CpuArch;
}

/**
 * Version, OS and CPU from vendor naming. Examples: jdk-17.0.9+9-jre, jre1.8.0_392, jdk8u392-b08-jre,
 * OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9.tar.gz, zulu17.46.19-ca-jre17.0.9-linux_x64,
 * amazon-corretto-17.0.9.8.1-linux-x64, microsoft-jdk-17.0.9-windows-x64.
 */
export function factsFromNames(names: string[]): NameFacts {
  const out: NameFacts = {};
  for (const raw of names) {
    const n = raw.replace(/\.(tar\.gz|tgz|tar\.xz|txz|tar|zip)$/i, '');
    if (!out.version) {
      const v = versionFromName(n);
      if (v) out.version = v;
    }
    const tokens = n.toLowerCase().split(/[-_.+\s/]+/);
    if (!out.os) {
      for (const t of tokens) {
        const os = t === 'mac' || t === 'macosx' || t === 'osx' || t === 'macos' || t === 'darwin' ? 'macos'
          : t === 'linux' || t === 'alpine' ? 'linux'
          : t === 'windows' || t === 'win' || t === 'win64' || t === 'win32' ? 'windows' : undefined;
        if (os) { out.os = os; break; }
      }
    }
    if (!out.arch) {
      // x86-32 and x86_64 span two tokens once split: look at the joined forms first.
      const lower = n.toLowerCase();
      if (/(^|[-_])(x86[-_]64|x64|amd64)($|[-_.])/.test(lower)) out.arch = 'x86_64';
      else if (/(^|[-_])(x86[-_]32|x86|i[3-6]86)($|[-_.])/.test(lower)) out.arch = 'i386';
      else {
        for (const t of tokens) {
          const a = normaliseArch(t);
          if (a !== 'unknown' && t !== 'x32') { out.arch = a; break; }
        }
      }
    }
  }
  return out;
}

function versionFromName(n: string): string | undefined {
  let m = /(?:^|[^0-9.])1\.(\d)\.0_(\d+)/.exec(n); // jre1.8.0_392
  if (m) return `1.${m[1]}.0_${m[2]}`;
  m = /jdk(\d+)u(\d+)/i.exec(n); // jdk8u392-b08
  if (m) return Number(m[1]) <= 8 ? `1.${m[1]}.0_${m[2]}` : `${m[1]}.0.${m[2]}`;
  m = /hotspot_(\d+)u(\d+)/i.exec(n); // OpenJDK8U-jre_x64_linux_hotspot_8u392b08
  if (m) return `1.${m[1]}.0_${m[2]}`;
  m = /hotspot_(\d+(?:\.\d+)*)(?:_\d+)?/i.exec(n); // OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9
  if (m) return m[1];
  m = /(?:jdk|jre)-?(\d+(?:\.\d+){0,3})/i.exec(n); // jdk-17.0.9+9-jre, zulu...-jre17.0.9
  if (m) return m[1];
  m = /(?:corretto|microsoft-jdk|temurin|openjdk)-(\d+(?:\.\d+){0,2})/i.exec(n);
  if (m) return m[1];
  m = /OpenJDK(\d+)U/i.exec(n); // OpenJDK17U-jre_x64_linux: the feature release only
  if (m) return m[1];
  return undefined;
}
