// React access to the client and the wizard store. One store per client: tests make their own pair.

import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { GuestprepClient } from '../../../main/contract/contract';
import type { WizardState, WizardStore } from '../store/wizard';

interface Ctx {
  client: GuestprepClient;
  store: WizardStore;
}

const AppContext = createContext<Ctx | null>(null);

export function AppProvider({ client, store, children }: Ctx & { children: ReactNode }) {
  return <AppContext.Provider value={{ client, store }}>{children}</AppContext.Provider>;
}

function useCtx(): Ctx {
  const c = useContext(AppContext);
  if (!c) throw new Error('AppProvider is missing');
  return c;
}

export const useClient = (): GuestprepClient => useCtx().client;

export function useWizard<T>(selector: (s: WizardState) => T): T {
  return useStore(useCtx().store, selector);
}

export const useWizardStore = (): WizardStore => useCtx().store;
