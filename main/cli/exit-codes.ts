// Documented exit codes (README "Exit codes"). Scripts that drive guestprep branch on these, so they are
// grouped by what the user has to change, not by where in the code the error arose.

import type { ErrorCode } from '../engine/api';

export const EXIT = {
  ok: 0,
  /** A step, the verification or the commit failed. The image is unchanged (commit failures say otherwise). */
  runFailed: 1,
  /** Bad command line or settings (including an http:// manager URL). */
  usage: 2,
  /** The image was refused before any launch: missing, not a disk, locked, differencing, streamOptimized... */
  imageRefused: 3,
  /**
   * The guest cannot take the node: no OS, several, unsupported, no boot hook, not enough space; or, for
   * retarget and remove, it has no Guestprep install (GUEST_NOT_PREPARED).
   */
  guestRefused: 4,
  /** An archive was refused: not a JRE, not ProActive, wrong OS/arch, unsafe or corrupt. */
  archiveRefused: 5,
  /** The host lacks something: libguestfs, qemu-img, a working appliance. */
  environment: 6,
  internal: 70,
  /** Cancelled (Ctrl-C). The image is unchanged. */
  cancelled: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'CANCELLED') return EXIT.cancelled;
  if (code === 'INTERNAL') return EXIT.internal;
  if (code === 'SETTING_INVALID' || code === 'CREDENTIALS_UNREADABLE') return EXIT.usage;
  if (code.startsWith('IMAGE_') || code === 'RECOVERY_PENDING') return EXIT.imageRefused;
  if (code.startsWith('GUEST_')) return EXIT.guestRefused;
  if (code.startsWith('ARCHIVE_') || code.startsWith('JRE_') || code.startsWith('PROACTIVE_')) return EXIT.archiveRefused;
  if (code === 'LIBGUESTFS_MISSING' || code === 'QEMU_IMG_MISSING' || code.startsWith('APPLIANCE_') || code.startsWith('STORE_')) return EXIT.environment;
  return EXIT.runFailed;
}
