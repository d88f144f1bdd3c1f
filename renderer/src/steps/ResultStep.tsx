// Step 8: what was done and verified, what happens at next boot, and the way to the next image.

import { useState } from 'react';
import type { ErrorData } from '../../../main/contract/contract';
import { useClient, useWizard } from '../api/context';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { Facts } from '../components/Facts';
import { StepHeading } from '../components/StepHeading';
import { formatDuration } from '../lib/format';
import { BatchResultStep } from './BatchResultStep';

function SingleResultStep() {
  const client = useClient();
  const report = useWizard((s) => s.run.report);
  const another = useWizard((s) => s.prepareAnother);
  const [shown, setShown] = useState<ErrorData>();

  if (!report) {
    return (
      <section className="step" aria-labelledby="step-title">
        <StepHeading>Result</StepHeading>
        <p>No finished run.</p>
      </section>
    );
  }
  const v = report.verification;
  const st = report.settings;
  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Result</StepHeading>
      <p className="success" role="status" data-testid="verification">
        {v ? (v.failures.length === 0 ? `Verified: ${v.checked} checks passed.` : `${v.checked - v.failures.length} of ${v.checked} checks passed.`) : 'Done (not verified).'}
      </p>
      {v && v.failures.length ? (
        <ul className="failures" aria-label="Verification failures">
          {v.failures.map((f, i) => (
            <li key={i}>{f}</li>
          ))}
        </ul>
      ) : null}
      <Facts
        label="Installed node"
        items={[
          ['Image', <code key="i">{report.image.path}</code>],
          ['Node', `${st.nodeName} in ${st.nodeSource}`],
          ['Resource Manager', <code key="u">{st.rm.url}</code>],
          st.workers !== undefined && ['Workers', String(st.workers)],
          ['Service', `${st.serviceName}, user ${st.serviceUser}`],
          ['Install directory', <code key="d">{st.installDir}</code>],
          ['ProActive', `${report.proactive.version} (${report.proactive.generation === 'modern' ? '6.2+' : '3.x'})`],
          report.jre && ['Java', `${report.jre.version} ${report.jre.arch}`],
          ['Took', formatDuration(report.timings.totalMs)],
        ]}
      />
      <section aria-labelledby="next-boot-title">
        <h3 id="next-boot-title">What happens at next boot</h3>
        <ul>
          {report.atNextBoot.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      </section>
      <Warnings items={[...report.warnings, ...report.notices]} label="Run warnings" />
      <div className="row">
        {client.kind === 'electron' ? (
          <button
            type="button"
            onClick={async () => {
              const r = await client.call('shell.showInFolder', { path: report.image.path });
              setShown(r.ok ? undefined : r.error);
            }}
          >
            Show in folder
          </button>
        ) : null}
        <button type="button" className="primary" onClick={another}>Prepare another image</button>
      </div>
      {shown ? <ErrorBox error={shown} /> : null}
    </section>
  );
}

/** The last run was a batch (run.startBatch) or one image (run.start): each has its own view. */
export function ResultStep() {
  const batch = useWizard((s) => s.batch.status !== 'idle');
  return batch ? <BatchResultStep /> : <SingleResultStep />;
}
