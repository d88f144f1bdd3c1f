// Which processes have a file open, from /proc/*/fd (Linux: the only host the engine runs on). Used just
// before a commit: qemu-img commit takes locks on the overlay and on every file of the image, and a
// process that still holds one of them (an appliance still shutting down, a VM, qemu-nbd) makes it fail
// half-way as a lock error. Waiting for it, or refusing before the commit starts, keeps the image whole.

import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

export interface Holder {
  pid: number;
  /** The process's name (/proc/PID/comm). */
  name: string;
  file: string;
}

/** Processes other than this one holding any of `files` open (compared by real path). */
export function holdersOf(files: readonly string[], procDir = '/proc'): Holder[] {
  const wanted = new Map<string, string>();
  for (const f of files) {
    try {
      wanted.set(realpathSync(f), f);
    } catch {
      wanted.set(f, f);
    }
  }
  const out: Holder[] = [];
  let pids: string[];
  try {
    pids = readdirSync(procDir).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procDir}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${procDir}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const file = wanted.get(target);
      if (file === undefined) continue;
      let name = '?';
      try {
        name = readFileSync(`${procDir}/${pid}/comm`, 'utf8').trim();
      } catch {
        /* ended meanwhile */
      }
      out.push({ pid: Number(pid), name, file });
      break;
    }
  }
  return out;
}

/** Waits until no other process holds the files, up to `timeoutMs`; returns who still does. */
export async function waitUntilUnheld(files: readonly string[], timeoutMs: number, procDir = '/proc'): Promise<Holder[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const h = holdersOf(files, procDir);
    if (h.length === 0 || Date.now() >= end) return h;
    await new Promise((r) => setTimeout(r, 250));
  }
}
