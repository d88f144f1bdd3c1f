// Past runs: filter by text and outcome, open one to read its log, error and fix.

import { useEffect, useState } from 'react';
import type { ErrorData, HistoryEntry, RunOutcome } from '../../../main/contract/contract';
import { useClient } from '../api/context';
import { ErrorBox } from '../components/ErrorBox';
import { formatDuration } from '../../../main/rules/units';

const OUTCOMES: RunOutcome[] = ['success', 'failed', 'cancelled', 'interrupted'];
export const HISTORY_DEBOUNCE_MS = 250;

export function HistoryView() {
  const client = useClient();
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<RunOutcome | ''>('');
  const [entries, setEntries] = useState<HistoryEntry[]>();
  const [error, setError] = useState<ErrorData>();
  const [open, setOpen] = useState<HistoryEntry>();

  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      void client.call('history.list', { text: text.trim() || undefined, outcome: outcome || undefined, limit: 200 }).then((r) => {
        if (!live) return;
        if (r.ok) {
          setEntries(r.value);
          setError(undefined);
        } else setError(r.error);
      });
    }, HISTORY_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, text, outcome]);

  const show = async (id: string) => {
    const r = await client.call('history.get', { id });
    if (r.ok) setOpen(r.value);
    else setError(r.error);
  };

  return (
    <section className="history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <form className="row" onSubmit={(e) => e.preventDefault()} aria-label="Filter runs">
        <label htmlFor="history-text">Filter</label>
        <input id="history-text" type="search" value={text} onChange={(e) => setText(e.currentTarget.value)} placeholder="image, preset…" />
        <label htmlFor="history-outcome">Outcome</label>
        <select id="history-outcome" value={outcome} onChange={(e) => setOutcome(e.currentTarget.value as RunOutcome | '')}>
          <option value="">any</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>{o}</option>
          ))}
        </select>
      </form>
      {error ? <ErrorBox error={error} title="History" /> : null}
      {!entries ? (
        <p aria-live="polite">Loading…</p>
      ) : entries.length === 0 ? (
        <p>No runs match.</p>
      ) : (
        <table className="history-table">
          <caption className="sr-only">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Image</th>
              <th scope="col">Preset</th>
              <th scope="col">Outcome</th>
              <th scope="col">Duration</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {entries.map((h) => (
              <tr key={h.id} data-testid={`history-${h.id}`} aria-selected={open?.id === h.id}>
                <td>{new Date(h.startedAt).toLocaleString()}</td>
                <td><code>{h.image}</code></td>
                <td>{h.preset ?? ''}</td>
                <td><span className={`badge outcome-${h.outcome ?? 'running'}`}>{h.outcome ?? 'running'}</span></td>
                <td>{formatDuration(h.durationMs)}</td>
                <td>
                  <button type="button" onClick={() => void show(h.id)} aria-label={`Show the log of the run of ${new Date(h.startedAt).toLocaleString()}`}>
                    Show log
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open ? (
        <section aria-labelledby="run-detail-title" className="run-detail">
          <h3 id="run-detail-title">Run {open.id}</h3>
          <p>
            <code>{open.image}</code> — {open.outcome ?? 'running'}
            {open.report?.verification ? `, ${open.report.verification.checked} checks` : ''}
          </p>
          {open.error ? <ErrorBox error={open.error} /> : null}
          <pre className="log" data-testid="history-log" tabIndex={0} aria-label="Run log">{(open.log ?? []).join('\n')}</pre>
        </section>
      ) : null}
    </section>
  );
}
