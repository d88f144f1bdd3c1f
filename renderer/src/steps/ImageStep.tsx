// Step 1: which disk image. Three ways in: drop/pick files, type a path, or choose a disk of one of the
// user's VirtualBox VMs. Choosing one inspects it (read-only) and moves on to the Guest step.
// Several dropped images can be prepared together (one batch); the selected one is inspected for the
// Guest and Review steps, the others by the run.

import { useEffect, useState, type FormEvent } from 'react';
import type { ErrorData, VboxVm } from '../../../main/contract/contract';
import { useClient, useWizard } from '../api/context';
import { DropZone } from '../components/DropZone';
import { ErrorBox } from '../components/ErrorBox';
import { StepHeading } from '../components/StepHeading';
import { DISK_EXTENSIONS } from '../../../main/rules/formats';
import { batchCandidates } from '../store/wizard';

function VboxList() {
  const client = useClient();
  const choose = useWizard((s) => s.chooseImage);
  const busy = useWizard((s) => s.inspect.status === 'busy');
  const [vms, setVms] = useState<VboxVm[]>();
  const [error, setError] = useState<ErrorData>();

  useEffect(() => {
    let live = true;
    void client.call('vbox.list', {}).then((r) => {
      if (!live) return;
      if (r.ok) setVms(r.value);
      else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client]);

  return (
    <section className="vbox" aria-labelledby="vbox-title">
      <h3 id="vbox-title">VirtualBox VMs</h3>
      {error ? (
        <p className="notice" data-testid="vbox-error">VirtualBox VMs are not listed: {error.message} ({error.fix})</p>
      ) : !vms ? (
        <p aria-live="polite">Looking for VirtualBox VMs…</p>
      ) : vms.length === 0 ? (
        <p>No VirtualBox VMs were found for this user.</p>
      ) : (
        <ul className="vm-list">
          {vms.map((vm) => (
            <li key={vm.uuid} className="vm" data-testid={`vm-${vm.name}`}>
              <div className="vm-head">
                <strong>{vm.name}</strong> <span className={`badge state-${vm.state}`}>{vm.state === 'poweroff' ? 'powered off' : vm.state}</span>
              </div>
              {vm.disks.length === 0 ? <p className="hint">No disks attached.</p> : null}
              <ul className="disk-list">
                {vm.disks.map((d, i) => {
                  const reason = !d.usable ? d.reason ?? 'This disk cannot be used.' : vm.state === 'running' ? 'The VM is running: power it off first (a running VM writes to its disk).' : undefined;
                  const reasonId = `vm-${vm.uuid}-disk-${i}-reason`;
                  return (
                    <li key={d.path} className="disk">
                      <button type="button" disabled={!!reason || busy} aria-describedby={reason ? reasonId : undefined} onClick={() => void choose(d.path)}>
                        Use {d.path.split(/[\\/]/).pop()}
                      </button>{' '}
                      <code className="path">{d.path}</code> <span className="badge">{d.format}</span>
                      {reason ? <p className="reason" id={reasonId}>{reason}</p> : null}
                    </li>
                  );
                })}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function ImageStep() {
  const client = useClient();
  const candidates = useWizard((s) => s.candidates);
  const refused = useWizard((s) => s.refused);
  const dropNotice = useWizard((s) => s.dropNotice);
  const imagePath = useWizard((s) => s.imagePath);
  const inspect = useWizard((s) => s.inspect);
  const addFiles = useWizard((s) => s.addImageFiles);
  const setPath = useWizard((s) => s.setImagePath);
  const choose = useWizard((s) => s.chooseImage);
  const batchMode = useWizard((s) => s.batchMode);
  const setBatchMode = useWizard((s) => s.setBatchMode);
  const batchable = useWizard((s) => batchCandidates(s).length);
  const busy = inspect.status === 'busy';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void choose(imagePath);
  };
  const pathHint =
    client.kind === 'bridge'
      ? 'The full path of the image on the machine that runs Guestprep. In this browser page dropped files cannot be located: type or paste the path here.'
      : 'The full path of the image; dropping a file fills it in.';

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Image</StepHeading>
      <p className="lead">Choose the disk image of a powered-off VM. It is only read now; it is changed at the Run step, in one transaction.</p>
      <DropZone
        label="Drop a disk image or choose one"
        hint={`${DISK_EXTENSIONS.join(', ')} — several at once is fine: the first is selected, or all are prepared together.`}
        accept={DISK_EXTENSIONS}
        multiple
        onFiles={addFiles}
        testId="image-drop"
        disabled={busy}
      />
      {refused.length ? (
        <div role="alert" className="refused" data-testid="refused">
          <p>Not disk images, so not used:</p>
          <ul>
            {refused.map((r) => (
              <li key={r.name}>
                <code>{r.name}</code>: {r.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {dropNotice ? <p className="notice" role="alert" data-testid="drop-notice">{dropNotice}</p> : null}
      {candidates.length > 1 ? (
        <fieldset className="candidates">
          <legend>Dropped images</legend>
          {candidates.map((c, i) => (
            <label key={`${c.name}-${i}`} className="radio">
              <input
                type="radio"
                name="candidate"
                checked={!!c.path && c.path === inspect.path}
                disabled={!c.path || busy}
                onChange={() => c.path && void choose(c.path)}
              />
              {c.name} {c.path ? <code className="path">{c.path}</code> : <em>(path unknown: type it below)</em>}
              {batchMode && c.path && c.path === inspect.path ? <span className="badge">inspected</span> : null}
            </label>
          ))}
          {batchable > 1 ? (
            <>
              <label className="check batch-choice">
                <input type="checkbox" checked={batchMode} onChange={(e) => setBatchMode(e.currentTarget.checked)} aria-describedby="batch-hint" />
                Prepare all {batchable} images together
              </label>
              <p className="hint" id="batch-hint">
                One appliance launch for all of them; each image keeps its own transaction, verification and result. The selected image is inspected now for the
                Guest and Review steps, the others during the run.
                {batchable < candidates.length ? ` ${candidates.length - batchable} without a known path ${candidates.length - batchable === 1 ? 'is' : 'are'} left out.` : ''}
              </p>
            </>
          ) : null}
        </fieldset>
      ) : null}
      <form className="path-form" onSubmit={submit}>
        <label htmlFor="image-path">Disk image path</label>
        <div className="row">
          <input
            id="image-path"
            type="text"
            spellCheck={false}
            autoComplete="off"
            value={imagePath}
            aria-describedby={inspect.status === 'error' ? 'image-path-hint image-error' : 'image-path-hint'}
            aria-invalid={inspect.status === 'error' || undefined}
            onChange={(e) => setPath(e.currentTarget.value)}
          />
          <button type="submit" disabled={!imagePath.trim() || busy}>Inspect</button>
        </div>
        <p className="hint" id="image-path-hint">{pathHint}</p>
      </form>
      <div aria-live="polite" className="status-line" data-testid="inspect-status">
        {busy ? (
          <span>
            <progress aria-label="Inspecting the image" /> Inspecting <code>{inspect.path}</code>… about 15 s (a small read-only appliance boots to look inside).
          </span>
        ) : null}
      </div>
      {inspect.status === 'error' && inspect.error ? <ErrorBox id="image-error" error={inspect.error} title="This image cannot be used" /> : null}
      <VboxList />
    </section>
  );
}
