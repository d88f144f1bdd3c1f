// Debian's sysv-rc boots through startpar when insserv's /etc/init.d/.depend.{boot,start,stop} files
// exist ("CONCURRENCY=makefile" in /lib/init/rc). startpar then starts only the services those
// makefiles list, that have an S link in the runlevel: an rc link alone is silently ignored. So on such
// guests the init script is also added as a target, with no dependencies (by runlevel 2 the rcS
// services, network and local file systems included, have all run). The next `insserv` run (any
// package installing an init script) regenerates these files from the scripts' LSB headers, ours
// included, so the edit is consistent with what Debian's tools would have done.

/** Adds `name:` as a target unless the makefile already has it (in TARGETS or as a rule). Keeps the rest as is. */
export function addInsservTarget(text: string, name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`unexpected service name ${JSON.stringify(name)}`);
  const present = text.split('\n').some((l) => {
    const targets = /^\s*TARGETS\s*=(.*)$/.exec(l);
    if (targets) return targets[1].trim().split(/\s+/).includes(name);
    const m = /^\s*([^\s:#=]+)\s*:/.exec(l);
    return m !== null && m[1] === name;
  });
  if (present) return text;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}${name}:\n`;
}
