// Overall progress of a run as one percentage, from phase ends, write-step ends, bytes streamed and the
// commit's own percentage. Pure and monotonic (a bar that goes backwards looks broken), tested on numbers.

import type { RunEvent } from '../types';

export const PHASE_WEIGHTS = { checks: 3, launch: 22, inspect: 8, write: 52, verify: 7, commit: 8 } as const;
export type WeightedPhase = keyof typeof PHASE_WEIGHTS;
const ORDER: WeightedPhase[] = ['checks', 'launch', 'inspect', 'write', 'verify', 'commit'];

export function phaseStart(phase: WeightedPhase): number {
  let n = 0;
  for (const p of ORDER) {
    if (p === phase) break;
    n += PHASE_WEIGHTS[p];
  }
  return n;
}

export class ProgressModel {
  private percent = 0;
  private stepsDone = 0;
  private readonly sentByStep = new Map<string, number>();
  private steps = 1;
  private totalBytes = 0;

  constructor(private readonly emit: (e: RunEvent) => void) {}

  /** Known once the plan is built: how many write steps, and how many bytes they stream. */
  planWrite(steps: number, totalBytes: number): void {
    this.steps = steps;
    this.totalBytes = totalBytes;
  }

  get value(): number {
    return this.percent;
  }

  phaseDone(phase: WeightedPhase): void {
    this.set(phaseStart(phase) + PHASE_WEIGHTS[phase]);
  }

  /** Write phase: half follows finished steps, half the bytes streamed (some steps send no bytes). */
  writeEvent(e: RunEvent): void {
    if (e.type === 'step' && e.status === 'done') this.stepsDone = Math.max(this.stepsDone, e.index + 1);
    else if (e.type === 'bytes') this.sentByStep.set(e.stepId, e.sent);
    else return;
    let sent = 0;
    for (const v of this.sentByStep.values()) sent += v;
    const stepsShare = this.stepsDone / Math.max(1, this.steps);
    const bytesShare = this.totalBytes > 0 ? Math.min(1, sent / this.totalBytes) : stepsShare;
    this.set(phaseStart('write') + (PHASE_WEIGHTS.write * (stepsShare + bytesShare)) / 2);
  }

  commitPercent(pct: number): void {
    this.set(phaseStart('commit') + (PHASE_WEIGHTS.commit * Math.min(100, pct)) / 100);
  }

  done(): void {
    this.set(100);
  }

  private set(p: number): void {
    const v = Math.min(100, Math.round(p * 10) / 10);
    if (v > this.percent) {
      this.percent = v;
      this.emit({ type: 'progress', percent: v });
    }
  }
}
