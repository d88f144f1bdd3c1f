// `guestprep doctor`: the usual reasons a host cannot prepare images, each with its fix (the appliance
// cache broken by an apt run is a real one seen on our machines). Every program the engine may run is
// checked from one table (engine/host-tools.ts), each found or missing with the package that installs it.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chooseHypervisor } from '../engine/api';
import { launchAppliance, newLaunchStats } from '../engine/api';
import { applianceCacheDir } from '../engine/api';
import { toErrorData } from '../engine/api';
import { HOST_TOOLS, installCommand, type HostTool } from '../engine/api';

export interface DoctorCheck {
  name: string;
  /** False when runs cannot work: a missing optional tool is reported (with its fix) but still ok. */
  ok: boolean;
  message: string;
  fix?: string;
  /** For a host tool (engine/host-tools.ts): whether it was found on PATH, where, and what installs it. */
  tool?: { command: string; found: boolean; path?: string; debianPackage: string; need: HostTool['need']; usedFor: string };
}

/** A command's path on PATH (an executable file), without a shell: the PATH given is the one checked. */
export function findOnPath(command: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** One check per tool of the engine's table, found or missing, with the package that installs it. */
export function toolChecks(pathEnv: string | undefined, tools: readonly HostTool[] = HOST_TOOLS): DoctorCheck[] {
  return tools.map((t) => {
    const found = findOnPath(t.command, pathEnv);
    const tool = { command: t.command, found: found !== undefined, ...(found ? { path: found } : {}), debianPackage: t.debianPackage, need: t.need, usedFor: t.usedFor };
    return found
      ? { name: t.command, ok: true, message: `found: ${found} (${t.debianPackage}; ${t.usedFor})`, tool }
      : {
          name: t.command,
          ok: t.need === 'optional',
          message: `missing${t.need === 'optional' ? ' (optional)' : ''}: ${t.command} is not on PATH; needed for ${t.usedFor}`,
          fix: installCommand(t),
          tool,
        };
  });
}

export async function runDoctor(opts: { launch: boolean; env?: NodeJS.ProcessEnv }): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = toolChecks((opts.env ?? process.env).PATH);
  // supermin builds the appliance from the host kernel: it must exist and be readable by this user.
  const kernels = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz')) : [];
  const readable = kernels.filter((k) => {
    try {
      accessSync(join('/boot', k), constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
  checks.push(
    kernels.length === 0
      ? { name: 'kernel', ok: false, message: 'no kernel in /boot for the appliance', fix: 'sudo apt install linux-image-amd64' }
      : readable.length === 0
        ? { name: 'kernel', ok: false, message: 'the kernels in /boot are not readable by this user', fix: 'sudo chmod 0644 /boot/vmlinuz-*' }
        : { name: 'kernel', ok: true, message: `${readable.length} kernel(s) readable in /boot` },
  );
  const hv = chooseHypervisor();
  checks.push({ name: 'hypervisor', ok: true, message: `${hv.hypervisor.toUpperCase()}: ${hv.reason}` });
  if (opts.launch) {
    const dir = mkdtempSync(join(tmpdir(), 'guestprep-doctor-'));
    try {
      const disk = join(dir, 'empty.raw');
      spawnSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '16M']);
      const stats = newLaunchStats();
      const t0 = Date.now();
      const s = await launchAppliance({ drives: [{ path: disk, format: 'raw' }], readonly: true, stats });
      await s.close();
      checks.push({ name: 'appliance', ok: true, message: `launched in ${((Date.now() - t0) / 1000).toFixed(1)} s with ${stats.hypervisor}` });
    } catch (err) {
      const e = toErrorData(err);
      checks.push({ name: 'appliance', ok: false, message: e.message, fix: e.fix });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    checks.push({ name: 'appliance cache', ok: true, message: `${applianceCacheDir()} (use --launch to test a launch)` });
  }
  return checks;
}
