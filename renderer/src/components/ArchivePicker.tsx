// Path field + drop zone for an archive (JRE or ProActive distribution). Detection runs when a file is
// dropped, on Enter in the field, or with the Detect button; its answer is rendered by the step.

import type { FormEvent } from 'react';
import { useClient, useWizard } from '../api/context';
import { ARCHIVE_EXTENSIONS, partitionByExtension } from '../../../main/rules/formats';
import { DropZone } from './DropZone';
import { ErrorBox } from './ErrorBox';
import { useState } from 'react';

export function ArchivePicker({ role, what }: { role: 'jre' | 'proactive'; what: string }) {
  const client = useClient();
  const state = useWizard((s) => s[role]);
  const setPath = useWizard((s) => s.setArchivePath);
  const detect = useWizard((s) => s.detectArchive);
  const clear = useWizard((s) => s.clearArchive);
  const [notice, setNotice] = useState<string>();
  const fieldId = `${role}-path`;
  const hintId = `${role}-path-hint`;
  const errId = `${role}-path-error`;

  const onFiles = (files: File[], paths: Array<string | undefined>) => {
    const { accepted, refused } = partitionByExtension(files.slice(0, 1), ARCHIVE_EXTENSIONS, 'an archive');
    if (refused.length) {
      setNotice(`${refused[0]!.name} was refused: ${refused[0]!.reason}.`);
      return;
    }
    // The drop zone already asked the client, and fell back to a file:// URI list (browser bridge).
    const path = paths[0] ?? client.pathForFile(accepted[0]!);
    if (!path) {
      setNotice(`The path of ${accepted[0]!.name} cannot be read here (browser page): type or paste its full path in the field.`);
      return;
    }
    setNotice(undefined);
    setPath(role, path);
    void detect(role, path);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void detect(role);
  };

  return (
    <div className="archive-picker">
      <DropZone
        label={`Drop the ${what} archive or choose one`}
        hint={`${ARCHIVE_EXTENSIONS.join(', ')}`}
        accept={ARCHIVE_EXTENSIONS}
        onFiles={onFiles}
        testId={`${role}-drop`}
        disabled={state.status === 'busy'}
      />
      {notice ? <p className="notice" role="alert">{notice}</p> : null}
      <form className="path-form" onSubmit={submit}>
        <label htmlFor={fieldId}>{what} archive path</label>
        <div className="row">
          <input
            id={fieldId}
            type="text"
            spellCheck={false}
            autoComplete="off"
            value={state.path}
            aria-describedby={state.status === 'error' ? `${hintId} ${errId}` : hintId}
            aria-invalid={state.status === 'error' || undefined}
            onChange={(e) => setPath(role, e.currentTarget.value)}
          />
          <button type="submit" disabled={!state.path.trim() || state.status === 'busy'}>Detect</button>
          {state.path ? <button type="button" onClick={() => clear(role)}>Clear</button> : null}
        </div>
        <p className="hint" id={hintId}>The full path on the machine that runs Guestprep; press Enter to read it.</p>
      </form>
      <div aria-live="polite" className="status-line">
        {state.status === 'busy' ? <span><progress aria-label={`Reading the ${what} archive`} /> Reading the archive (large archives take a few seconds)…</span> : null}
      </div>
      {state.status === 'error' && state.error ? <ErrorBox id={errId} error={state.error} /> : null}
    </div>
  );
}
