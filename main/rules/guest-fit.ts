// Does an archive fit the guest? The Java runtime must be built for the guest's OS and CPU, and the node
// distribution must carry the start script of the guest's OS (node archives are made per OS). One rule for
// the engine (archive/detect.ts and settings/runtime.ts turn a misfit into JRE_WRONG_OS, JRE_WRONG_ARCH or
// PROACTIVE_NOT_FOUND) and the page (the Java and ProActive steps refuse a misfit before any run).

import type { ErrorCode } from '../engine/errors';
import type { CpuArch, JavaOs } from '../engine/types';
import type { Problem } from './verdict';

/** x86_64 / i386 / aarch64 / arm / ppc64le / ppc64 / s390x / riscv64, or 'unknown' (libguestfs, JRE release files and vendors spell them differently). */
export function normaliseArch(raw: string | undefined): CpuArch {
  const a = (raw ?? '').trim().toLowerCase();
  if (['amd64', 'x86_64', 'x86-64', 'x64', 'em64t'].includes(a)) return 'x86_64';
  if (['i386', 'i486', 'i586', 'i686', 'x86', 'x86-32', 'x32', 'ia32'].includes(a)) return 'i386';
  if (['aarch64', 'arm64', 'armv8'].includes(a)) return 'aarch64';
  if (['arm', 'arm32', 'armhf', 'armel', 'armv7', 'armv7l', 'armv6', 'aarch32'].includes(a)) return 'arm';
  if (['ppc64le', 'ppc64el', 'powerpc64le'].includes(a)) return 'ppc64le';
  if (['ppc64', 'powerpc64'].includes(a)) return 'ppc64';
  if (['s390x', 's390'].includes(a)) return 's390x';
  if (['riscv64', 'riscv'].includes(a)) return 'riscv64';
  return 'unknown';
}

export function normaliseOs(raw: string | undefined): JavaOs {
  const o = (raw ?? '').trim().toLowerCase();
  if (o === 'linux' || o === 'alpine-linux' || o === 'alpine') return 'linux';
  if (o.startsWith('windows') || o === 'win' || o === 'win32' || o === 'win64') return 'windows';
  if (o === 'darwin' || o === 'mac' || o === 'macos' || o === 'macosx' || o === 'mac os x' || o === 'osx') return 'macos';
  return 'unknown';
}

/** A misfit, with the error code the engine reports it under. */
export interface FitProblem extends Problem {
  code: Extract<ErrorCode, 'JRE_WRONG_OS' | 'JRE_WRONG_ARCH' | 'PROACTIVE_NOT_FOUND'>;
}

/** Warnings for what may work or could not be told; a problem when it cannot work. */
export interface Fit {
  warnings: string[];
  problem?: FitProblem;
}

export interface GuestKind {
  osType: string;
  arch: string;
}

const ARCH_DOWNLOAD_NAME: Record<string, string> = { x86_64: 'x64', i386: 'x86-32', aarch64: 'aarch64', arm: 'arm', ppc64le: 'ppc64le', s390x: 's390x' };
const OS_LABEL: Record<JavaOs, string> = { linux: 'Linux', windows: 'Windows', macos: 'macOS', unknown: 'an unknown OS' };

/** Whether a runtime (a JRE archive, or the one bundled in a ProActive archive) can run in the guest. */
export function javaFit(jre: { os: JavaOs; arch: CpuArch; major?: number }, guest: GuestKind, what = 'The Java runtime'): Fit {
  const warnings: string[] = [];
  const guestOs = normaliseOs(guest.osType);
  const guestArch = normaliseArch(guest.arch);
  const jreArch = normaliseArch(jre.arch);
  const guestOsLabel = guestOs === 'unknown' ? guest.osType : OS_LABEL[guestOs];
  const archName = ARCH_DOWNLOAD_NAME[guestArch] ?? guestArch;
  const osName = guestOs === 'unknown' ? 'linux' : guestOs;
  const feature = jre.major && jre.major > 0 ? jre.major : 17;
  const suggestion = `e.g. OpenJDK${feature}U-jre_${archName}_${osName}_hotspot_….tar.gz from adoptium.net`;

  if (jre.os === 'unknown') {
    warnings.push(`${what}: Guestprep could not tell which operating system it is built for; check that it is a ${guestOsLabel} build.`);
  } else if (guestOs !== 'unknown' && jre.os !== guestOs) {
    return { warnings, problem: { code: 'JRE_WRONG_OS', message: `${what} is built for ${OS_LABEL[jre.os]}, but the guest runs ${guestOsLabel}.`, fix: `Pick the ${guestOsLabel} build of the Java runtime (${suggestion}).` } };
  }

  if (jreArch === 'unknown' || guestArch === 'unknown') {
    warnings.push(`${what}: Guestprep could not tell which CPU it is built for${guestArch === 'unknown' ? '' : `; the guest is ${guestArch}`}. ` +
      'If it does not match, the node will not start.');
  } else if (jreArch !== guestArch) {
    if (jreArch === 'i386' && guestArch === 'x86_64' && guestOs === 'windows') {
      warnings.push(`${what} is a 32-bit (x86) build and the guest is 64-bit Windows: it runs (WOW64), with a smaller heap. A 64-bit (x64) Java runtime avoids this.`);
    } else if (jreArch === 'i386' && guestArch === 'x86_64') {
      warnings.push(`${what} is a 32-bit (i386) build and the guest is 64-bit (x86_64): it runs only if the guest has the ` +
        '32-bit libraries (libc6:i386 on Debian/Ubuntu, glibc.i686 on RHEL). A 64-bit (x64) Java runtime avoids this.');
    } else if (jreArch === 'arm' && guestArch === 'aarch64') {
      warnings.push(`${what} is a 32-bit ARM build and the guest is 64-bit ARM (aarch64): it runs only if the CPU and the ` +
        'guest support 32-bit ARM programs (libc6:armhf). An aarch64 Java runtime avoids this.');
    } else {
      return { warnings, problem: { code: 'JRE_WRONG_ARCH', message: `${what} is built for ${jreArch} CPUs, but the guest is ${guestArch}.`, fix: `Pick the ${guestArch} build of the Java runtime (${suggestion}).` } };
    }
  }
  return { warnings };
}

