// Step 8 for a batch: each image's outcome (node and verification, or error and fix), and the way on.

import { useWizard } from '../api/context';
import { BatchResultList } from '../components/BatchResultList';
import { StepHeading } from '../components/StepHeading';
import { batchCounts } from '../store/batch-run';

export function BatchResultStep() {
  const batch = useWizard((s) => s.batch);
  const another = useWizard((s) => s.prepareAnother);
  const c = batchCounts(batch);
  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Result</StepHeading>
      <p className={c.success === c.total ? 'success' : 'note'} role="status" data-testid="batch-summary">
        {c.success} of {c.total} images prepared{c.failed ? `, ${c.failed} failed` : ''}{c.cancelled ? `, ${c.cancelled} cancelled` : ''}.
      </p>
      <BatchResultList items={batch.items} />
      <div className="row">
        <button type="button" className="primary" onClick={another}>Prepare other images</button>
      </div>
    </section>
  );
}
