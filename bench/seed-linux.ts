// The seed's Linux procedure, as its authors ran it: one guestfish script run with inspection
// (`guestfish --rw -a IMAGE -i -f guestfish_script_linux`), unpacking both archives with `tgz-in`, copying
// the proactive-node init script and editing /etc/rc.local on the host with `!` shell lines.
//
// What differs from the seed text, and why:
// - the archive names and the JRE folder are ours (the same JRE and ProActive 3.3.2 node Guestprep is given,
//   the node re-packed as .tgz since the seed only uses `tgz-in`);
// - the host scratch files (/tmp/rc.local, /tmp/rc.local.new) live in a per-run folder, so that runs cannot
//   collide;
// - guestfish gets `--format=vdi` before `-a` (never probe the format) and the environment that selects the
//   same accelerator as Guestprep's own launches (TCG where nested KVM is broken), so the comparison is fair.
// The script's commands are otherwise the seed's, in the seed's order. Appliance launches: 1.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describeFailure, guestfishReadOnly, libguestfsEnv, runProcess } from './common';

export interface SeedLinuxInputs {
  /** The JRE .tar.gz (the seed's jdk-7u10-linux-i586.gz). */
  jreTgz: string;
  /** The folder the JRE archive unpacks to (the seed's jdk1.7.0_10). */
  jreTop: string;
  /** The ProActive node .tgz (the seed's ProActiveScheduling-3.3.2_bin.tgz). */
  proactiveTgz: string;
  /** The folder it unpacks to (ProActiveScheduling-3.3.2_bin). */
  proactiveTop: string;
  rmUrl: string;
}

export interface SeedRunResult {
  /** Wall clock of the seed's own commands (here: the guestfish process, host `!` lines included). */
  ms: number;
  /** Appliance launches the procedure makes. */
  launches: number;
  /** Per command, where the procedure has more than one. */
  parts: Array<{ name: string; ms: number }>;
}

/** Refuses names the seed script would pass unquoted to guestfish and to sh. */
function plainWord(s: string, what: string): string {
  if (!/^[A-Za-z0-9._+\/-]+$/.test(s)) throw new Error(`${what} must be a plain word for the seed script: ${s}`);
  return s;
}

/** The seed's guestfish_script_linux, with our names and the per-run scratch folder substituted. */
export function seedLinuxScript(o: { jreName: string; proactiveName: string; proactiveTop: string; scratch: string }): string {
  const pa = `/opt/tools/${plainWord(o.proactiveTop, 'the ProActive folder')}`;
  const s = plainWord(o.scratch, 'the scratch folder');
  return [
    'umask 000',
    'mkdir-p /opt/tools',
    `tgz-in ${plainWord(o.jreName, 'the JRE archive name')} /opt/tools/`,
    `tgz-in ${plainWord(o.proactiveName, 'the ProActive archive name')} /opt/tools/`,
    `mkdir-p ${pa}/.logs`,
    `chmod 0777 ${pa}/.logs`,
    'copy-in proactive-node /etc/init.d/',
    'cp /etc/rc.local /etc/rc.local.old',
    `download /etc/rc.local ${s}/rc.local`,
    `! head -n -1 ${s}/rc.local > ${s}/rc.local.new`,
    `! echo /etc/init.d/proactive-node start >> ${s}/rc.local.new`,
    `! echo exit 0 >> ${s}/rc.local.new`,
    `upload ${s}/rc.local.new /etc/rc.local`,
    'chmod 0775 /etc/init.d/proactive-node',
    'chown 0 0 /etc/init.d/proactive-node',
    'exit',
    '',
  ].join('\n');
}

