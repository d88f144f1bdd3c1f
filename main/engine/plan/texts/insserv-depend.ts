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

/** Whether addInsservTarget(text, name) adds a newline before the target (the text does not end with one). */
export function insservNeedsNewline(text: string): boolean {
  return text !== '' && !text.endsWith('\n');
}

/**
 * Undoes addInsservTarget. When the text still ends with exactly what was added (`name:` on its own last
 * line, after the newline added if `newlineAdded`), that is cut off: the earlier text, byte for byte.
 * Otherwise (insserv rewrote the file since, e.g. a package was installed after the first boot) the service
 * is taken out wherever insserv puts one: its word in TARGETS, its own rule, and its word in other rules'
 * dependencies. The rest is kept as it is.
 */
export function removeInsservTarget(text: string, name: string, newlineAdded = false): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`unexpected service name ${JSON.stringify(name)}`);
  const tail = `${name}:\n`;
  if (text.endsWith(tail)) {
    const before = text.slice(0, text.length - tail.length);
    if (before === '' || before.endsWith('\n')) {
      const rest = newlineAdded && before.endsWith('\n') ? before.slice(0, -1) : before;
      if (!mentions(rest, name)) return rest;
    }
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const targets = /^(\s*TARGETS\s*=)(.*)$/.exec(line);
    if (targets) {
      const words = targets[2].trim().split(/\s+/).filter((w) => w !== '' && w !== name);
      out.push(`${targets[1]}${words.length ? ' ' + words.join(' ') : ''}`);
      continue;
    }
    const rule = /^(\s*)([^\s:#=]+)(\s*:)(.*)$/.exec(line);
    if (rule) {
      if (rule[2] === name) continue;
      const deps = rule[4].trim().split(/\s+/).filter((w) => w !== '' && w !== name);
      out.push(`${rule[1]}${rule[2]}${rule[3]}${deps.length ? ' ' + deps.join(' ') : ''}`);
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** Does the makefile name the service anywhere (target, rule or dependency)? */
export function mentions(text: string, name: string): boolean {
  return text.split('\n').some((l) => {
    const targets = /^\s*TARGETS\s*=(.*)$/.exec(l);
    if (targets) return targets[1].trim().split(/\s+/).includes(name);
    const rule = /^\s*([^\s:#=]+)\s*:(.*)$/.exec(l);
    return rule !== null && (rule[1] === name || rule[2].trim().split(/\s+/).includes(name));
  });
}
