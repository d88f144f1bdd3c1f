// The table of init-system flavours. Typed over every InitSystem, so a new init system in types.ts does
// not compile until it has a flavour here.

import type { InitSystem } from '../../types';
import type { Flavour } from './flavour';
import { rcLocalFlavour } from './rclocal';
import { systemdFlavour } from './systemd';
import { sysvinitFlavour } from './sysvinit';

export const FLAVOURS: { readonly [K in InitSystem]: Flavour } = {
  systemd: systemdFlavour,
  sysvinit: sysvinitFlavour,
  rclocal: rcLocalFlavour,
};
