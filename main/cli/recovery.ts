// Recovery of interrupted runs at the start of the commands that touch images (prepare, retarget, remove,
// inspect) and as `guestprep recover`: what happened is always told, as text on stderr or as JSON lines.

import type { RecoveryOutcome } from '../engine/api';
import { recoverInterrupted } from '../engine/api';
import type { RunJournal } from '../engine/api';
import type { RunEvent } from '../engine/api';

export function formatRecovery(o: RecoveryOutcome): string {
  const head = o.action === 'rolled-back' || o.action === 'committed' ? 'Recovered' : o.action === 'pending' ? 'Recovery pending' : 'Recovery failed';
  let s = `${head}: ${o.message}\n`;
  if (o.error) s += `  Fix: ${o.error.fix}\n`;
  return s;
}

export interface RecoveryIo {
  json: boolean;
  /** JSON lines go to stdout, text to stderr (stdout stays the command's own result). */
  out: (s: string) => void;
  err: (s: string) => void;
  onEvent?: (e: RunEvent) => void;
}

export async function recoverAndTell(journal: RunJournal | undefined, io: RecoveryIo, program: string): Promise<RecoveryOutcome[]> {
  if (!journal) return [];
  const outcomes = await recoverInterrupted(journal, { program, onEvent: (e) => (e.type === 'log' && e.level === 'debug' ? io.onEvent?.(e) : undefined) });
  for (const o of outcomes) {
    if (io.json) io.out(JSON.stringify({ type: 'recovery', outcome: o }) + '\n');
    else io.err(formatRecovery(o));
  }
  return outcomes;
}
