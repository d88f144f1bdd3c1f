// Step 5: where and how the node joins. The URL is checked on every keystroke (locally, with the engine's
// own rule from main/rules); the whole form is validated by the backend ('settings.validate'), debounced, and its
// error is shown under the field it is about, with its fix. In a batch the node name is a pattern,
// checked locally as it is typed (the backend validates names, not patterns).

import { useEffect, type ReactNode } from 'react';
import type { ErrorData } from '../../../main/contract/contract';
import { useWizard } from '../api/context';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { NodeNamePreview } from '../components/NodeNamePreview';
import { StepHeading } from '../components/StepHeading';
import { fieldOfError } from '../lib/field-of-error';
import { isNodeNamePattern } from '../../../main/rules/names';
import { checkRmUrl, PROTOCOL_HINTS, rmProtocolOf } from '../../../main/rules/rm-url';
import { batchImages, batchNameCheck, type ManagerForm } from '../store/wizard';
import { Presets } from './Presets';

export const VALIDATE_DEBOUNCE_MS = 350;

function Field(props: {
  id: keyof ManagerForm;
  label: string;
  hint: ReactNode;
  error?: { message: string; fix: string };
  disabled?: boolean;
  placeholder?: string;
  multiline?: boolean;
  inputMode?: 'numeric';
}) {
  const value = useWizard((s) => s.form[props.id]);
  const setField = useWizard((s) => s.setField);
  const hintId = `${props.id}-hint`;
  const errId = `${props.id}-error`;
  const common = {
    id: props.id,
    value,
    disabled: props.disabled,
    placeholder: props.placeholder,
    spellCheck: false,
    autoComplete: 'off',
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': props.error ? `${hintId} ${errId}` : hintId,
  } as const;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => setField(props.id, e.currentTarget.value)} />
      ) : (
        <input {...common} type="text" inputMode={props.inputMode} onChange={(e) => setField(props.id, e.currentTarget.value)} />
      )}
      <p className="hint" id={hintId}>{props.hint}</p>
      {props.error ? (
        <p className="field-error" id={errId} role="alert">
          {props.error.message}. <span className="fix">Fix: {props.error.fix}</span>
        </p>
      ) : null}
    </div>
  );
}

