// `guestprep doctor`: the usual reasons a host cannot prepare images, each with its fix (the appliance
// cache broken by an apt run is a real one seen on our machines).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseHypervisor } from '../engine/guestfish/hypervisor';
import { launchAppliance, newLaunchStats } from '../engine/guestfish/launch';
import { applianceCacheDir } from '../engine/guestfish/session';
import { toErrorData } from '../engine/errors';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  message: string;
  fix?: string;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export async function runDoctor(opts: { launch: boolean }): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  checks.push(
    onPath('guestfish')
      ? { name: 'libguestfs', ok: true, message: 'guestfish is installed' }
      : { name: 'libguestfs', ok: false, message: 'guestfish is not installed', fix: 'sudo apt install libguestfs-tools' },
  );
  checks.push(
    onPath('qemu-img')
      ? { name: 'qemu-img', ok: true, message: 'qemu-img is installed' }
      : { name: 'qemu-img', ok: false, message: 'qemu-img is not installed', fix: 'sudo apt install qemu-utils' },
  );
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
