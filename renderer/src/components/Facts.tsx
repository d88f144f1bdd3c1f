// A definition list of label/value pairs: how the steps show what was found.

import type { ReactNode } from 'react';

export function Facts({ items, label }: { items: Array<[string, ReactNode] | false | undefined>; label: string }) {
  return (
    <dl className="facts" aria-label={label}>
      {items.filter((x): x is [string, ReactNode] => Array.isArray(x)).map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
