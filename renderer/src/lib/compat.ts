// Does a Java runtime fit the guest? Mirrors the engine's checkJreForGuest (which the renderer cannot
// import: it lives with Node code) so the Java and ProActive steps can refuse a wrong build before a run.

export interface Compat {
  /** A mismatch that makes the node fail to start: the step is not valid. */
  error?: { message: string; fix: string };
  warnings: string[];
}

const OS_LABEL: Record<string, string> = { linux: 'Linux', windows: 'Windows', macos: 'macOS' };

function normaliseArch(a: string): string {
  const s = a.toLowerCase();
  if (s === 'amd64' || s === 'x64' || s === 'x86_64') return 'x86_64';
  if (/^i[3-6]86$/.test(s) || s === 'x86') return 'i386';
  if (s === 'arm64' || s === 'aarch64') return 'aarch64';
  if (s.startsWith('arm')) return 'arm';
  return s || 'unknown';
}

export function checkJavaForGuest(jre: { os: string; arch: string }, guest: { osType: string; arch: string }, what = 'The Java runtime'): Compat {
  const warnings: string[] = [];
  const guestOs = guest.osType.toLowerCase();
  const guestArch = normaliseArch(guest.arch);
  const jreArch = normaliseArch(jre.arch);
  const guestLabel = OS_LABEL[guestOs] ?? guest.osType;
  if (jre.os === 'unknown') {
    warnings.push(`${what}: Guestprep could not tell which operating system it is built for; check that it is a ${guestLabel} build.`);
  } else if (OS_LABEL[guestOs] && jre.os !== guestOs) {
    return { warnings, error: { message: `${what} is built for ${OS_LABEL[jre.os] ?? jre.os}, but the guest runs ${guestLabel}.`, fix: `Pick the ${guestLabel} build of the Java runtime.` } };
  }
  if (jreArch === 'unknown' || guestArch === 'unknown') {
    warnings.push(`${what}: Guestprep could not tell which CPU it is built for. If it does not match the guest (${guest.arch}), the node will not start.`);
  } else if (jreArch !== guestArch) {
    if (jreArch === 'i386' && guestArch === 'x86_64') {
      warnings.push(`${what} is a 32-bit (i386) build and the guest is 64-bit: it runs only if the guest has the 32-bit libraries. A 64-bit Java runtime avoids this.`);
    } else if (jreArch === 'arm' && guestArch === 'aarch64') {
      warnings.push(`${what} is a 32-bit ARM build and the guest is aarch64: it runs only if the guest supports 32-bit ARM programs.`);
    } else {
      return { warnings, error: { message: `${what} is built for ${jreArch} CPUs, but the guest is ${guestArch}.`, fix: `Pick the ${guestArch} build of the Java runtime.` } };
    }
  }
  return { warnings };
}

const START_SCRIPTS: Record<string, Record<'linux' | 'windows', string>> = {
  modern: { linux: 'bin/proactive-node', windows: 'bin\\proactive-node.bat' },
  legacy: { linux: 'bin/unix/rm-start-node', windows: 'bin\\windows\\rm-start-node.bat' },
};

/**
 * Can the node distribution start in the guest? Node archives are made per OS, so it must carry the start
 * script of the guest's OS. Mirrors the engine's checkProactiveForGuest (same message and fix).
 */
export function checkProactiveForGuest(
  pa: { archivePath: string; generation: 'modern' | 'legacy'; version: string; startScript?: string; windowsStartScript?: string },
  guest: { osType: string; arch: string },
): Compat {
  const os = guest.osType.toLowerCase();
  if (os !== 'linux' && os !== 'windows') return { warnings: [] };
  if (os === 'windows' ? pa.windowsStartScript : pa.startScript) return { warnings: [] };
  const other = os === 'windows' ? 'linux' : 'windows';
  const names = START_SCRIPTS[pa.generation]!;
  const name = pa.archivePath.slice(Math.max(pa.archivePath.lastIndexOf('/'), pa.archivePath.lastIndexOf('\\')) + 1);
  const cpu = normaliseArch(guest.arch);
  const arch = cpu === 'i386' ? 'x86' : cpu === 'x86_64' || cpu === 'unknown' ? 'x64' : cpu;
  const version = pa.version !== 'unknown' ? pa.version : '13.0.0';
  return {
    warnings: [],
    error: {
      message: `${name} is the ProActive node distribution for ${OS_LABEL[other]}: it has ${names[other]} but not ${names[os]}, ` +
        `the start script the node needs in this ${OS_LABEL[os]} guest.`,
      fix: pa.generation === 'modern'
        ? `Pick the ${OS_LABEL[os]} node distribution (e.g. activeeon_enterprise-node-${os}-${arch}-${version}.zip), which has ${names[os]}.`
        : `Pick a 3.x distribution that has ${names[os]} (e.g. ProActiveScheduling-${version}_bin.tar.gz, which has both start scripts).`,
    },
  };
}
