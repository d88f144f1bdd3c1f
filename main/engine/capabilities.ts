// What this engine supports, announced to the page (the `engine.capabilities` call) so the wizard shows
// what the backend can do instead of keeping its own list: the guest OSes and boot targets it prepares,
// the image formats and archive kinds it reads. Built from the engine's own tables, so a new boot flavour
// or format shows up in the wizard without a change there.

import { ARCHIVE_KINDS, DISK_FORMATS } from '../rules/formats';
import type { BootTargetName, EngineCapabilities } from '../rules/guest-support';
import { FLAVOURS } from './plan/flavours/registry';
import { GUESTPREP_VERSION } from './version';

export function engineCapabilities(): EngineCapabilities {
  const linuxTargets = Object.keys(FLAVOURS) as BootTargetName[];
  return {
    version: GUESTPREP_VERSION,
    guestOses: ['linux', 'windows'],
    bootTargets: [...linuxTargets, 'windows-service'],
    imageFormats: DISK_FORMATS.map((f) => f.format),
    archiveKinds: ARCHIVE_KINDS.map((k) => k.kind),
  };
}
