// Small pieces every image-writing run shares (prepare, retarget, remove): the process-wide journal used
// when the caller gives none, the guest summary in reports, and "first error in the order given".

import type { GuestFacts } from '../types';
import { memoryJournal } from './journal';

/**
 * Without the shared database, an in-memory journal still locks images within this process (a crash then
 * cannot be recovered by a later start). One for all run kinds, so they lock each other out too.
 */
export const processJournal = memoryJournal();

/** The guest as reports show it: the facts without the Linux boot details, plus the ones worth telling. */
export type GuestSummary = Omit<GuestFacts, 'linux'> & { init?: string; sysvLayout?: string; rcLocalPath?: string };

export function summariseGuest(g: GuestFacts): GuestSummary {
  const { linux, ...rest } = g;
  return { ...rest, init: linux?.init, sysvLayout: linux?.sysvLayout, rcLocalPath: linux?.rcLocalPath };
}

/** Awaits all; when several failed, throws the first failure in the order given (the order the user gave them). */
export async function firstErrorInOrder<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(ps);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
