// Step 8: what was done and verified, what happens at next boot, and the way to the next image. A retarget
// shows the manager before and after; a removal what it took out and restored.

import { useState, type ReactNode } from 'react';
import type { ErrorData, RunReport } from '../../../main/contract/contract';
import { useClient, useWizard } from '../api/context';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { Facts } from '../components/Facts';
import { StepHeading } from '../components/StepHeading';
import { BatchResultStep } from './BatchResultStep';
import { formatBytes, formatDuration } from '../../../main/rules/units';

type Item = [string, ReactNode] | false | undefined;

function summary(report: RunReport): { label: string; items: Item[] } {
  if (!('operation' in report)) {
    const st = report.settings;
    return {
      label: 'Installed node',
      items: [
        ['Image', <code key="i">{report.image.path}</code>],
        ['Node', `${st.nodeName} in ${st.nodeSource}`],
        ['Resource Manager', <code key="u">{st.rm.url}</code>],
        st.workers !== undefined && ['Workers', String(st.workers)],
        ['Service', `${st.serviceName}, user ${st.serviceUser}`],
        ['Install directory', <code key="d">{st.installDir}</code>],
        ['ProActive', `${report.proactive.version} (${report.proactive.generation === 'modern' ? '6.2+' : '3.x'})`],
        report.jre && ['Java', `${report.jre.version} ${report.jre.arch}`],
        ['Took', formatDuration(report.timings.totalMs)],
      ],
    };
  }
  if (report.operation === 'retarget') {
    const st = report.settings;
    return {
      label: 'Changed manager',
      items: [
        ['Image', <code key="i">{report.image.path}</code>],
        ['Resource Manager', <code key="u">{st.rm.url}</code>],
        report.previous.rmUrl !== st.rm.url && ['Before', <code key="b">{report.previous.rmUrl}</code>],
        ['Node', `${st.nodeName} in ${st.nodeSource}`],
        st.workers !== undefined && ['Workers', String(st.workers)],
        ['Uploaded', report.bytesStreamed === 0 ? 'no archive (0 bytes)' : `${formatBytes(report.bytesStreamed)} (the credentials file)`],
        ['Took', formatDuration(report.timings.totalMs)],
      ],
    };
  }
  return {
    label: 'Removed node',
    items: [
      ['Image', <code key="i">{report.image.path}</code>],
      ['Removed', `the node ${report.removed.nodeName} (${report.removed.rmUrl}) and its service ${report.removed.serviceName}`],
      ['From', <code key="d">{report.removed.installDir}</code>],
      ['Took', formatDuration(report.timings.totalMs)],
    ],
  };
}

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
  const s = summary(report);
  const removal = 'operation' in report && report.operation === 'remove';
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
      <Facts label={s.label} items={s.items} />
      <section aria-labelledby="next-boot-title">
        <h3 id="next-boot-title">{removal ? 'What was removed, and the next boot' : 'What happens at next boot'}</h3>
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
