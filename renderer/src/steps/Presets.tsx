// Saved manager settings: apply, save as, rename, delete, import and export as JSON. Names are asked
// in-page (window.prompt is blocked in Electron and hostile to screen readers).

import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ErrorData } from '../../../main/contract/contract';
import { useClient, useWizard } from '../api/context';
import { ErrorBox } from '../components/ErrorBox';
import { downloadText, readFileText } from '../lib/download';

type Mode = { kind: 'none' } | { kind: 'save' } | { kind: 'rename'; from: string } | { kind: 'import' };

export function Presets() {
  const client = useClient();
  const presets = useWizard((s) => s.presets);
  const current = useWizard((s) => s.preset);
  const load = useWizard((s) => s.loadPresets);
  const apply = useWizard((s) => s.applyPreset);
  const save = useWizard((s) => s.savePreset);
  const rename = useWizard((s) => s.renamePreset);
  const remove = useWizard((s) => s.deletePreset);
  const [selected, setSelected] = useState('');
  const [mode, setMode] = useState<Mode>({ kind: 'none' });
  const [name, setName] = useState('');
  const [json, setJson] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [error, setError] = useState<ErrorData>();
  const [status, setStatus] = useState('');
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void load().then((e) => e && setError(e));
  }, [load]);
  useEffect(() => {
    if (mode.kind === 'save' || mode.kind === 'rename') nameRef.current?.focus();
  }, [mode]);
  useEffect(() => {
    if (current) setSelected(current);
  }, [current]);

  const done = (e: ErrorData | undefined, msg: string) => {
    setError(e);
    if (!e) {
      setStatus(msg);
      setMode({ kind: 'none' });
    }
  };

  const submitName = async (ev: FormEvent) => {
    ev.preventDefault();
    const n = name.trim();
    if (!n) return;
    if (mode.kind === 'save') done(await save(n), `Saved preset "${n}".`);
    else if (mode.kind === 'rename') done(await rename(mode.from, n), `Renamed "${mode.from}" to "${n}".`);
  };

  const doExport = async () => {
    const r = await client.call('presets.export', selected ? { names: [selected] } : {});
    if (!r.ok) return setError(r.error);
    downloadText(selected ? `guestprep-preset-${selected}.json` : 'guestprep-presets.json', r.value.json, 'application/json');
    setStatus(selected ? `Exported "${selected}".` : 'Exported all presets.');
  };

  const doImport = async (ev: FormEvent) => {
    ev.preventDefault();
    const r = await client.call('presets.import', { json, overwrite });
    if (!r.ok) return setError(r.error);
    await load();
    const skipped = r.value.skipped.length ? `; skipped (already exist): ${r.value.skipped.join(', ')}` : '';
    done(undefined, `Imported ${r.value.imported.length ? r.value.imported.join(', ') : 'nothing'}${skipped}.`);
    setJson('');
  };

  return (
    <section className="presets" aria-labelledby="presets-title">
      <h3 id="presets-title">Presets</h3>
      <div className="row">
        <label htmlFor="preset-select">Preset</label>
        <select
          id="preset-select"
          value={selected}
          onChange={(e) => {
            const v = e.currentTarget.value;
            setSelected(v);
            if (v) {
              apply(v);
              setStatus(`Applied preset "${v}".`);
            }
          }}
        >
          <option value="">{presets.length ? '— choose a preset to apply —' : '— no presets saved —'}</option>
          {presets.map((p) => (
            <option key={p.name} value={p.name}>{p.name}</option>
          ))}
        </select>
        <button type="button" onClick={() => { setName(''); setMode({ kind: 'save' }); }}>Save as preset</button>
        <button type="button" disabled={!selected} onClick={() => { setName(selected); setMode({ kind: 'rename', from: selected }); }}>Rename</button>
        <button
          type="button"
          disabled={!selected}
          onClick={async () => {
            const n = selected;
            done(await remove(n), `Deleted preset "${n}".`);
            setSelected('');
          }}
        >
          Delete
        </button>
        <button type="button" onClick={() => void doExport()} disabled={!presets.length}>Export JSON</button>
        <button type="button" onClick={() => setMode({ kind: 'import' })}>Import JSON</button>
      </div>
      {mode.kind === 'save' || mode.kind === 'rename' ? (
        <form className="inline-form" onSubmit={submitName} aria-label={mode.kind === 'save' ? 'Save as preset' : 'Rename preset'}>
          <label htmlFor="preset-name">{mode.kind === 'save' ? 'New preset name' : `New name for "${mode.from}"`}</label>
          <input id="preset-name" ref={nameRef} value={name} onChange={(e) => setName(e.currentTarget.value)} onKeyDown={(e) => e.key === 'Escape' && setMode({ kind: 'none' })} />
          <button type="submit" disabled={!name.trim()}>{mode.kind === 'save' ? 'Save' : 'Rename'}</button>
          <button type="button" onClick={() => setMode({ kind: 'none' })}>Cancel</button>
        </form>
      ) : null}
      {mode.kind === 'import' ? (
        <form className="inline-form import" onSubmit={doImport} aria-label="Import presets">
          <label htmlFor="preset-json">Presets JSON (paste, or choose a file)</label>
          <textarea id="preset-json" rows={6} value={json} onChange={(e) => setJson(e.currentTarget.value)} spellCheck={false} />
          <label htmlFor="preset-file">JSON file</label>
          <input
            id="preset-file"
            type="file"
            accept=".json,application/json"
            onChange={async (e) => {
              const f = e.currentTarget.files?.[0];
              if (f) setJson(await readFileText(f));
            }}
          />
          <label className="check">
            <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.currentTarget.checked)} /> Replace presets of the same name
          </label>
          <button type="submit" disabled={!json.trim()}>Import</button>
          <button type="button" onClick={() => setMode({ kind: 'none' })}>Cancel</button>
        </form>
      ) : null}
      <p aria-live="polite" className="status-line" data-testid="preset-status">{status}</p>
      {error ? <ErrorBox error={error} title="Presets" /> : null}
    </section>
  );
}
