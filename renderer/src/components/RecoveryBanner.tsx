// Told once, at start: what Guestprep did about runs a crash (or a kill, or a power loss) had interrupted.
// Rolled back and finished runs are news; pending or failed ones carry the fix and stay until dismissed.

import { useEffect, useState } from 'react';
import type { RecoveryStatus } from '../../../main/contract/contract';
import { useClient } from '../api/context';
import { ErrorBox } from './ErrorBox';

export function RecoveryBanner() {
  const client = useClient();
  const [status, setStatus] = useState<RecoveryStatus | undefined>();
  const [dismissed, setDismissed] = useState(false);
  useEffect(() => {
    let live = true;
    void client.call('recovery.status', {}).then((r) => {
      if (!live) return;
      if (r.ok) setStatus(r.value);
      else setStatus({ running: false, outcomes: [], error: r.error });
    });
    return () => {
      live = false;
    };
  }, [client]);
  if (dismissed || !status || (status.outcomes.length === 0 && !status.error)) return null;
  return (
    <section className="recovery-banner" aria-label="Interrupted runs" data-testid="recovery-banner">
      <h2>Interrupted runs</h2>
      {status.error ? <ErrorBox error={status.error} title="Recovery could not run" /> : null}
      <ul>
        {status.outcomes.map((o) =>
          o.error ? (
            <li key={o.runId}>
              <ErrorBox error={o.error} title={o.action === 'pending' ? 'Not finished yet' : 'Recovery failed'} />
            </li>
          ) : (
            <li key={o.runId} className={`recovery-${o.action}`}>
              {o.message}
            </li>
          ),
        )}
      </ul>
      <button type="button" onClick={() => setDismissed(true)}>
        Dismiss
      </button>
    </section>
  );
}
