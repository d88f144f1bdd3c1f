// The seed's Windows procedure: a guestfish script run with inspection that unpacks the JRE and the ProActive
// node with `tgz-in` and uploads RHSrvAny and a start .bat, then `virt-win-reg --merge IMAGE service.reg`
// to register RHSrvAny as a service. Two programs, two appliance launches (virt-win-reg starts its own).
//
// What differs from the seed text, and why:
// - the archive names, the JRE folder (in the .bat's JAVA_HOME) are ours; the seed's archives were a
//   Windows JRE and ProActive 3.3.2 as .tgz, ours are the same JRE and node Guestprep is given (the node
//   re-packed as .tgz);
// - RHSrvAny itself is not redistributed with Guestprep: rhsrvany.exe here is Guestprep's own x86 service
//   wrapper under that name (a Windows executable of the same role and of similar size, about 30 KB);
// - the seed uploads start-node-with-jre.bat to ".../bin/windows", a folder, which guestfish refuses
//   ("Is a directory"); the file name is appended so the procedure can complete;
// - service.reg gets the blank line between its two keys that the printed seed lost (see seedServiceReg);
// - both programs get `--format=vdi` (never probe the format) and the environment that selects the same
//   accelerator as Guestprep's own launches, so the comparison is fair.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { wrapperPath } from '../main/engine/windows/wrapper';
import { describeFailure, guestfishReadOnly, libguestfsEnv, runProcess } from './common';
import type { SeedRunResult } from './seed-linux';

export interface SeedWindowsInputs {
  /** The Windows JRE .tar.gz (the seed's jre1.6.tgz). */
  jreTgz: string;
  jreTop: string;
  /** The ProActive node .tgz (ProActiveScheduling-3.3.2_bin.tgz). */
  proactiveTgz: string;
  proactiveTop: string;
  rmUrl: string;
}

function plainWord(s: string, what: string): string {
  if (!/^[A-Za-z0-9._+\/-]+$/.test(s)) throw new Error(`${what} must be a plain word for the seed script: ${s}`);
  return s;
}

/** The seed's guestfish_script_windows, with our archive names. */
export function seedWindowsScript(o: { jreName: string; proactiveName: string; proactiveTop: string }): string {
  return [
    'mkdir /tools',
    `tgz-in ${plainWord(o.jreName, 'the JRE archive name')} /tools/`,
    `tgz-in ${plainWord(o.proactiveName, 'the ProActive archive name')} /tools/`,
    'upload rhsrvany.exe /tools/rhsrvany.exe',
    `upload start-node-with-jre.bat /tools/${plainWord(o.proactiveTop, 'the ProActive folder')}/bin/windows/start-node-with-jre.bat`,
    'exit',
    '',
  ].join('\n');
}

/** The seed's start-node-with-jre.bat, with JAVA_HOME pointing at the JRE the script unpacked. */
export function seedStartBat(o: { jreTop: string; rmUrl: string }): string {
  return [`set JAVA_HOME=c:\\tools\\${o.jreTop}`, `rm-start-node.bat -r ${o.rmUrl}`, ''].join('\r\n');
}

/**
 * The seed's service.reg, verbatim but for the ProActive folder name and one blank line: as printed in the
 * seed, the second key follows the first key's values directly, which virt-win-reg refuses ("reg_import:
 * parse error: unexpected text found at line 8"); .reg files separate keys with a blank line.
 */
export function seedServiceReg(o: { proactiveTop: string }): string {
  const bin = `c:\\\\tools\\\\${o.proactiveTop}\\\\bin\\\\windows`;
  return [
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\RHSrvAny]',
    '"Type"=dword:00000010',
    '"Start"=dword:00000002',
    '"ErrorControl"=dword:00000001',
    '"ImagePath"="c:\\\\tools\\\\rhsrvany.exe"',
    '"DisplayName"="RHSrvAny"',
    '"ObjectName"="LocalSystem"',
    '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\RHSrvAny\\Parameters]',
    `"CommandLine"="${bin}\\\\start-node-with-jre.bat"`,
    `"PWD"="${bin}"`,
    '',
  ].join('\n');
}

