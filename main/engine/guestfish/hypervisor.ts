// Whether libguestfs can use KVM here, decided by the product itself (no variable for the user to set).
//
// Facts from our machines: /dev/kvm may exist while nested KVM is broken; qemu then aborts within ~3 s with
// "failed to set MSR 0x10a" and libguestfs reports "qemu-system-x86_64 killed by signal 6 (Aborted)".
// `LIBGUESTFS_BACKEND_SETTINGS=force_tcg` works there. So: try KVM when /dev/kvm is usable, recognise that
// signature, fall back to TCG, and remember the verdict per host (kernel + qemu build) so the 3 s probe is
// paid once, and the user is told once. Later kernels hang instead of aborting: launch.ts gives a KVM launch
// a time limit and treats running out of it the same way.

import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureStateDir, stateDir } from '../run/state';

export type Hypervisor = 'kvm' | 'tcg';

export interface HypervisorChoice {
  hypervisor: Hypervisor;
  /** Why, in words for the report. */
  reason: string;
  /** True when this is a fresh verdict the user has not been told about yet. */
  news: boolean;
  /** The verdict was found out on this host before (kept in hypervisor.json). */
  remembered?: boolean;
}

export type LaunchFailureKind = 'kvm-broken' | 'cache-broken' | 'other';

export function classifyLaunchFailure(output: string): LaunchFailureKind {
  if (/failed to set MSR|killed by signal 6|KVM_CREATE_VM|kvm run failed|Could not access KVM kernel module/i.test(output)) {
    return 'kvm-broken';
  }
  if (/failed to initialize device name translation cache|\/dev\/disk\/by-path/.test(output)) return 'cache-broken';
  return 'other';
}

export function hypervisorEnv(h: Hypervisor): NodeJS.ProcessEnv {
  if (h === 'kvm') return {};
  const current = process.env.LIBGUESTFS_BACKEND_SETTINGS ?? '';
  if (current.split(':').includes('force_tcg')) return {};
  return { LIBGUESTFS_BACKEND_SETTINGS: current ? `${current}:force_tcg` : 'force_tcg' };
}

interface Verdict {
  fingerprint: string;
  hypervisor: Hypervisor;
  reason: string;
  at: string;
}

export function stateFile(): string {
  return join(stateDir(), 'hypervisor.json');
}

/** Host identity for the cached verdict: a new kernel or qemu build may fix (or break) KVM. */
function fingerprint(): string {
  let qemu = 'none';
  for (const p of ['/usr/bin/qemu-system-x86_64', '/usr/libexec/qemu-kvm']) {
    try {
      const st = statSync(p);
      qemu = `${p}:${st.size}:${st.mtimeMs}`;
      break;
    } catch {
      /* try the next */
    }
  }
  return `${release()}|${qemu}`;
}

function readVerdict(): Verdict | undefined {
  try {
    const v = JSON.parse(readFileSync(stateFile(), 'utf8')) as Verdict;
    return v.fingerprint === fingerprint() ? v : undefined;
  } catch {
    return undefined;
  }
}

export function rememberVerdict(hypervisor: Hypervisor, reason: string): void {
  const file = stateFile();
  try {
    ensureStateDir();
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const v: Verdict = { fingerprint: fingerprint(), hypervisor, reason, at: new Date().toISOString() };
    writeFileSync(file, JSON.stringify(v, null, 2) + '\n');
  } catch {
    /* a read-only home only costs the probe again next time */
  }
}

export function chooseHypervisor(): HypervisorChoice {
  const forced = process.env.LIBGUESTFS_BACKEND_SETTINGS ?? '';
  if (forced.split(':').includes('force_tcg')) {
    return { hypervisor: 'tcg', reason: 'LIBGUESTFS_BACKEND_SETTINGS asks for TCG', news: false };
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { hypervisor: 'tcg', reason: '/dev/kvm is not usable, so libguestfs uses software emulation (TCG)', news: false };
  }
  const v = readVerdict();
  if (v) return { hypervisor: v.hypervisor, reason: v.reason, news: false, remembered: true };
  return { hypervisor: 'kvm', reason: 'KVM is available', news: false };
}

export const KVM_BROKEN_REASON =
  'KVM is present but does not work for libguestfs on this host (qemu aborted); using software emulation (TCG), which is slower';

export const KVM_HUNG_REASON =
  'KVM is present but the libguestfs appliance never came up under it (nested virtualization that hangs); using software emulation (TCG), which is slower';
