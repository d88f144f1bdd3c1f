// Archives streamed into a Windows guest without archive disks: a warm session (its appliance was up before
// the archives were chosen, and libguestfs cannot add drives to a running appliance), or a host without
// sqfstar. `tar-in` straight into NTFS writes through ntfs-3g in small pieces, 23.5 s for the 100 MB of a
// run under emulation (docs/performance.md), longer than a cold run with archive disks takes in all.
//
// So each such `tar-in` goes into a tmpfs mounted on a staging folder next to the target, and the tree is
// copied from there with large files written directly (archive-copy.ts), then the tmpfs is unmounted and
// its folder removed:
//
//   debug sh (mkdir STAGING, mount tmpfs on it), tar-in ARCHIVE STAGING, debug sh (copy STAGING -> TARGET,
//   umount, rmdir)
//
// The tmpfs lives in the appliance's memory (1280 MB by default, tmpfs takes at most half): an archive whose
// tar is larger than STAGE_MAX_BYTES keeps its plain `tar-in`. The staging folder exists only while that
// archive is copied; a failure abandons the whole overlay anyway.

import { applianceShellCommand, fitsOneLine } from '../guestfish/appliance-shell';
import type { PlanStep } from '../types';
import { archiveCopyCommand, stagingScript } from './archive-copy';
import { replaceTarIns } from './archive-disks';

/**
 * Largest tar staged in memory. tmpfs rounds every file up to whole 4 KiB pages, so a tar of many small
 * files takes up to 4 times its size there: 256 MiB stays within the 640 MB tmpfs of a default appliance.
 */
export const STAGE_MAX_BYTES = 256 * 1024 * 1024;

/** The plan's steps with each `tar-in` of an archive (up to STAGE_MAX_BYTES) staged in memory. */
export function stageInMemory(steps: PlanStep[], opts: { direct: boolean }): PlanStep[] {
  return replaceTarIns(steps, (ref, target, tarIn) => {
    if (ref.bytes > STAGE_MAX_BYTES) return undefined;
    const staged = `${target}.guestprep-staging`;
    const mount = stagingScript(staged);
    const copy = archiveCopyCommand({ from: { staged }, to: target, direct: opts.direct });
    if (!copy || !fitsOneLine(mount)) return undefined;
    return [applianceShellCommand(mount), { argv: ['tar-in', tarIn.argv[1], staged] }, copy];
  });
}
