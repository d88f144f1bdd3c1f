// Renders the app (or one component) inside the providers with a fake client and a fresh store.

import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { AppProvider } from '../api/context';
import { createWizardStore, type WizardData } from '../store/wizard';
import type { FakeClient } from './fake-client';

export function renderWith(ui: ReactElement, client: FakeClient, initial: Partial<WizardData> = {}) {
  const store = createWizardStore(client, initial);
  const utils = render(
    <AppProvider client={client} store={store}>
      {ui}
    </AppProvider>,
  );
  return { ...utils, store };
}

/** A DataTransfer-like object for drop events (jsdom has no DataTransfer constructor). */
export function dataTransfer(files: File[]) {
  return { files, types: ['Files'], dropEffect: 'none', items: files.map((f) => ({ kind: 'file', type: f.type, getAsFile: () => f })) };
}

export const file = (name: string) => new File(['x'], name);
