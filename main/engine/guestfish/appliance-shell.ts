// A shell script run inside the appliance, for the one job no guestfish command does well: writing large
// files into NTFS with direct I/O (run/direct-copy.ts says why).
//
// libguestfs runs it through `debug sh`, which passes its words to /bin/sh -c. That command is internal to
// libguestfs (guestfs(3): not part of the stable API, and a build may leave it out with
// --disable-debug-command), so every session asks once whether it works (hasApplianceShell) and the
// caller falls back to plain guestfish commands when it does not.
//
// guestfish splits the argument of `debug sh` into words at blanks and strips double quotes before the
// daemon joins the words again with single spaces, so a script cannot be passed as written. It is passed
// as base64 instead ([A-Za-z0-9+/=] only, one word) and decoded in the appliance:
//
//   debug sh "echo BASE64 | base64 -d | sh"
//
// Nothing of the script is parsed by guestfish, and the script quotes its own values for sh (quote/sh.ts).

import { GF_MAX_LINE } from '../quote/guestfish';
import type { GfCommand } from '../types';
import type { GuestfishSession } from './session';

/** The guestfish command that runs `script` with the appliance's /bin/sh. */
export function applianceShellCommand(script: string): GfCommand {
  return { argv: ['debug', 'sh', `echo ${Buffer.from(script, 'utf8').toString('base64')} | base64 -d | sh`] };
}

/**
 * Whether a script fits on one guestfish line ("debug sh", the quotes and the marker guestfish is sent with
 * it leave room to spare). A longer one would be split by guestfish's line reader.
 */
export function fitsOneLine(script: string): boolean {
  return applianceShellCommand(script).argv.join(' ').length + 16 <= GF_MAX_LINE;
}

const PROBE_ANSWER = 'guestprep-appliance-shell';
const probes = new WeakMap<GuestfishSession, Promise<boolean>>();

/**
 * Whether this appliance runs shell scripts (`debug sh` is built in, and base64 and sh are there). Asked
 * once per session: a few milliseconds. A failing probe never ends the session.
 */
export function hasApplianceShell(s: GuestfishSession): Promise<boolean> {
  let p = probes.get(s);
  if (!p) {
    const [name, ...args] = applianceShellCommand(`echo ${PROBE_ANSWER}`).argv as string[];
    p = s.exec([name, ...args], { tolerate: true }).then(
      (r) => r.ok && r.output.split('\n').some((l) => l.trim() === PROBE_ANSWER),
      () => false,
    );
    probes.set(s, p);
  }
  return p;
}
