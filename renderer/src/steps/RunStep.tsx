// Step 7: the run, live. Progress per step and overall, a capped log, Cancel, and on failure the
// failing step marked with the error and its fix.

import { useEffect, useRef, useState } from 'react';
import type { ErrorData } from '../../../main/contract/contract';
import { useWizard } from '../api/context';
import { ErrorBox } from '../components/ErrorBox';
import { StepHeading } from '../components/StepHeading';
import { formatBytes } from '../../../main/rules/units';
import { isActive, LOG_CAP, type StepRun } from '../store/run-state';
import { BatchRunStep } from './BatchRunStep';

function stepLabel(s: StepRun): string {
  const state = s.status === 'pending' ? 'waiting' : s.status === 'running' ? 'running' : s.status === 'done' ? 'done' : 'failed';
  return `${s.title}: ${state}`;
}

function StepProgress({ s, i }: { s: StepRun; i: number }) {
  const id = `run-step-${i}`;
  const value = s.status === 'done' ? 1 : s.total ? Math.min(1, (s.sent ?? 0) / s.total) : s.status === 'running' ? undefined : 0;
  return (
    <li className={`run-step ${s.status}`} data-testid={`run-step-${s.id}`} aria-current={s.status === 'running' ? 'step' : undefined}>
      <label htmlFor={id}>
        <span className="status-icon" aria-hidden="true">{s.status === 'done' ? '✓' : s.status === 'failed' ? '✗' : s.status === 'running' ? '▶' : '·'}</span> {stepLabel(s)}
        {s.total && s.status !== 'pending' ? <span className="muted"> ({formatBytes(s.sent ?? 0)} of {formatBytes(s.total)})</span> : null}
      </label>
      {/* No value = indeterminate: a running step without byte counts has no honest percentage. */}
      {value === undefined ? <progress id={id} /> : <progress id={id} max={1} value={value} />}
    </li>
  );
}

function SingleRunStep() {
  const run = useWizard((s) => s.run);
  const cancel = useWizard((s) => s.cancelRun);
  const [cancelError, setCancelError] = useState<ErrorData>();
  const logRef = useRef<HTMLPreElement>(null);
  const active = isActive(run);

  useEffect(() => {
    // Follow the log's tail, like `tail -f`.
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [run.log]);

  const overall = run.status === 'success' ? 'finished' : run.status === 'failed' ? 'failed' : run.status === 'cancelled' ? 'cancelled' : run.status === 'cancelling' ? 'cancelling…' : `${run.percent}%`;

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Run</StepHeading>
      <div className="overall">
        <label htmlFor="overall-progress">Overall progress: <span data-testid="overall">{overall}</span></label>
        <progress id="overall-progress" max={100} value={run.percent} />
      </div>
      <p aria-live="polite" className="status-line" data-testid="phase">{run.status === 'starting' ? 'Starting…' : run.phase ?? ''}</p>
      <div className="row">
        <button type="button" onClick={async () => setCancelError(await cancel())} disabled={!active || !run.runId || run.status === 'cancelling'}>
          Cancel
        </button>
      </div>
      {cancelError ? <ErrorBox error={cancelError} title="Cancel failed" /> : null}
      {run.status === 'failed' && run.error ? (
        <ErrorBox
          error={run.error}
          title={run.failedStep ? `Failed at "${run.steps.find((s) => s.id === run.failedStep)?.title ?? run.failedStep}"` : 'The run failed'}
        />
      ) : null}
      {run.status === 'cancelled' ? <p className="note" role="status">The run was cancelled; the image was left unchanged.</p> : null}
      <ol className="run-steps" aria-label="Plan steps">
        {run.steps.map((s, i) => (
          <StepProgress key={s.id} s={s} i={i} />
        ))}
      </ol>
      <section aria-labelledby="log-title">
        <h3 id="log-title">Log</h3>
        {run.dropped ? <p className="muted">{run.dropped} earlier line{run.dropped === 1 ? '' : 's'} not shown (the last {LOG_CAP} are kept here; the full log is in History).</p> : null}
        <pre className="log" ref={logRef} data-testid="log" tabIndex={0} aria-label="Run log" aria-live="off">
          {run.log.map((l) => (
            <span key={l.n} className={`log-${l.level}`}>
              {l.message}
              {'\n'}
            </span>
          ))}
        </pre>
      </section>
    </section>
  );
}

/** The last run was a batch (run.startBatch) or one image (run.start): each has its own view. */
export function RunStep() {
  const batch = useWizard((s) => s.batch.status !== 'idle');
  return batch ? <BatchRunStep /> : <SingleRunStep />;
}
