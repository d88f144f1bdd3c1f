// Archives unpacked once per batch appliance. Streaming an archive from the host into a guest (`tar-in`
// through a FIFO) costs about 5.5 s for 100 MB under emulation, most of it the appliance's channel and tar,
// not the disk; a copy between two disks inside the appliance costs about half. So a batch unpacks each
// archive once onto a scratch disk of the appliance (libguestfs creates and deletes it) and each Linux
// guest gets a copy of that tree instead of its own stream:
//
//   mkdir TARGET.guestprep-staging, mount-ro the scratch disk on it, cp -a STAGE/<archive>/. TARGET,
//   umount, rmdir
//
// The staging folder lives only while the copy runs, so the guest's tree ends exactly as a `tar-in` would
// leave it (same owners, modes, times and links: cp -a preserves what tar-in set on the scratch disk).
// Windows guests keep `tar-in`: on NTFS (ntfs-3g) the copy is no cheaper than the stream.

import type { GfCommand, PlanStep, UploadRef } from '../types';

/** The uploads a batch stages: the JRE and the ProActive node, by their plan ids. */
export const STAGED_UPLOADS = ['jre', 'proactive'] as const;

/** Room for the unpacked archives on the scratch disk: their tar size plus ext2's own overhead. */
export function stageBytes(tarBytes: number[]): number {
  const sum = tarBytes.reduce((a, b) => a + b, 0);
  return Math.ceil(sum * 1.15) + 64 * 1024 * 1024;
}

/** The appliance steps that fill the scratch disk `device` with one folder per upload. */
export function stageSteps(device: string, uploads: UploadRef[]): PlanStep[] {
  const commands: GfCommand[] = [{ argv: ['mkfs', 'ext2', device] }, { argv: ['mount', device, '/'] }];
  for (const ref of uploads) commands.push({ argv: ['mkdir', `/${ref.id}`] }, { argv: ['tar-in', { upload: ref }, `/${ref.id}`] });
  commands.push({ argv: ['umount', '/'] });
  return [{ id: 'stage-archives', title: 'Unpack the archives once for all the images', bytes: uploads.reduce((n, r) => n + r.bytes, 0), commands }];
}

/**
 * The plan's steps with every `tar-in` of a staged upload replaced by a copy from the scratch disk. Other
 * commands are kept as they are, in order.
 */
export function copyFromStage(steps: PlanStep[], device: string, staged: ReadonlySet<string>): PlanStep[] {
  return steps.map((step) => {
    let changed = false;
    const commands = step.commands.flatMap((c): GfCommand[] => {
      const [name, source, target] = c.argv;
      if (c.local || name !== 'tar-in' || typeof source !== 'object' || !('upload' in source) || typeof target !== 'string') return [c];
      const ref = source.upload;
      if (ref.kind !== 'tar' || !staged.has(ref.id)) return [c];
      changed = true;
      const mp = `${target}.guestprep-staging`;
      return [
        { argv: ['mkdir', mp] },
        { argv: ['mount-ro', device, mp] },
        { argv: ['cp-a', `${mp}/${ref.id}/.`, target] },
        { argv: ['umount', mp] },
        { argv: ['rmdir', mp] },
      ];
    });
    return changed ? { ...step, commands } : step;
  });
}
