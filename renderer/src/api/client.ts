// Which GuestprepClient the page talks through: the one Electron's preload injected as
// window.guestprep, else the WebSocket bridge served next to the page (browser mode, e2e tests).

import type { GuestprepClient } from '../../../main/contract/contract';

declare global {
  interface Window {
    guestprep?: GuestprepClient;
  }
}

export async function getClient(win: Window = window, bridgeUrl?: string): Promise<GuestprepClient> {
  if (win.guestprep) return win.guestprep;
  // Loaded lazily so the Electron build never opens a WebSocket nor ships the bridge code in its entry.
  const { connectBridge } = await import('./bridge-client');
  return connectBridge(bridgeUrl);
}
