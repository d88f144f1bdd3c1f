// A flavour installs what starts the node at boot on one init system. Each is one module, registered in
// registry.ts; adding one (OpenRC, say) means a module, its test, and a line in the table.

import type { InitSystem } from '../../types';
import type { PlanContext, Section } from '../common';

export interface Flavour {
  init: InitSystem;
  /** The steps after the launcher is written: install and enable the boot service. */
  build(ctx: PlanContext): Section;
}
