// The Result step of a batch: each image with its node and verification, or its error and fix.

import type { BatchItem } from '../store/batch-run';
import { basename } from '../lib/basename';
import { ErrorBox } from './ErrorBox';

function verified(v: { checked: number; failures: string[] } | undefined): string {
  if (!v) return 'done (not verified)';
  return v.failures.length === 0 ? `verified: ${v.checked} checks passed` : `${v.checked - v.failures.length} of ${v.checked} checks passed`;
}

export function BatchResultList({ items }: { items: readonly BatchItem[] }) {
  return (
    <ol className="batch-list" aria-label="Results">
      {items.map((it, i) => {
        const name = basename(it.image);
        const r = it.run;
        return (
          <li key={it.image} className={`batch-item ${r.status}`} data-testid={`batch-result-${i + 1}`}>
            <p>
              <strong>{name}</strong> <code className="path">{it.image}</code>
            </p>
            {r.status === 'success' && r.report && !('operation' in r.report) ? (
              <>
                <p className="success">
                  ✓ Node <strong>{r.report.settings.nodeName}</strong> joins <code>{r.report.settings.rm.url}</code>; {verified(r.report.verification)}.
                </p>
                {r.report.verification?.failures.length ? (
                  <ul className="failures" aria-label={`Verification failures of ${name}`}>
                    {r.report.verification.failures.map((f, k) => (
                      <li key={k}>{f}</li>
                    ))}
                  </ul>
                ) : null}
              </>
            ) : r.status === 'failed' && r.error ? (
              <ErrorBox error={r.error} title={`${name} was not prepared`} />
            ) : (
              <p className="note">Cancelled: the image was left unchanged.</p>
            )}
          </li>
        );
      })}
    </ol>
  );
}
