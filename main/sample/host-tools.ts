// Host programs the sample builders run (virt-make-fs, qemu-img, hivexregedit), shared by the Linux and the
// Windows sample images so both fail the same way and choose KVM or TCG like a real run.

import { spawn } from 'node:child_process';
import { fail } from '../engine/errors';
import { classifyLaunchFailure, hypervisorEnv, rememberVerdict, Hypervisor, KVM_BROKEN_REASON } from '../engine/guestfish/hypervisor';
import { settledHypervisor } from '../engine/guestfish/launch';

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a program with stdout and stderr merged; rejects only when it cannot be started (e.g. ENOENT). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

export function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * virt-make-fs launches an appliance of its own. Nested KVM can be present but broken (qemu aborts on an
 * MSR, or hangs): the engine finds out first, once per host (settledHypervisor), and virt-make-fs uses its
 * verdict; an abort still falls back to TCG the same way a run does.
 */
export async function virtMakeFs(args: string[], what: string, hint = ''): Promise<void> {
  const attempt = async (h: Hypervisor): Promise<RunResult> => {
    try {
      return await run('virt-make-fs', args, { ...process.env, ...hypervisorEnv(h) });
    } catch (err) {
      if (isEnoent(err)) {
        fail('LIBGUESTFS_MISSING', 'virt-make-fs (libguestfs) is not installed.',
          'Install libguestfs tools: on Debian/Ubuntu `apt-get install guestfs-tools libguestfs-tools linux-image-generic ntfs-3g`.');
      }
      throw err;
    }
  };
  const choice = await settledHypervisor();
  let r = await attempt(choice);
  if (r.code !== 0 && choice === 'kvm' && classifyLaunchFailure(r.output) === 'kvm-broken') {
    rememberVerdict('tcg', KVM_BROKEN_REASON);
    r = await attempt('tcg');
  }
  if (r.code !== 0) {
    fail('APPLIANCE_LAUNCH_FAILED', `virt-make-fs could not build ${what}.`,
      `Run \`libguestfs-test-tool\` to see why the libguestfs appliance does not start.${hint}`, { detail: r.output.trim() });
  }
}