export function ManagerStep() {
  const mode = useWizard((s) => s.mode);
  const existing = useWizard((s) => s.inspect.report?.guest.existing?.record);
  const leaveRetarget = useWizard((s) => s.leaveRetarget);
  const retargeting = mode === 'retarget' && existing !== undefined;
  const form = useWizard((s) => s.form);
  const formSeq = useWizard((s) => s.formSeq);
  const validation = useWizard((s) => s.validation);
  const validate = useWizard((s) => s.validateSettings);
  const chosenGeneration = useWizard((s) => s.proactive.info?.generation);
  const hostname = useWizard((s) => s.inspect.report?.guest.hostname);
  const inspected = useWizard((s) => s.inspect.path);
  // Joined so the selector returns a primitive (a new array on every call would re-render forever).
  const images = useWizard((s) => batchImages(s)?.join('\n'))?.split('\n');
  const inspectState = useWizard((s) => s.inspect);

  const generation = retargeting ? existing.proactive.generation : chosenGeneration;

  // Debounced: typing a URL must not fire a backend call per keystroke; each form change restarts it.
  useEffect(() => {
    // A retarget has no archives to validate against: the run checks the settings before any launch.
    if (retargeting) return;
    if (validation.seq === formSeq && validation.status !== 'idle') return;
    // Nothing worth a round trip: the local URL check already says what is wrong.
    if (!checkRmUrl(form.rmUrl).ok) return;
    const t = setTimeout(() => void validate(), VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [formSeq, form.rmUrl, validate, validation.seq, validation.status, retargeting]);

  const url = checkRmUrl(form.rmUrl);
  const protocol = rmProtocolOf(form.rmUrl);
  const urlTyped = form.rmUrl.trim() !== '';
  const current = validation.seq === formSeq;
  const backendError: ErrorData | undefined = current && validation.status === 'error' ? validation.error : undefined;
  const errField = backendError ? fieldOfError(backendError) : undefined;
  // An error the engine ties to no field of this form (the Java runtime, the install folder...) is shown for the whole form.
  const formError = backendError && !errField ? backendError : undefined;
  const errorFor = (f: keyof ManagerForm) => (errField === f && backendError ? backendError : undefined);
  const urlError = urlTyped && !url.ok ? url.problem : errorFor('rmUrl');
  const legacy = generation === 'legacy';
  const names = images ? batchNameCheck({ form, inspect: inspectState }, images.length) : undefined;
  const nameError = names && !names.ok ? names.problem : errorFor('nodeName');
  const sameName = images && form.nodeName.trim() && !isNodeNamePattern(form.nodeName) ? form.nodeName.trim() : undefined;

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Manager</StepHeading>
      {retargeting ? (
        <div className="note" data-testid="retarget-note">
          <p>
            Changing only the manager of the node installed in <code>{existing.installDir}</code> (now <code>{existing.rmUrl}</code>): the node's
            start script and service files are written again with these settings; the Java runtime and the node are not uploaded again.
          </p>
          <button type="button" onClick={leaveRetarget}>Prepare the image instead</button>
        </div>
      ) : (
        <Presets />
      )}
      <form className="manager-form" onSubmit={(e) => e.preventDefault()} aria-label="Node settings">
        <Field
          id="rmUrl"
          label="Resource Manager URL"
          placeholder={legacy ? 'rmi://rm.example.org:1099' : 'pnp://rm.example.org:64738'}
          error={urlError}
          hint={
            <span data-testid="rm-hint">
              {protocol ? PROTOCOL_HINTS[protocol] : 'pnp://HOST:64738, pnps://HOST:64739, pamr://0 (through a router, for VMs behind NAT) or rmi://HOST:1099 (3.x). Not the http:// portal address.'}
            </span>
          }
        />
        <Field id="nodeSource" label="Node source" placeholder="Default" hint="The node source must already exist in the Resource Manager (Default always does), else the node exits." error={errorFor('nodeSource')} />
        {images ? (
          <Field
            id="nodeName"
            label="Node name"
            placeholder="node-{n}"
            error={nameError}
            hint={
              <span data-testid="node-name-pattern-hint">
                One name per image, from a pattern: <code>{'node-{n}'}</code> numbers them in the order of the list (node-1, node-2, …),{' '}
                <code>{'{hostname}'}</code> takes each guest's hostname; mix them with letters, digits, dots, dashes or underscores. Empty: each node takes its
                guest's hostname.
              </span>
            }
          />
        ) : (
          <Field id="nodeName" label="Node name" placeholder={hostname || 'guest hostname'} hint="Empty: the guest's hostname is used." error={errorFor('nodeName')} />
        )}
        {images && (!names || names.ok) ? <NodeNamePreview images={images} pattern={form.nodeName} inspected={inspected} hostname={hostname} /> : null}
        {sameName ? <Warnings items={[`Every one of the ${images!.length} nodes would be named ${sameName}: add {n} or {hostname} to tell them apart in the Resource Manager.`]} label="Node name warning" /> : null}
        <Field
          id="workers"
          label="Workers"
          inputMode="numeric"
          placeholder={legacy ? 'not available in 3.x' : 'number of CPUs'}
          disabled={legacy}
          hint={legacy ? 'ProActive 3.x nodes have no workers option (its -w is a join timeout).' : 'Tasks the node runs at once. Empty: one per CPU of the VM.'}
          error={errorFor('workers')}
        />
        <Field
          id="credentialsFile"
          label="Credentials file"
          placeholder="/path/to/node.cred"
          hint={retargeting
            ? `Host path of a .cred file for the new manager. Empty: ${existing.hasCredentials ? 'the node keeps the credentials file it has' : "the distribution's default"}.`
            : "Host path of a .cred file made with the server's create-cred tool; installed readable by the service user only. Empty: the distribution's default."}
          error={errorFor('credentialsFile')}
        />
        {retargeting ? null : (
          <>
            <Field id="serviceUser" label="Service user" placeholder="same as the service name" hint="The guest user the node runs as; a dedicated system user is created. Type root only if you really need it." error={errorFor('serviceUser')} />
            <Field id="jvmOptions" label="JVM options" multiline hint="One per line, e.g. -Dproactive.pamr.router.address=ROUTER_HOST for pamr." error={errorFor('jvmOptions')} />
          </>
        )}
      </form>
      {formError ? <ErrorBox error={formError} id="settings-error" title="The settings cannot be used" /> : null}
      {retargeting ? null : (
      <>
      <div aria-live="polite" className="status-line" data-testid="validation-status">
        {validation.status === 'busy' || (!current && urlTyped) ? 'Checking the settings…' : current && validation.status === 'ok' ? 'Settings are valid.' : ''}
      </div>
      {current && validation.status === 'ok' && validation.settings ? (
        <p className="note" data-testid="resolved">
          {images ? (
            <>
              The {images.length} nodes (<strong>{validation.settings.nodeName}</strong> for the inspected image) join
            </>
          ) : (
            <>
              The node <strong>{validation.settings.nodeName}</strong> joins
            </>
          )} <code>{validation.settings.rm.url}</code> in node source{' '}
          <strong>{validation.settings.nodeSource}</strong>, as service <code>{validation.settings.serviceName}</code> run by{' '}
          <code>{validation.settings.serviceUser}</code>, installed in <code>{validation.settings.installDir}</code>.
        </p>
      ) : null}
      {current && validation.status === 'ok' ? <Warnings items={[...(validation.settings?.rm.note ? [validation.settings.rm.note] : []), ...validation.warnings]} label="Settings warnings" /> : null}
      </>
      )}
    </section>
  );
}