/** The start scripts of each generation, as the guest's OS spells them (for messages). */
const START_SCRIPTS = {
  modern: { linux: 'bin/proactive-node', windows: 'bin\\proactive-node.bat' },
  legacy: { linux: 'bin/unix/rm-start-node', windows: 'bin\\windows\\rm-start-node.bat' },
} as const;

export interface NodeDistribution {
  archivePath: string;
  generation: 'modern' | 'legacy';
  version: string;
  startScript?: string;
  windowsStartScript?: string;
}

/**
 * The distribution's start script for a guest OS (relative to its home, '/'-separated), or the problem
 * naming the archive and the missing script, with the download that has it, when the archive is the
 * distribution of the other OS.
 */
export function startScriptFit(pa: NodeDistribution, guestOs: 'linux' | 'windows', guestArch = 'x86_64'): { script: string } | { problem: FitProblem } {
  const script = guestOs === 'windows' ? pa.windowsStartScript : pa.startScript;
  if (script) return { script };
  const name = pa.archivePath.slice(Math.max(pa.archivePath.lastIndexOf('/'), pa.archivePath.lastIndexOf('\\')) + 1);
  const label = OS_LABEL[guestOs];
  const otherLabel = OS_LABEL[guestOs === 'windows' ? 'linux' : 'windows'];
  const names = START_SCRIPTS[pa.generation];
  const has = guestOs === 'windows' ? names.linux : names.windows;
  const cpu = normaliseArch(guestArch);
  const arch = cpu === 'i386' ? 'x86' : cpu === 'unknown' ? 'x64' : (ARCH_DOWNLOAD_NAME[cpu] ?? cpu);
  const version = pa.version !== 'unknown' ? pa.version : '13.0.0';
  return {
    problem: {
      code: 'PROACTIVE_NOT_FOUND',
      message: `${name} is the ProActive node distribution for ${otherLabel}: it has ${has} but not ${names[guestOs]}, ` +
        `the start script the node needs in this ${label} guest.`,
      fix: pa.generation === 'modern'
        ? `Pick the ${label} node distribution (e.g. activeeon_enterprise-node-${guestOs}-${arch}-${version}.zip), which has ${names[guestOs]}.`
        : `Pick a 3.x distribution that has ${names[guestOs]} (e.g. ProActiveScheduling-${version}_bin.tar.gz, which has both start scripts).`,
    },
  };
}

/** Whether the node distribution can start in the guest. Guests of another OS are refused elsewhere, so they pass here. */
export function proactiveFit(pa: NodeDistribution, guest: GuestKind): Fit {
  const os = normaliseOs(guest.osType);
  if (os !== 'linux' && os !== 'windows') return { warnings: [] };
  const r = startScriptFit(pa, os, guest.arch);
  return 'problem' in r ? { warnings: [], problem: r.problem } : { warnings: [] };
}

/**
 * Every archive against the guest, in the order the user gave them: the Java runtime, then the node
 * distribution (its start script, and its bundled runtime). The first misfit, and the warnings.
 */
export function archivesFit(
  a: { jre?: { os: JavaOs; arch: CpuArch; major?: number }; proactive: NodeDistribution & { bundledJre?: { os: JavaOs; arch: CpuArch; major?: number } } },
  guest: GuestKind,
): Fit {
  const warnings: string[] = [];
  const steps = [
    () => (a.jre ? javaFit(a.jre, guest) : { warnings: [] }),
    () => proactiveFit(a.proactive, guest),
    () => (a.proactive.bundledJre ? javaFit(a.proactive.bundledJre, guest, 'The JRE bundled with ProActive') : { warnings: [] }),
  ];
  for (const step of steps) {
    const f: Fit = step();
    warnings.push(...f.warnings);
    if (f.problem) return { warnings, problem: f.problem };
  }
  return { warnings };
}
