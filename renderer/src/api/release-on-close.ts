// When the page goes away (window closed, reloaded, navigated off), the appliances kept up ("warm") since
// the inspections are no longer wanted: ask the backend to end them all now rather than at its idle timeout.

import type { GuestprepClient } from '../../../main/contract/contract';

type Target = Pick<Window, 'addEventListener' | 'removeEventListener'>;

/** Installs the hooks; returns their removal. */
export function releaseWarmOnClose(client: GuestprepClient, target: Target = window): () => void {
  // 'beforeunload' and 'pagehide' both fire on a close: one call is enough.
  let sent = false;
  const onClose = () => {
    if (sent) return;
    sent = true;
    void client.call('image.release', {});
  };
  // Back from the back/forward cache: a later close must release again.
  const onShow = () => {
    sent = false;
  };
  target.addEventListener('pagehide', onClose);
  target.addEventListener('beforeunload', onClose);
  target.addEventListener('pageshow', onShow);
  return () => {
    target.removeEventListener('pagehide', onClose);
    target.removeEventListener('beforeunload', onClose);
    target.removeEventListener('pageshow', onShow);
  };
}
