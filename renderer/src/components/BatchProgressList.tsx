// The Run step of a batch: one row per image with its own step, percent and outcome, fed by the events of
// its run id. A failed image shows its error and fix in its row; the other rows go on.

import type { BatchItem } from '../store/batch-run';
import { basename } from '../lib/basename';
import { ErrorBox } from './ErrorBox';

function stateOf(it: BatchItem): string {
  const r = it.run;
  switch (r.status) {
    case 'idle':
    case 'starting':
      return 'waiting';
    case 'running':
      return r.steps.find((s) => s.status === 'running')?.title ?? r.phase ?? 'waiting';
    case 'cancelling':
      return 'cancelling…';
    case 'success':
      return 'prepared';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled; left unchanged';
  }
}

export function BatchProgressList({ items }: { items: readonly BatchItem[] }) {
  return (
    <ol className="batch-list" aria-label="Images">
      {items.map((it, i) => {
        const name = basename(it.image);
        const r = it.run;
        const state = stateOf(it);
        const id = `batch-progress-${i + 1}`;
        return (
          <li key={it.image} className={`batch-item ${r.status}`} data-testid={`batch-item-${i + 1}`}>
            <label htmlFor={id}>
              <span className="status-icon" aria-hidden="true">{r.status === 'success' ? '✓' : r.status === 'failed' ? '✗' : r.status === 'running' ? '▶' : '·'}</span>{' '}
              <strong>{name}</strong>: <span data-testid="batch-state">{state}</span>
              {r.status === 'running' || r.status === 'cancelling' ? <span className="muted" data-testid="batch-percent"> ({r.percent}%)</span> : null}
            </label>
            <progress id={id} max={100} value={r.status === 'success' ? 100 : r.percent} />
            {r.status === 'failed' && r.error ? (
              <ErrorBox error={r.error} title={`${name} failed${r.failedStep ? ` at "${r.steps.find((s) => s.id === r.failedStep)?.title ?? r.failedStep}"` : ''}`} />
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
