// Launching the appliance with the KVM -> TCG fallback, the broken-cache repair, and counting launches
// (they dominate run time: seconds each, so the report and the benchmark count them and a run aims at
// exactly one).

import { rmSync } from 'node:fs';
import { GuestprepError } from '../errors';
import { chooseHypervisor, classifyLaunchFailure, KVM_BROKEN_REASON, rememberVerdict, Hypervisor } from './hypervisor';
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
}

async function attempt(opts: LaunchOptions, hypervisor: Hypervisor, env?: NodeJS.ProcessEnv): Promise<GuestfishSession> {
  const t0 = Date.now();
  const s = await GuestfishSession.launch({ ...opts, hypervisor, env: { ...opts.env, ...env } });
  opts.stats.launches++;
  opts.stats.hypervisor = hypervisor;
  opts.stats.launchMs += Date.now() - t0;
  return s;
}

function detailOf(err: unknown): string {
  return err instanceof GuestprepError ? err.detail ?? err.message : String(err);
}

export const CACHE_REPAIRED_NOTICE =
  'The libguestfs appliance cache was broken (built while packages were being installed); Guestprep deleted it and libguestfs rebuilt it';

export async function launchAppliance(opts: LaunchOptions): Promise<GuestfishSession> {
  let hypervisor = chooseHypervisor().hypervisor;
  try {
    return await attempt(opts, hypervisor);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    let detail = detailOf(err);
    let kind = classifyLaunchFailure(detail);
    if (kind === 'kvm-broken' && hypervisor === 'kvm') {
      opts.stats.failedAttempts++;
      rememberVerdict('tcg', KVM_BROKEN_REASON);
      opts.onNotice?.(KVM_BROKEN_REASON + '.');
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
