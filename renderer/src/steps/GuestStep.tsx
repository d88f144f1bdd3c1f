// Step 2: what inspection found inside the image, and what deserves attention before going on. When it found
// a Guestprep install, two more ways on: change only its manager (a retarget: the Manager step, then the run,
// no archives), or remove it (after a confirmation, straight to the run).

import { useState } from 'react';
import { useWizard } from '../api/context';
import { Warnings } from '../components/ErrorBox';
import { Facts } from '../components/Facts';
import { StepHeading } from '../components/StepHeading';
import { basename } from '../lib/basename';
import { formatBytes, formatDuration } from '../../../main/rules/units';
import { batchImages } from '../store/wizard';
import { guestFactRows, guestSupport } from '../../../main/rules/guest-support';

/** Below this much free space a node with a bundled JRE will likely not fit (the plan checks exactly). */
const LOW_SPACE = 512 * 1024 * 1024;

/** The existing install's two actions. Removal asks first, in place: it deletes the node and its logs. */
function ExistingActions({ installDir, serviceName }: { installDir: string; serviceName: string }) {
  const beginRetarget = useWizard((s) => s.beginRetarget);
  const startRemoval = useWizard((s) => s.startRemoval);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="existing-actions">
      <div className="row">
        <button type="button" onClick={beginRetarget}>Change manager only</button>
        <button type="button" onClick={() => setConfirming(true)} disabled={confirming}>Remove Guestprep from this image…</button>
      </div>
      <p className="hint">Change manager only: point this node at another Resource Manager (or rename it) without uploading the archives again.</p>
      {confirming ? (
        <div role="alertdialog" aria-labelledby="remove-title" aria-describedby="remove-desc" className="confirm">
          <h4 id="remove-title">Remove the node from this image?</h4>
          <p id="remove-desc">
            This deletes <code>{installDir}</code> (the Java runtime, the node and its logs) and the boot service <code>{serviceName}</code>, and
            restores what Guestprep changed in the guest. The image is only written once everything has been checked.
          </p>
          <div className="row">
            <button type="button" className="danger" onClick={() => void startRemoval()}>Remove</button>
            <button type="button" onClick={() => setConfirming(false)} autoFocus>Keep it</button>
          </div>
        </div>
      ) : null}
    </div>
  );
}

export function GuestStep() {
  const report = useWizard((s) => s.inspect.report);
  const capabilities = useWizard((s) => s.capabilities);
  const batchCount = useWizard((s) => batchImages(s)?.length ?? 0);
  if (!report) {
    return (
      <section className="step" aria-labelledby="step-title">
        <StepHeading>Guest</StepHeading>
        <p>No image inspected yet.</p>
      </section>
    );
  }
  const g = report.guest;
  const warnings: string[] = [...report.notices];
  // Whether the engine prepares this guest is its own announcement, read by the shared rule.
  const support = capabilities ? guestSupport(g, capabilities) : undefined;
  if (support && !support.ok) warnings.push(`${support.problem.message} ${support.problem.fix}`);
  if (g.linux?.init === 'rclocal') warnings.push('Only rc.local was found: the node is started from it, without restart supervision by an init system.');
  if (g.freeBytes < LOW_SPACE) warnings.push(`Only ${formatBytes(g.freeBytes)} free on ${g.freeBytesMountpoint}: the node and its Java runtime may not fit.`);
  if (g.existing) warnings.push(`A Guestprep node is already installed (${g.existing.record.updatedAt ?? g.existing.record.installedAt}): preparing again replaces it, including its logs.`);
  const rec = g.existing?.record;

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Guest</StepHeading>
      {batchCount ? (
        <p className="note" data-testid="batch-guest-note">
          This is <code>{basename(report.image.path)}</code>, one of the {batchCount} images of the batch; the others are inspected during the run.
        </p>
      ) : null}
      <Facts
        label="Guest facts"
        items={[
          ...guestFactRows(g),
          ['Root device', <code key="r">{g.root}</code>],
          ['Image', `${report.image.format}${report.image.subformat ? ` (${report.image.subformat})` : ''}, ${formatBytes(report.image.virtualSize)} virtual, ${formatBytes(report.image.fileSize)} on disk`],
          ['Inspection took', formatDuration(report.timings.totalMs)],
        ]}
      />
      <Warnings items={warnings} label="Guest warnings" />
      {rec ? (
        <section aria-labelledby="existing-title" className="existing" data-testid="existing-install">
          <h3 id="existing-title">Existing node installation</h3>
          <Facts
            label="Existing installation"
            items={[
              ['Installed', `${rec.installedAt}${rec.updatedAt ? `, updated ${rec.updatedAt}` : ''} by Guestprep ${rec.guestprepVersion}`],
              ['Directory', <code key="d">{rec.installDir}</code>],
              ['Resource Manager', <code key="u">{rec.rmUrl}</code>],
              ['Node name', rec.nodeName],
              ['Node source', rec.nodeSource],
              rec.workers !== undefined && ['Workers', String(rec.workers)],
              ['Service', `${rec.serviceName} (${rec.init}), user ${rec.serviceUser}`],
              ['ProActive', `${rec.proactive.version} (${rec.proactive.generation === 'modern' ? '6.2+' : '3.x'})`],
              rec.jre && ['Java', `${rec.jre.version} ${rec.jre.arch}`],
              ['Credentials', rec.hasCredentials ? 'installed' : 'none'],
            ]}
          />
          <ExistingActions installDir={rec.installDir} serviceName={rec.serviceName} />
        </section>
      ) : null}
      {g.mountpoints.length ? (
        <details>
          <summary>Mountpoints ({g.mountpoints.length})</summary>
          <ul>
            {g.mountpoints.map((m) => (
              <li key={m.mountpoint}>
                <code>{m.mountpoint}</code> ← <code>{m.device}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
