// Feedback outside the page while a run goes on: the taskbar/dock progress bar and a desktop notification
// when a run ends. A run takes minutes; the user switches to other work and must learn it ended (or failed)
// without watching the window. Written against small interfaces so it is tested without Electron.

import * as path from 'node:path';
import type { EventName, Events } from '../contract/contract';

export interface ProgressTarget {
  /** Electron's BrowserWindow.setProgressBar: 0..1, or -1 to remove the bar. */
  setProgressBar(progress: number): void;
}

export interface Notifier {
  isSupported(): boolean;
  show(title: string, body: string): void;
}

export interface RunFeedback {
  /** The image a run prepares, learnt when run.start answered (events carry only the run id). */
  runStarted(runId: string, image: string): void;
  /** Called with every event the backend emits. */
  onEvent<E extends EventName>(name: E, payload: Events[E]): void;
}

export function notificationBody(image: string | undefined, result: Events['run.result']['result']): string {
  const name = image ? path.basename(image) : 'The image';
  if (result.ok) {
    const r = result.value;
    if (!('operation' in r)) return `${name} prepared`;
    return r.operation === 'retarget' ? `${name}: the node now joins ${r.settings.rm.url}` : `${name}: Guestprep's node removed`;
  }
  if (result.error.code === 'CANCELLED') return `${name}: cancelled, the image is unchanged`;
  return `${name} failed: ${result.error.message}`;
}

export function createRunFeedback(opts: { target: () => ProgressTarget | undefined; notifier: Notifier }): RunFeedback {
  const images = new Map<string, string>();
  // Percent per active run; the bar shows the run that moved last, and disappears when none is left, so two
  // runs at once never leave a stale bar behind.
  const active = new Map<string, number>();

  function refresh(): void {
    const target = opts.target();
    if (!target) return;
    const last = [...active.values()].pop();
    target.setProgressBar(last === undefined ? -1 : Math.min(1, Math.max(0, last / 100)));
  }

  return {
    runStarted(runId, image) {
      images.set(runId, image);
    },
    onEvent(name, payload) {
      if (name === 'run.event') {
        const { runId, event } = payload as Events['run.event'];
        if (event.type !== 'progress') return;
        active.delete(runId); // re-insert so Map order puts it last
        active.set(runId, event.percent);
        refresh();
      } else if (name === 'run.result') {
        const { runId, result } = payload as Events['run.result'];
        const image = images.get(runId) ?? (result.ok ? result.value.image.path : undefined);
        images.delete(runId);
        active.delete(runId);
        refresh();
        if (opts.notifier.isSupported()) opts.notifier.show('Guestprep', notificationBody(image, result));
      }
    },
  };
}

/** Electron's Notification behind the Notifier interface (the class is passed in: tests never load Electron). */
export function electronNotifier(N: typeof import('electron').Notification): Notifier {
  return {
    isSupported: () => N.isSupported(),
    show: (title, body) => new N({ title, body }).show(),
  };
}
