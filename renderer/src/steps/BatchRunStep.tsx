// Step 7 for a batch: overall progress, Cancel (for the whole batch), and one row per image.

import { useState } from 'react';
import type { ErrorData } from '../../../main/contract/contract';
import { useWizard } from '../api/context';
import { BatchProgressList } from '../components/BatchProgressList';
import { ErrorBox } from '../components/ErrorBox';
import { StepHeading } from '../components/StepHeading';
import { batchActive, batchCounts, batchPercent, unfinishedRunId } from '../store/batch-run';

export function BatchRunStep() {
  const batch = useWizard((s) => s.batch);
  const cancel = useWizard((s) => s.cancelRun);
  const [cancelError, setCancelError] = useState<ErrorData>();
  const active = batchActive(batch);
  const c = batchCounts(batch);
  const percent = batchPercent(batch);
  const finished = c.success + c.failed + c.cancelled;
  const overall =
    batch.status === 'starting' ? 'starting…' : batch.status === 'cancelling' ? 'cancelling…' : batch.status === 'refused' ? 'refused' : batch.status === 'finished' ? 'finished' : `${percent}%`;

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Run</StepHeading>
      <div className="overall">
        <label htmlFor="overall-progress">
          Overall progress: <span data-testid="overall">{overall}</span> <span className="muted">({finished} of {c.total} images finished)</span>
        </label>
        <progress id="overall-progress" max={100} value={batch.status === 'finished' ? 100 : percent} />
      </div>
      <div className="row">
        <button type="button" onClick={async () => setCancelError(await cancel())} disabled={!active || !unfinishedRunId(batch) || batch.status === 'cancelling'}>
          Cancel
        </button>
        <span className="muted">Cancel stops every image of the batch; the images not yet committed are left unchanged.</span>
      </div>
      {cancelError ? <ErrorBox error={cancelError} title="Cancel failed" /> : null}
      {batch.status === 'refused' && batch.error ? <ErrorBox error={batch.error} title="The batch was refused; no image was changed" /> : null}
      {batch.status === 'finished' ? (
        <p className="note" role="status" data-testid="batch-summary">
          {c.success} of {c.total} prepared{c.failed ? `, ${c.failed} failed` : ''}{c.cancelled ? `, ${c.cancelled} cancelled` : ''}.
        </p>
      ) : null}
      {batch.status !== 'refused' ? <BatchProgressList items={batch.items} /> : null}
      <p className="muted">The full log of each image is in History.</p>
    </section>
  );
}