/** The seed's proactive-node init script, verbatim but for the install paths, JAVA_HOME and the RM URL. */
export function seedInitScript(o: { jreTop: string; proactiveTop: string; rmUrl: string }): string {
  return `#!/bin/sh
# chkconfig: 98 02
# description: This is a daemon for automatically
# starting a proactive node
#
# processname: proactive-node
##
prefix=/usr
exec_prefix=/usr
sbindir=/usr/sbin
SCRIPT_BASE=/opt/tools/${o.proactiveTop}/bin/unix
SCRIPT_LOG_LOCATION=/opt/tools/${o.proactiveTop}/.logs/
START_UP_LOG=\${SCRIPT_LOG_LOCATION}/startup
SHUT_DOWN_LOG=\${SCRIPT_LOG_LOCATION}/shutdown
# Sanity checks.
# so we can rearrange this easily
RETVAL=0
start() {
echo "Starting my service "
echo " log location is:" \${START_UP_LOG}
export JAVA_HOME=/opt/tools/${o.jreTop}
nohup \${SCRIPT_BASE}/rm-start-node -r ${o.rmUrl} >> \${START_UP_LOG} &
echo "Done starting my service! "
}
stop() {
echo "Stopping my service "
echo " log location is:" \${SHUT_DOWN_LOG}
killall -s 9 java>>\${SHUT_DOWN_LOG}
echo "Done stopping my service! "
}
# See how we were called.
case "$1" in
start)
start
;;
stop)
stop
;;
status)
status $pidfile $processname
RETVAL=$?
;;
restart)
stop
start
;;
condrestart)
if [ -f /var/lock/subsys/$servicename ]; then
stop
start
fi
;;
*)
echo $"Usage: $0 {start|stop|status|restart|condrestart}"
;;
esac
exit $RETVAL
`;
}

/**
 * Runs the seed's Linux procedure on `image` (a VDI, changed in place). The script, the init script and
 * links to the archives are laid out in a per-run folder first, outside the timed part (the seed has them
 * ready as files); the timed part is the guestfish process, which includes the seed's host-side `!` lines.
 * Throws when guestfish fails.
 */
export async function runSeedLinux(image: string, inputs: SeedLinuxInputs): Promise<SeedRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'guestprep-seed-linux-'));
  try {
    const jreName = basename(inputs.jreTgz);
    const proactiveName = basename(inputs.proactiveTgz);
    symlinkSync(inputs.jreTgz, join(dir, jreName));
    symlinkSync(inputs.proactiveTgz, join(dir, proactiveName));
    writeFileSync(join(dir, 'proactive-node'), seedInitScript(inputs));
    writeFileSync(join(dir, 'guestfish_script_linux'), seedLinuxScript({ jreName, proactiveName, proactiveTop: inputs.proactiveTop, scratch: dir }));
    const r = await runProcess('guestfish', ['--rw', '--format=vdi', '-a', image, '-i', '-f', 'guestfish_script_linux'], {
      cwd: dir,
      env: libguestfsEnv().env,
    });
    if (r.code !== 0) throw describeFailure('the seed Linux procedure (guestfish)', r);
    return { ms: r.ms, launches: 1, parts: [{ name: 'guestfish', ms: r.ms }] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads the image back (read-only guestfish, not timed) and throws unless the seed procedure left what it
 * should: both archives unpacked in full, the logs folder, the init script, and rc.local ending with the
 * start line then `exit 0`.
 */
export async function verifySeedLinux(image: string, inputs: SeedLinuxInputs & { jreFillerBytes: number }): Promise<void> {
  const pa = `/opt/tools/${inputs.proactiveTop}`;
  const out = await guestfishReadOnly(image, 'vdi', '/dev/sda1', [
    `is-file /opt/tools/${inputs.jreTop}/bin/java`,
    `is-file ${pa}/bin/unix/rm-start-node`,
    `is-dir ${pa}/.logs`,
    'is-file /etc/init.d/proactive-node',
    'is-file /etc/rc.local.old',
    `filesize /opt/tools/${inputs.jreTop}/lib/modules`,
    'cat /etc/rc.local',
  ]);
  const lines = out.split('\n');
  const problems: string[] = [];
  if (lines.slice(0, 5).join(',') !== 'true,true,true,true,true') problems.push(`missing files: ${lines.slice(0, 5).join(',')}`);
  if (Number(lines[5]) !== inputs.jreFillerBytes) problems.push(`the JRE's lib/modules has ${lines[5]} bytes, not ${inputs.jreFillerBytes}`);
  const rcLocal = lines.slice(6).join('\n');
  if (!rcLocal.trimEnd().endsWith('/etc/init.d/proactive-node start\nexit 0')) problems.push(`/etc/rc.local does not end with the start line:\n${rcLocal}`);
  if (problems.length) throw new Error(`the seed Linux procedure did not do its job on ${image}: ${problems.join('; ')}`);
}
