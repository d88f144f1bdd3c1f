// Launching the appliance with the KVM -> TCG fallback, and counting launches (they dominate run time:
// seconds each, so the report and the benchmark count them and a run aims at exactly one).

import { GuestprepError } from '../errors';
import { chooseHypervisor, classifyLaunchFailure, KVM_BROKEN_REASON, rememberVerdict, Hypervisor } from './hypervisor';
import { GuestfishSession, SessionOptions } from './session';

export interface LaunchStats {
  /** Appliance launches that came up. */
  launches: number;
  /** Launch attempts that failed and were retried (e.g. the one KVM probe on a host where KVM is broken). */
  failedAttempts: number;
  hypervisor?: Hypervisor;
  /** Milliseconds spent launching (spawn to `run` done), summed. */
  launchMs: number;
}

export function newLaunchStats(): LaunchStats {
  return { launches: 0, failedAttempts: 0, launchMs: 0 };
}

export interface LaunchOptions extends Omit<SessionOptions, 'hypervisor'> {
  stats: LaunchStats;
  /** Told once, when the product finds out that KVM does not work here. */
  onNotice?: (message: string) => void;
}

export async function launchAppliance(opts: LaunchOptions): Promise<GuestfishSession> {
  const choice = chooseHypervisor();
  const t0 = Date.now();
  try {
    const s = await GuestfishSession.launch({ ...opts, hypervisor: choice.hypervisor });
    opts.stats.launches++;
    opts.stats.hypervisor = choice.hypervisor;
    opts.stats.launchMs += Date.now() - t0;
    return s;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const detail = err instanceof GuestprepError ? err.detail ?? '' : String(err);
    if (choice.hypervisor !== 'kvm' || classifyLaunchFailure(detail) !== 'kvm-broken') throw err;
    opts.stats.failedAttempts++;
    rememberVerdict('tcg', KVM_BROKEN_REASON);
    opts.onNotice?.(KVM_BROKEN_REASON + '.');
    const t1 = Date.now();
    const s = await GuestfishSession.launch({ ...opts, hypervisor: 'tcg' });
    opts.stats.launches++;
    opts.stats.hypervisor = 'tcg';
    opts.stats.launchMs += Date.now() - t1;
    return s;
  }
}
