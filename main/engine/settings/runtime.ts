// Which Java the node will run with, and whether it can run in this guest at all.
// 6.2+ start scripts use <node>/jre when the distribution bundles one, else $JAVA_HOME; 3.x scripts always
// use $JAVA_HOME. So a modern archive with a bundled JRE needs no --jre, and with one the bundled JRE
// still wins.

import { fail } from '../errors';
import { javaFit, normaliseArch } from '../../rules/guest-fit';
import type { CpuArch, JavaOs, JreInfo, ProactiveInfo } from '../types';

// CPU spellings and the Java-vs-guest rule are shared with the page (rules/guest-fit.ts).
export { normaliseArch };

export interface JavaChoice {
  /** The Java the node will actually run. */
  used: 'jre' | 'bundled';
  major: number;
  version: string;
  warnings: string[];
}

const OS_NAME: Record<GuestOs, string> = { linux: 'Linux', windows: 'Windows' };

/** The rule's warnings, or its misfit as JRE_WRONG_OS / JRE_WRONG_ARCH. */
function checkRuntime(what: string, runtime: { os: JavaOs; arch: CpuArch; major?: number }, guestArch: string, guestOs: GuestOs): string[] {
  const f = javaFit(runtime, { osType: guestOs, arch: guestArch }, what);
  if (f.problem) return fail(f.problem.code, f.problem.message, f.problem.fix);
  return f.warnings;
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
  if (jre) warnings.push(...checkRuntime(`The JRE ${jre.version}`, jre, guestArch, guestOs));
  if (bundled) {
    warnings.push(...checkRuntime(`The JRE bundled in the ProActive archive (${bundled.version})`, bundled, guestArch, guestOs));
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
