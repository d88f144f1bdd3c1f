// What a rule answers: a value, or a problem in words (what is wrong, what to do). Rules never throw, so
// the page can show the problem under the field while the user types, and the engine turns the same
// problem into its error data (settings/*.ts wrap each rule with `fail`).

export interface Problem {
  message: string;
  /** What the user should do, said without naming a CLI flag or a form field (each adapter adds its own). */
  fix: string;
}

export type Verdict<T> = { ok: true; value: T; warnings?: string[] } | { ok: false; problem: Problem };

export const ok = <T>(value: T, warnings?: string[]): Verdict<T> => (warnings?.length ? { ok: true, value, warnings } : { ok: true, value });
export const bad = (message: string, fix: string): { ok: false; problem: Problem } => ({ ok: false, problem: { message, fix } });

/** JSON-quoted, for names and inputs inside messages (shows spaces, quotes and control characters). */
export const show = (s: string): string => JSON.stringify(s);
