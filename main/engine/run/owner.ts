// Who owns a run: enough to tell, from another process and after a reboot, whether that run's process
// still lives. A PID alone is not: PIDs are reused, and after a power loss the numbering starts over. So
// the owner is the PID plus the process's start time (clock ticks since boot, /proc/PID/stat field 22)
// plus the kernel's boot id; all three must match for the owner to count as alive.

import { readFileSync } from 'node:fs';

export interface RunOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux); absent elsewhere. */
  startTicks?: number;
  /** /proc/sys/kernel/random/boot_id (Linux); absent elsewhere. */
  bootId?: string;
  /** What the user knows the owner as: "guestprep prepare", "the Guestprep app", ... */
  program: string;
}

/** /proc/PID/stat's starttime. The command name (field 2) may contain spaces and ')': parse after the last ')'. */
export function parseStartTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "pid (comm)" come fields 3.. ; starttime is field 22, i.e. index 19 of the rest.
  const rest = stat.slice(close + 1).trim().split(/\s+/);
  const v = Number(rest[19]);
  return Number.isFinite(v) ? v : undefined;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function currentBootId(): string | undefined {
  return readOr('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

export function ownerOf(pid: number, program: string): RunOwner {
  const stat = readOr(`/proc/${pid}/stat`);
  const startTicks = stat ? parseStartTicks(stat) : undefined;
  const bootId = currentBootId();
  return { pid, program, ...(startTicks !== undefined ? { startTicks } : {}), ...(bootId ? { bootId } : {}) };
}

export function selfOwner(program: string): RunOwner {
  return ownerOf(process.pid, program);
}

/** Whether the process that owned a run is still running (the same process, not a PID reused since). */
export function ownerAlive(owner: RunOwner): boolean {
  const bootNow = currentBootId();
  if (owner.bootId && bootNow && owner.bootId !== bootNow) return false;
  if (owner.startTicks !== undefined) {
    const stat = readOr(`/proc/${owner.pid}/stat`);
    if (stat !== undefined) return parseStartTicks(stat) === owner.startTicks;
    // No /proc entry: gone (on Linux), or a system without /proc, where the signal test below decides.
    if (readOr('/proc/self/stat') !== undefined) return false;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeOwner(o: RunOwner): string {
  return `${o.program}, process ${o.pid}`;
}
