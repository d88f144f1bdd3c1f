// A flavour installs what starts the node at boot on one init system. Each is one module, registered in
// registry.ts; adding one (OpenRC, say) means a module, its test, and a line in the table.

import type { InitSystem } from '../../types';
import type { PlanContext, Section } from '../common';

export interface Flavour {
  init: InitSystem;
  /**
   * Directories outside the install directory that build() creates (mkdir -p) when the guest lacks them.
   * Inspection says which exist; the plan records those it creates, and `remove` deletes them again.
   */
  createsDirs: readonly string[];
  /**
   * Every file and link build() may create for a service of this name, outside the install directory's
   * fixed layout (plan/install-layout.ts) and rc.local: exactly these names, built by the same helpers as
   * build(). `remove` and an update delete nothing else that a record lists (plan/record-check.ts).
   */
  ownFiles(serviceName: string, installDir: string): string[];
  /** The steps after the launcher is written: install and enable the boot service. */
  build(ctx: PlanContext): Section;
  /**
   * A retarget (plan/retarget.ts): write again, from the same texts as build(), only the files of the boot
   * service that carry the manager settings (node name, Resource Manager URL, credentials path).
   */
  retarget(ctx: PlanContext): Section;
}
