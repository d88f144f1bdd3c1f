// Which Java the node will run with, and whether it can run in this guest at all.
// 6.2+ start scripts use <node>/jre when the distribution bundles one, else $JAVA_HOME; 3.x scripts always
// use $JAVA_HOME. So a modern archive with a bundled JRE needs no --jre, and with one the bundled JRE
// still wins.

import { fail } from '../errors';
import type { CpuArch, JavaOs, JreInfo, ProactiveInfo } from '../types';

/** libguestfs and JRE release files spell architectures differently. */
export function normaliseArch(arch: string): CpuArch {
  const a = arch.trim().toLowerCase();
  if (a === 'x86_64' || a === 'amd64' || a === 'x64') return 'x86_64';
  if (/^i[3-6]86$/.test(a) || a === 'x86' || a === 'ia32') return 'i386';
  if (a === 'aarch64' || a === 'arm64') return 'aarch64';
  if (a === 'arm' || a.startsWith('armv') || a === 'armhf' || a === 'aarch32') return 'arm';
  if (a === 'ppc64le' || a === 'ppc64el') return 'ppc64le';
  if (a === 's390x') return 's390x';
  return 'unknown';
}

export interface JavaChoice {
  /** The Java the node will actually run. */
  used: 'jre' | 'bundled';
  major: number;
  version: string;
  warnings: string[];
}

const OS_NAME: Record<GuestOs, string> = { linux: 'Linux', windows: 'Windows' };

function checkRuntime(what: string, os: JavaOs, arch: CpuArch, guestArch: string, fixArch: string, guestOs: GuestOs): string[] {
  const warnings: string[] = [];
  if (os !== guestOs && os !== 'unknown') {
    fail('JRE_WRONG_OS', `${what} is for ${os}, but the guest runs ${OS_NAME[guestOs]}`, `Use a ${OS_NAME[guestOs]} build (e.g. an OpenJDK JRE archive for ${guestOs}).`);
  }
  if (os === 'unknown') warnings.push(`could not tell which OS ${what} is built for; make sure it is a ${OS_NAME[guestOs]} build`);
  const want = normaliseArch(guestArch);
  const have = normaliseArch(arch);
  if (guestOs === 'windows' && have === 'i386' && want === 'x86_64') {
    // 64-bit Windows runs 32-bit programs (WOW64); only the heap is limited.
    warnings.push(`${what} is a 32-bit build on 64-bit Windows: it runs (WOW64) but with at most about 1.5 GB of heap; a 64-bit (x64) JRE avoids this`);
  } else if (want !== 'unknown' && have !== 'unknown' && want !== have) {
    fail('JRE_WRONG_ARCH', `${what} is built for ${have}, but the guest is ${want}`, fixArch.replace('ARCH', want));
  } else if (want === 'unknown' || have === 'unknown') {
    warnings.push(`could not compare the CPU architecture of ${what} (${arch}) with the guest's (${guestArch})`);
  }
  return warnings;
}

export type GuestOs = 'linux' | 'windows';

export function chooseJava(guestArch: string, proactive: ProactiveInfo, jre: JreInfo | undefined, guestOs: GuestOs = 'linux'): JavaChoice {
  const bundled = proactive.generation === 'modern' ? proactive.bundledJre : undefined;
  if (!jre && !bundled) {
    fail('SETTING_INVALID',
      proactive.generation === 'legacy'
        ? 'no Java runtime: 3.x nodes need one and their archive never bundles it'
        : 'no Java runtime: the ProActive archive does not bundle one',
      `Give a ${OS_NAME[guestOs]} JRE archive with --jre ARCHIVE.`);
  }
  const warnings: string[] = [];
  if (jre) warnings.push(...checkRuntime(`the JRE ${jre.version}`, jre.os, jre.arch, guestArch, `Use a JRE archive for ${guestOs} ARCH with --jre.`, guestOs));
  if (bundled) {
    warnings.push(...checkRuntime(`the JRE bundled in the ProActive archive (${bundled.version})`, bundled.os, bundled.arch, guestArch,
      `Use the ProActive node archive for ${guestOs} ARCH.`, guestOs));
    if (jre) {
      warnings.push(`the ProActive archive bundles Java ${bundled.version}, which its start script prefers: the JRE given with --jre (${jre.version}) is installed as JAVA_HOME but the node will not use it`);
    }
    return { used: 'bundled', major: bundled.major, version: bundled.version, warnings };
  }
  const j = jre as JreInfo;
  if (proactive.generation === 'legacy' && j.major > 8) {
    warnings.push(`3.x nodes were built for Java 6 to 8; Java ${j.version} may fail to run them (use a Java 8 JRE if the node does not start)`);
  }
  return { used: 'jre', major: j.major, version: j.version, warnings };
}
