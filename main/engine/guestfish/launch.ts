// Launching the appliance with the KVM -> TCG fallback, the broken-cache repair, and counting launches
// (they dominate run time: seconds each, so the report and the benchmark count them and a run aims at
// exactly one).

import { rmSync } from 'node:fs';
import { GuestprepError } from '../errors';
import { chooseHypervisor, classifyLaunchFailure, KVM_BROKEN_REASON, KVM_HUNG_REASON, rememberVerdict, Hypervisor, type HypervisorChoice, type LaunchFailureKind } from './hypervisor';
import { applianceCacheDir, GuestfishSession, SessionOptions } from './session';

export interface LaunchStats {
  /** Appliance launches that came up. */
  launches: number;
  /** Launch attempts that failed and were retried (the KVM probe, a diagnosis, a launch after repair). */
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
  /** Told once, when the product finds out something about this host (KVM broken, cache repaired). */
  onNotice?: (message: string) => void;
  /** Tests only: decide the hypervisor without looking at this host's /dev/kvm. */
  chooseHypervisor?: () => HypervisorChoice;
}

/**
 * How long a launch under KVM may take before it is taken for a hung KVM. On our machines nested KVM no
 * longer aborts within seconds as it used to: qemu spins and the appliance never answers (checked: a plain
 * `guestfish -a /dev/null run` was still waiting after 150 s, where TCG takes 10-20 s). A KVM launch takes
 * under 6 s, plus the appliance build on a first run; two minutes leaves room for both on a slow disk.
 */
export function kvmLaunchTimeoutMs(): number {
  const v = Number(process.env.GUESTPREP_KVM_LAUNCH_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 120_000;
}

class LaunchTimedOut extends Error {}

async function attempt(opts: LaunchOptions, hypervisor: Hypervisor, env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<GuestfishSession> {
  const t0 = Date.now();
  const timer = new AbortController();
  const handle = timeoutMs === undefined ? undefined : setTimeout(() => timer.abort(), timeoutMs);
  const signal = timeoutMs === undefined ? opts.signal : opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal;
  try {
    const s = await GuestfishSession.launch({ ...opts, ...(signal ? { signal } : {}), hypervisor, env: { ...opts.env, ...env } });
    opts.stats.launches++;
    opts.stats.hypervisor = hypervisor;
    opts.stats.launchMs += Date.now() - t0;
    return s;
  } catch (err) {
    if (timer.signal.aborted && !opts.signal?.aborted) throw new LaunchTimedOut(`the appliance did not come up under KVM within ${Math.round(timeoutMs! / 1000)} s`);
    throw err;
  } finally {
    if (handle) clearTimeout(handle);
  }
}

function detailOf(err: unknown): string {
  return err instanceof GuestprepError ? err.detail ?? err.message : String(err);
}

export const CACHE_REPAIRED_NOTICE =
  'The libguestfs appliance cache was broken (built while packages were being installed); Guestprep deleted it and libguestfs rebuilt it';

export async function launchAppliance(opts: LaunchOptions): Promise<GuestfishSession> {
  let hypervisor = (opts.chooseHypervisor ?? chooseHypervisor)().hypervisor;
  try {
    return await attempt(opts, hypervisor, undefined, hypervisor === 'kvm' ? kvmLaunchTimeoutMs() : undefined);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    let detail = detailOf(err);
    let kind: LaunchFailureKind | 'kvm-hung' = err instanceof LaunchTimedOut ? 'kvm-hung' : classifyLaunchFailure(detail);
    if ((kind === 'kvm-broken' || kind === 'kvm-hung') && hypervisor === 'kvm') {
      const reason = kind === 'kvm-hung' ? KVM_HUNG_REASON : KVM_BROKEN_REASON;
      opts.stats.failedAttempts++;
      rememberVerdict('tcg', reason);
      opts.onNotice?.(reason + '.');
      hypervisor = 'tcg';
      try {
        return await attempt(opts, hypervisor);
      } catch (err2) {
        if (opts.signal?.aborted) throw err2;
        err = err2;
        detail = detailOf(err2);
        kind = classifyLaunchFailure(detail);
      }
    }
    if (kind === 'other') {
      // Without debug output a failed launch only says "appliance closed the connection unexpectedly":
      // launch once more with LIBGUESTFS_DEBUG=1 to learn why (the appliance's own messages).
      opts.stats.failedAttempts++;
      try {
        // A transient failure: it came up this time, but debug output would pollute every command's
        // output, so start a clean session instead.
        const noisy = await attempt(opts, hypervisor, { LIBGUESTFS_DEBUG: '1' });
        noisy.kill();
        await noisy.waitExit();
        opts.stats.launches--;
        return await attempt(opts, hypervisor);
      } catch (err3) {
        if (opts.signal?.aborted) throw err3;
        err = err3;
        kind = classifyLaunchFailure(detailOf(err3));
      }
    }
    if (kind === 'cache-broken') {
      // Facts from our machines: a cache built while apt was installing breaks every later launch, and
      // deleting it fixes it (libguestfs rebuilds it from the host's packages on the next launch).
      opts.stats.failedAttempts++;
      rmSync(applianceCacheDir(), { recursive: true, force: true });
      opts.onNotice?.(CACHE_REPAIRED_NOTICE + '.');
      return await attempt(opts, hypervisor);
    }
    throw err;
  }
}

/**
 * Whether KVM works here, found out once per host by launching an empty appliance (with the fallback and
 * its time limit above) and remembered. For tools that start an appliance of their own (virt-make-fs in
 * the sample builders), which have neither the fallback nor a time limit and would hang with a hung KVM.
 */
export async function settledHypervisor(): Promise<Hypervisor> {
  const c = chooseHypervisor();
  if (c.hypervisor === 'tcg' || c.remembered) return c.hypervisor;
  const stats = newLaunchStats();
  const s = await launchAppliance({ drives: [], readonly: true, stats });
  await s.close();
  if (stats.hypervisor === 'kvm') rememberVerdict('kvm', 'KVM works for libguestfs on this host');
  return stats.hypervisor ?? 'tcg';
}
