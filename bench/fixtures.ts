// The benchmarks' inputs, built once per benchmark process: about 100 MB of archives (a 45 MB JRE .tar.gz and
// a 55 MB ProActive 3.3.2 node .zip of incompressible filler, plus a .tgz of that same node for the seed
// procedures, which only know `tgz-in`), a Linux sample guest and a phony Windows 7 guest, both as VDI.
//
// ProActive 3.3.2 and Java 8 are used because they are what the seed procedure installs (its init script
// runs bin/unix/rm-start-node with JAVA_HOME set): the seed's paths then need no other substitution than
// the JRE's folder name.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSampleGuest } from '../main/sample/sample-guest';
import { buildSampleWindows, WINDOWS_VARIANTS } from '../main/sample/sample-windows';
import { makeSampleJre, makeSampleProactive } from '../main/sample/archives';
import { describeFailure, MB, runProcess } from './common';

/**
 * BENCH_LAYOUT=spread: the same 45 + 55 MB, but with part of it spread over many files as real archives hold
 * their bytes (spreadFiller: 20 of the JRE's 45 MB, 40 of the node's 55 MB; a few hundred files in all),
 * instead of one large file per archive.
 */
export const SPREAD = process.env.BENCH_LAYOUT === 'spread';
const JRE_SPREAD_BYTES = SPREAD ? 20 * MB : 0;
const PROACTIVE_SPREAD_BYTES = SPREAD ? 40 * MB : 0;
/** Bytes of the JRE's lib/modules (what the seed runs are checked against). */
export const JRE_FILLER_BYTES = 45 * MB - JRE_SPREAD_BYTES;
export const PROACTIVE_FILLER_BYTES = 55 * MB - PROACTIVE_SPREAD_BYTES;
export const RM_URL = 'rmi://node0.entreprise.com:1099';

export interface BenchArchives {
  /** Linux x86_64 Java 8 JRE, .tar.gz; unpacks to `linuxJreTop`. */
  linuxJre: string;
  linuxJreTop: string;
  /** Windows i386 Java 8 JRE, .tar.gz (the seed's Windows procedure uses `tgz-in` too). */
  windowsJre: string;
  windowsJreTop: string;
  /** ProActive 3.3.2 node, .zip: what Guestprep is given. */
  proactiveZip: string;
  /** The same node, converted to .tgz for the seed procedures. */
  proactiveTgz: string;
  proactiveTop: string;
}

const JAVA_VERSION = '1.8.0_392';
/** The folder makeSampleJre puts a Java 8 JRE in. */
const JAVA8_TOP = 'jdk8u392-b08-jre';
const PROACTIVE_TOP = 'ProActiveScheduling-3.3.2_bin';

/** Re-packs a zip as a .tgz with the host's unzip and tar (the way the seed's user would make one). */
export async function zipToTgz(zip: string, outTgz: string, workDir: string): Promise<void> {
  const tmp = mkdtempSync(join(workDir, 'unzip-'));
  try {
    const u = await runProcess('unzip', ['-q', zip, '-d', tmp]);
    if (u.code !== 0) throw describeFailure('unzip', u);
    // The top folders by name, not '.': a './' entry would reset the mode of the folder it is unpacked into.
    const t = await runProcess('tar', ['-C', tmp, '--owner=0', '--group=0', '--numeric-owner', '-czf', outTgz, ...readdirSync(tmp).sort()]);
    if (t.code !== 0) throw describeFailure('tar -czf', t);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function makeBenchArchives(dir: string): Promise<BenchArchives> {
  const [linuxJre, windowsJre, proactiveZip] = await Promise.all([
    makeSampleJre(dir, { version: JAVA_VERSION, os: 'linux', arch: 'x86_64', kind: 'tar.gz', fillerBytes: JRE_FILLER_BYTES, spreadBytes: JRE_SPREAD_BYTES }),
    makeSampleJre(dir, { version: JAVA_VERSION, os: 'windows', arch: 'i386', kind: 'tar.gz', fillerBytes: JRE_FILLER_BYTES, spreadBytes: JRE_SPREAD_BYTES }),
    makeSampleProactive(dir, { generation: 'legacy', version: '3.3.2', kind: 'zip', fillerBytes: PROACTIVE_FILLER_BYTES, spreadBytes: PROACTIVE_SPREAD_BYTES }),
  ]);
  const proactiveTgz = join(dir, `${PROACTIVE_TOP}.tgz`);
  await zipToTgz(proactiveZip, proactiveTgz, dir);
  return { linuxJre, linuxJreTop: JAVA8_TOP, windowsJre, windowsJreTop: JAVA8_TOP, proactiveZip, proactiveTgz, proactiveTop: PROACTIVE_TOP };
}

export function archiveBytes(...paths: string[]): number {
  return paths.reduce((n, p) => n + statSync(p).size, 0);
}

/**
 * /etc/rc.local as Ubuntu 12.10 (the seed's guest) ships it: the seed's procedure drops its last line and
 * appends its own, so the file must end with `exit 0`.
 */
export const UBUNTU_RC_LOCAL = `#!/bin/sh -e
#
# rc.local
#
# This script is executed at the end of each multiuser runlevel.
# Make sure that the script will "exit 0" on success or any other
# value on error.
#
# In order to enable or disable this script just change the execution
# bits.
#
# By default this script does nothing.

exit 0
`;

/** The Linux fixture: the systemd sample guest (400 MB VDI) with an Ubuntu-style /etc/rc.local. */
export function buildLinuxFixture(dir: string): Promise<string> {
  return buildSampleGuest(dir, {
    flavour: 'systemd',
    hostname: 'bench-node',
    format: 'vdi',
    sizeMb: 400,
    extraFiles: { '/etc/rc.local': { content: UBUNTU_RC_LOCAL, mode: 0o755 } },
  });
}

export const WINDOWS_VARIANT = 'win7-x86' as const;
export const WINDOWS_CONTROL_SET = WINDOWS_VARIANTS[WINDOWS_VARIANT].currentControlSet;

/** The Windows fixture: the phony Windows 7 32-bit guest (the seed's Windows guest), 400 MB VDI. */
export function buildWindowsFixture(dir: string): Promise<string> {
  return buildSampleWindows(dir, { variant: WINDOWS_VARIANT, format: 'vdi', sizeMb: 400 });
}