/**
 * Runs the seed's Windows procedure on `image` (a VDI, changed in place): guestfish, then virt-win-reg. The
 * files are laid out in a per-run folder first, outside the timed part. Throws when either program fails.
 */
export async function runSeedWindows(image: string, inputs: SeedWindowsInputs): Promise<SeedRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-seed-windows-'));
  try {
    const jreName = basename(inputs.jreTgz);
    const proactiveName = basename(inputs.proactiveTgz);
    symlinkSync(inputs.jreTgz, join(dir, jreName));
    symlinkSync(inputs.proactiveTgz, join(dir, proactiveName));
    symlinkSync(wrapperPath('x86'), join(dir, 'rhsrvany.exe'));
    writeFileSync(join(dir, 'start-node-with-jre.bat'), seedStartBat(inputs));
    writeFileSync(join(dir, 'service.reg'), seedServiceReg(inputs));
    writeFileSync(join(dir, 'guestfish_script_windows'), seedWindowsScript({ jreName, proactiveName, proactiveTop: inputs.proactiveTop }));
    const env = libguestfsEnv().env;
    const gf = await runProcess('guestfish', ['--rw', '--format=vdi', '-a', image, '-i', '-f', 'guestfish_script_windows'], { cwd: dir, env });
    if (gf.code !== 0) throw describeFailure('the seed Windows procedure (guestfish)', gf);
    const reg = await runProcess('virt-win-reg', ['--merge', '--format=vdi', image, 'service.reg'], { cwd: dir, env });
    if (reg.code !== 0) throw describeFailure('the seed Windows procedure (virt-win-reg --merge)', reg);
    return { ms: gf.ms + reg.ms, launches: 2, parts: [{ name: 'guestfish', ms: gf.ms }, { name: 'virt-win-reg', ms: reg.ms }] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads the image back (read-only guestfish and hivexregedit on the downloaded SYSTEM hive, not timed) and
 * throws unless the files are there in full and the RHSrvAny service is in ControlSet001.
 */
export async function verifySeedWindows(image: string, inputs: SeedWindowsInputs & { jreFillerBytes: number }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-seed-windows-check-'));
  try {
    const hive = join(dir, 'SYSTEM');
    const pa = `/tools/${inputs.proactiveTop}`;
    const out = await guestfishReadOnly(image, 'vdi', '/dev/sda1', [
      `is-file /tools/${inputs.jreTop}/bin/java.exe`,
      `is-file ${pa}/bin/windows/rm-start-node.bat`,
      `is-file ${pa}/bin/windows/start-node-with-jre.bat`,
      'is-file /tools/rhsrvany.exe',
      `filesize /tools/${inputs.jreTop}/lib/modules`,
      `download /Windows/System32/config/SYSTEM "${hive}"`,
    ]);
    const lines = out.split('\n');
    const problems: string[] = [];
    if (lines.slice(0, 4).join(',') !== 'true,true,true,true') problems.push(`missing files: ${lines.slice(0, 4).join(',')}`);
    if (Number(lines[4]) !== inputs.jreFillerBytes) problems.push(`the JRE's lib/modules has ${lines[4]} bytes, not ${inputs.jreFillerBytes}`);
    const x = spawnSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hive, 'ControlSet001\\services\\RHSrvAny'], { encoding: 'utf8' });
    if (x.status !== 0 || !/"Start"=dword:00000002/.test(x.stdout) || !/\[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\RHSrvAny\\Parameters\]/i.test(x.stdout)) {
      problems.push(`the RHSrvAny service is not in ControlSet001: ${x.stderr || x.stdout}`);
    }
    if (readFileSync(hive).length === 0) problems.push('the SYSTEM hive is empty');
    if (problems.length) throw new Error(`the seed Windows procedure did not do its job on ${image}: ${problems.join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
