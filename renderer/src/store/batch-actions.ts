// Starting and cancelling a batch (run.startBatch) for the wizard store: the subscriptions to 'run.event'
// and 'run.result' that feed batch-run.ts, kept apart from the single-image run so that flow stays as is.

import type { ErrorData, Events, GuestprepClient, SettingsInput } from '../../../main/contract/contract';
import { batchActive, batchCounts, batchRefused, batchStarted, finishBatchItem, reduceBatchEvent, setCancelling, startingBatch, unfinishedRunId } from './batch-run';
import { idleRun } from './run-state';
import type { WizardState } from './wizard';

type Get = () => WizardState;
type Set = (partial: Partial<WizardState> | ((s: WizardState) => Partial<WizardState>)) => void;
type Early = { kind: 'event'; p: Events['run.event'] } | { kind: 'result'; p: Events['run.result'] };

/** `settingsOf` is the wizard's settingsInput (passed in, so this module does not import the store back). */
export function createBatchActions(client: GuestprepClient, get: Get, set: Set, settingsOf: (s: WizardState) => SettingsInput) {
  // Subscriptions live outside the state: they are not data to render.
  let unsubscribe: (() => void) | undefined;
  const stop = () => {
    unsubscribe?.();
    unsubscribe = undefined;
  };

  async function start(images: string[]): Promise<void> {
    const s = get();
    if (!s.proactive.info) return;
    stop();
    set({ step: 'run', run: idleRun, batch: startingBatch(images, s.plan.value) });
    // Subscribe before starting: the first events may arrive before run.startBatch answers with the ids.
    let ids: readonly string[] | undefined;
    const early: Early[] = [];
    const onEvent = (p: Events['run.event']) => set((st) => ({ batch: reduceBatchEvent(st.batch, p.runId, p.event) }));
    const onResult = (p: Events['run.result']) => {
      set((st) => ({ batch: finishBatchItem(st.batch, p.runId, p.result) }));
      const b = get().batch;
      if (b.status !== 'finished') return;
      stop();
      // Like a single run: on to the result when something was prepared; failures stay on the Run step.
      if (batchCounts(b).success > 0 && get().step === 'run') set({ step: 'result' });
    };
    const mine = (runId: string) => ids!.includes(runId);
    const offEvent = client.on('run.event', (p) => (ids === undefined ? early.push({ kind: 'event', p }) : mine(p.runId) && onEvent(p)));
    const offResult = client.on('run.result', (p) => (ids === undefined ? early.push({ kind: 'result', p }) : mine(p.runId) && onResult(p)));
    unsubscribe = () => {
      offEvent();
      offResult();
    };
    const res = await client.call('run.startBatch', {
      images,
      jre: s.jre.info?.archivePath,
      proactive: s.proactive.info.archivePath,
      // The pattern as typed: the backend expands it per image ({n}, {hostname}).
      settings: settingsOf(s),
      preset: s.preset,
    });
    if (!res.ok) {
      stop();
      set((st) => ({ batch: batchRefused(st.batch, res.error) }));
      return;
    }
    ids = res.value.runIds;
    set((st) => ({ batch: batchStarted(st.batch, res.value.runIds) }));
    for (const x of early) {
      if (!mine(x.p.runId)) continue;
      if (x.kind === 'event') onEvent(x.p);
      else onResult(x.p);
    }
  }

  /** Any run id of the batch cancels all of it; each image then ends with its own CANCELLED result. */
  async function cancel(): Promise<ErrorData | undefined> {
    const b = get().batch;
    const runId = unfinishedRunId(b);
    if (!runId || !batchActive(b) || b.status === 'cancelling') return undefined;
    set((st) => ({ batch: setCancelling(st.batch, true) }));
    const res = await client.call('run.cancel', { runId });
    // Refused, or too late (the images were committing or already over): their results will tell.
    if (!res.ok || !res.value.cancelled) set((st) => ({ batch: setCancelling(st.batch, false) }));
    return res.ok ? undefined : res.error;
  }

  return { start, cancel, stop };
}
