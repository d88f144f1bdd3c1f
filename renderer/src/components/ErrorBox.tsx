// An error as the contract carries it: what happened, and what to do about it (the fix is never hidden).

import type { ErrorData } from '../../../main/contract/contract';

export function ErrorBox({ error, id, title }: { error: ErrorData; id?: string; title?: string }) {
  return (
    <div className="error-box" role="alert" id={id} data-testid="error">
      <p className="error-message">
        {title ? <strong>{title}: </strong> : null}
        {error.message}
      </p>
      <p className="error-fix">
        <strong>Fix: </strong>
        <span data-testid="error-fix">{error.fix}</span>
      </p>
      <p className="error-code">
        <code>{error.code}</code>
        {error.step ? <> in step <code>{error.step}</code></> : null}
      </p>
      {error.detail ? (
        <details>
          <summary>Details</summary>
          <pre className="detail">{error.detail}</pre>
        </details>
      ) : null}
    </div>
  );
}

export function Warnings({ items, label = 'Warnings' }: { items: readonly string[]; label?: string }) {
  if (items.length === 0) return null;
  return (
    <section className="warnings" aria-label={label}>
      <ul>
        {items.map((w, i) => (
          <li key={i} className="warning">
            <span aria-hidden="true">⚠ </span>
            {w}
          </li>
        ))}
      </ul>
    </section>
  );
}
