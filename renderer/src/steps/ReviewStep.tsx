// Step 6: the plan, before anything is written: named steps, space needed against space free, the
// equivalent guestfish script (to copy, save, or audit), and what the guest will do at next boot. In a
// batch, every image of it, and the plan of the inspected one (the others are planned during the run).

import { useEffect, useState } from 'react';
import { useWizard } from '../api/context';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { StepHeading } from '../components/StepHeading';
import { downloadText } from '../lib/download';
import { formatBytes } from '../../../main/rules/units';
import { batchImages, planKey } from '../store/wizard';

function BatchImages({ images, inspected }: { images: readonly string[]; inspected?: string }) {
  return (
    <section aria-labelledby="batch-images-title" data-testid="batch-images">
      <h3 id="batch-images-title">Images ({images.length})</h3>
      <p className="note">
        One appliance launch for all {images.length}: each image still gets its own transaction, verification and result, and one image failing leaves the
        others prepared. The plan below is the inspected image's; the others are inspected and planned the same way during the run.
      </p>
      <ol>
        {images.map((image) => (
          <li key={image}>
            <code>{image}</code> {image === inspected ? <span className="badge">inspected</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function ReviewStep() {
  const plan = useWizard((s) => s.plan);
  const stale = useWizard((s) => s.plan.key !== planKey(s));
  const preview = useWizard((s) => s.previewPlan);
  // Joined so the selector returns a primitive (a new array each time would re-render forever).
  const images = useWizard((s) => batchImages(s)?.join('\n'))?.split('\n');
  const inspected = useWizard((s) => s.inspect.path);
  const [copied, setCopied] = useState('');

  useEffect(() => {
    if (stale && plan.status !== 'busy') void preview();
  }, [stale, plan.status, preview]);

  const p = plan.status === 'ok' && !stale ? plan.value : undefined;
  const copy = async () => {
    if (!p) return;
    try {
      await navigator.clipboard.writeText(p.script);
      setCopied('Script copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available here: use Save instead.');
    }
  };

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Review</StepHeading>
      {images ? <BatchImages images={images} inspected={inspected} /> : null}
      <div aria-live="polite" className="status-line">{plan.status === 'busy' ? <span><progress aria-label="Building the plan" /> Building the plan…</span> : null}</div>
      {plan.status === 'error' && plan.error ? <ErrorBox error={plan.error} title="The plan could not be built" /> : null}
      {p ? (
        <>
          <section aria-labelledby="plan-steps-title">
            <h3 id="plan-steps-title">Steps ({p.steps.length})</h3>
            <ol className="plan-steps" data-testid="plan-steps">
              {p.steps.map((s) => (
                <li key={s.id}>
                  {s.title} <span className="muted">({s.commands} command{s.commands === 1 ? '' : 's'}{s.bytes ? `, ${formatBytes(s.bytes)}` : ''})</span>
                </li>
              ))}
            </ol>
          </section>
          <section aria-labelledby="space-title" className="space">
            <h3 id="space-title">Space</h3>
            <p data-testid="space">
              Needs {formatBytes(p.requiredBytes)} of {formatBytes(p.freeBytes)} free in the guest.
            </p>
            <meter min={0} max={Math.max(p.freeBytes, 1)} value={Math.min(p.requiredBytes, p.freeBytes)} high={p.freeBytes * 0.9} aria-label="Space needed against free space" />
            {p.requiredBytes > p.freeBytes ? (
              <ErrorBox error={{ code: 'GUEST_NO_SPACE', message: `The guest has ${formatBytes(p.freeBytes)} free but the installation needs ${formatBytes(p.requiredBytes)}.`, fix: 'Free space in the guest or enlarge its disk, or choose a smaller Java runtime or distribution.' }} />
            ) : null}
          </section>
          <Warnings items={p.warnings} label="Plan warnings" />
          <section aria-labelledby="boot-title">
            <h3 id="boot-title">At next boot</h3>
            <ul>
              {p.atNextBoot.map((l, i) => (
                <li key={i}>{l}</li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="script-title">
            <h3 id="script-title">guestfish script</h3>
            <div className="row">
              <button type="button" onClick={() => void copy()}>Copy</button>
              <button type="button" onClick={() => downloadText('guestprep-plan.guestfish', p.script)}>Save</button>
              <span aria-live="polite" className="status-line">{copied}</span>
            </div>
            <pre className="script" data-testid="script" tabIndex={0} aria-label="guestfish script">{p.script}</pre>
          </section>
          <p className="note">
            {images
              ? 'Run writes to each image in a transaction of its own: an image that fails is left as it was.'
              : 'Run writes to the image in one transaction: if anything fails, the image is left as it was.'}
          </p>
        </>
      ) : null}
    </section>
  );
}
