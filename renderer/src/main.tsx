// Entry: pick the client (Electron preload or browser bridge), make the store, render.

import { createRoot } from 'react-dom/client';
import { AppProvider } from './api/context';
import { getClient } from './api/client';
import { releaseWarmOnClose } from './api/release-on-close';
import { App } from './App';
import { createWizardStore } from './store/wizard';
import './styles.css';

async function start(): Promise<void> {
  const root = document.getElementById('root')!;
  try {
    const client = await getClient();
    const store = createWizardStore(client);
    releaseWarmOnClose(client);
    createRoot(root).render(
      <AppProvider client={client} store={store}>
        <App />
      </AppProvider>,
    );
  } catch (e) {
    // No backend to talk to: say so plainly rather than show a dead wizard.
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.className = 'fatal';
    p.textContent = `Guestprep cannot reach its backend: ${e instanceof Error ? e.message : String(e)}. Start it with the desktop app or the bridge, then reload.`;
    root.replaceChildren(p);
  }
}

void start();
