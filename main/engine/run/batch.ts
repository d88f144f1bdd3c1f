// Preparing several images with as few appliance launches as libguestfs allows: every image gets its own
// transaction (journal entry, overlay, verification, commit, result), but they share one appliance with
// one drive per overlay, and the archives unpacked once into read-only disks after them (archive-disks.ts).
// Each guest is inspected (one `inspect-os` for all drives, only if the quick Linux path leaves one to it),
// mounted, planned, written, verified and unmounted in turn. Once the appliance is down, each verified
// overlay is sealed and committed.
//
// One image failing does not spoil the others:
//   - refused before launch (not a disk, locked, busy): that image's error, the rest go on;
//   - refused by inspection or planning (no OS, no space, bad setting): that image's error;
//   - a failing write ends guestfish (it stops at the first error, which is what keeps a single run safe):
//     that image fails, and the images not finished in that appliance start over, on fresh overlays, in a
//     new one;
//   - filesystems that cannot be told apart between drives (clones sharing LVM names or filesystem UUIDs):
//     that image is prepared alone afterwards, in an appliance of its own.

import { basename } from 'node:path';
import { toErrorData, type ErrorData } from '../errors';
import type { GuestFacts, ImageFileInfo, RunEvent, SettingsInput } from '../types';
import { precheckImage } from '../image/precheck';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import type { GuestfishSession } from '../guestfish/session';
import { AmbiguousDriveError, inspectGuest } from '../inspect/guest';
import { listPartitions } from '../inspect/quick-linux';
import { ImageTransaction } from './transaction';
import { selfOwner } from './owner';
import { ProgressModel } from './progress';
import { DEFAULT_INSTALL_DIR } from './defaults';
import { checkArchives, copyPlan, diskUploads, earlySettings, openUpload, planFor, prepare, PrepareHooks, PrepareReport, reportBase } from './prepare';
import { processJournal } from './run-common';
import { checkSettingsEarly } from '../settings/validate';
import { ensureStateDir, stateDir } from './state';
import { ArchiveDisks, batchDisksDir, buildArchiveDisks, diskDevices, removeStaleDisks } from './archive-disks';

export interface BatchRequest {
  images: string[];
  jre?: string;
  proactive: string;
  /** Shared by every image; `nodeName` may be a pattern: node-{n}, {hostname}. */
  settings: SettingsInput;
}

export type BatchItem = { image: string; n: number; ok: true; report: PrepareReport } | { image: string; n: number; ok: false; error: ErrorData };

export interface BatchReport {
  items: BatchItem[];
  /** Appliance launches for the whole batch. */
  launches: number;
  hypervisor?: string;
  timings: { checksMs: number; launchMs: number; totalMs: number };
}

export interface BatchHooks extends Omit<PrepareHooks, 'onEvent' | 'warm'> {
  /** Every event, with the image it is about (n is its 1-based position). */
  onEvent?: (image: string, n: number, e: RunEvent) => void;
  /** Told as soon as one image is finished (success or failure). */
  onItem?: (item: BatchItem) => void;
}

interface Slot {
  image: string;
  n: number;
  info?: ImageFileInfo;
  tx?: ImageTransaction;
  progress: ProgressModel;
  emit: (e: RunEvent) => void;
  /** Written and verified in the current appliance, waiting for it to shut down. */
  verified?: { guest: GuestFacts; made: ReturnType<typeof planFor>; steps: PrepareReport['steps']; verification: NonNullable<PrepareReport['verification']>; t0: number; timings: PrepareReport['timings'] };
  result?: BatchItem;
}

const MAX_ROUNDS = 4;

export async function prepareBatch(req: BatchRequest, hooks: BatchHooks = {}): Promise<BatchReport> {
  const t0 = Date.now();
  const stats = newLaunchStats();
  const notices: string[] = [];
  const journal = hooks.journal ?? processJournal;
  const program = hooks.program ?? 'guestprep prepare';
  const installDir = req.settings.installDir ?? DEFAULT_INSTALL_DIR;
  const slots: Slot[] = req.images.map((image, i) => {
    const emit = (e: RunEvent) => hooks.onEvent?.(image, i + 1, e);
    return { image, n: i + 1, emit, progress: new ProgressModel(emit) };
  });
  const finish = (slot: Slot, item: BatchItem) => {
    slot.result = item;
    hooks.onItem?.(item);
  };
  const failSlot = (slot: Slot, err: unknown) => finish(slot, { image: slot.image, n: slot.n, ok: false, error: toErrorData(err) });

  // ---- checks: settings and archives once (their failure is everyone's), each image on its own
  checkSettingsEarly(earlySettings(req.settings));
  const archives = await checkArchives(req);
  await Promise.all(
    slots.map(async (slot) => {
      slot.emit({ type: 'phase', phase: 'checks', message: 'Checking the image' });
      try {
        slot.info = await precheckImage(slot.image);
        slot.progress.phaseDone('checks');
      } catch (err) {
        failSlot(slot, err);
      }
    }),
  );
  const checksMs = Date.now() - t0;
  // The archives become disks once, for every appliance of the batch (archive-disks.ts).
  let disks: ArchiveDisks | undefined;
  let archiveDisksMs: number | undefined;
  if (slots.some((s) => !s.result)) {
    const td = Date.now();
    removeStaleDisks(ensureStateDir());
    disks = await buildArchiveDisks(batchDisksDir(stateDir()), diskUploads(archives), {
      signal: hooks.signal,
      log: (message) => { for (const s of slots) if (!s.result) s.emit({ type: 'log', level: 'warn', message }); },
      removeDir: true,
    });
    if (disks) archiveDisksMs = Date.now() - td;
  }
  try {
    return await runRounds();
  } finally {
    disks?.remove();
  }

  async function runRounds(): Promise<BatchReport> {
    const alone: Slot[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const pending = slots.filter((s) => !s.result && !alone.includes(s));
      if (pending.length === 0) break;
      // Transactions (claim + overlay) for this round, sequentially: claims are quick, overlays quicker.
      for (const slot of pending) {
        if (slot.tx) continue;
        try {
          slot.tx = await ImageTransaction.begin({
            image: slot.info!,
            kind: 'prepare',
            journal,
            owner: selfOwner(program),
            stats,
            emit: slot.emit,
            progress: slot.progress,
            signal: hooks.signal,
            onNotice: () => undefined,
          });
        } catch (err) {
          failSlot(slot, err);
        }
      }
      const group = pending.filter((s) => !s.result && s.tx);
      if (group.length === 0) break;
      for (const slot of group) slot.emit({ type: 'phase', phase: 'launch', message: `Starting the libguestfs appliance (${group.length} disk${group.length > 1 ? 's' : ''})` });
      let session: GuestfishSession;
      try {
        session = await launchAppliance({
          drives: group.map((s) => s.tx!.drive),
          readonlyDrives: disks?.drives ?? [],
          readonly: false,
          stats,
          signal: hooks.signal,
          onLine: (line) => group[0].emit({ type: 'log', level: 'debug', message: line }),
          onNotice: (m) => {
            notices.push(m);
            for (const s of group) s.emit({ type: 'log', level: 'warn', message: m });
          },
        });
      } catch (err) {
        for (const slot of group) {
          await slot.tx!.abandon(err);
          failSlot(slot, err);
        }
        break;
      }
      const roundLaunchMs = stats.launchMs;
      for (const slot of group) slot.progress.phaseDone('launch');

      // The archive disks come after this round's guest drives.
      const devices = disks ? diskDevices(disks, group.length) : undefined;

      // inspect-os sees every drive at once: run it at most once per appliance, and only for an image the
      // quick Linux inspection leaves to it.
      let inspected: Promise<string[]> | undefined;
      const roots = () => (inspected ??= session.exec(['inspect-os']).then((r) => r.output.split('\n').map((l) => l.trim()).filter(Boolean)));
      // Likewise the partitions of all drives, which every quick inspection starts from.
      let listed: Promise<string[]> | undefined;
      const partitions = () => (listed ??= listPartitions(session));
      for (let k = 0; k < group.length; k++) {
        const slot = group[k];
        const tx = slot.tx!;
        if (!session.alive) break;
        const st = Date.now();
        const timings = { checksMs, archiveDisksMs, launchMs: roundLaunchMs, inspectMs: 0, writeMs: 0, verifyMs: 0, commitMs: 0, totalMs: 0 };
        try {
          tx.attach(session);
          slot.emit({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest' });
          const ti = Date.now();
          const guest = await inspectGuest(session, { installDir, readonly: false, drive: k, roots, partitions, guestDrives: group.length });
          const made = planFor(guest, req.settings, archives, { n: slot.n });
          timings.inspectMs = Date.now() - ti;
          slot.progress.phaseDone('inspect');
          const tw = Date.now();
          const planSteps = await copyPlan(session, guest, made.plan.steps, devices, (message) => slot.emit({ type: 'log', level: 'warn', message }));
          const steps = await tx.write(planSteps, { openUpload: (ref) => openUpload(ref, archives.jre, archives.proactive) });
          timings.writeMs = Date.now() - tw;
          const tv = Date.now();
          const verification = await tx.verify(made.plan.expectations, guest.mountpoints);
          timings.verifyMs = Date.now() - tv;
          slot.verified = { guest, made, steps, verification, t0: st, timings };
        } catch (err) {
          if (err instanceof AmbiguousDriveError) {
            alone.push(slot);
          } else {
            failSlot(slot, await tx.abandon(err));
            // A failing command ends guestfish (that is what keeps a single run safe): the images after this
            // one start over in a new appliance, below.
            if (!session.alive) break;
          }
        } finally {
          if (session.alive) await session.exec(['umount-all'], { tolerate: true });
        }
      }
      // `quit` unmounts and syncs every drive; only then are the overlays complete.
      // An appliance killed instead of shut down may not have flushed what it wrote: same as one that died.
      const died = !session.alive;
      const clean = await session.close();
      for (const slot of group) {
        if (slot.result || alone.includes(slot)) continue;
        if (!slot.verified || died || !clean) {
          // Not reached, or written in an appliance that died: start over on a fresh overlay.
          await slot.tx!.abandon(new Error('the appliance stopped'));
          slot.tx = undefined;
          slot.verified = undefined;
          continue;
        }
        const v = slot.verified;
        try {
          slot.tx!.seal();
          const tc = Date.now();
          await slot.tx!.commit();
          v.timings.commitMs = Date.now() - tc;
          v.timings.totalMs = Date.now() - v.t0;
          slot.emit({ type: 'phase', phase: 'done', message: 'Done' });
          const report: PrepareReport = {
            ...reportBase(slot.tx!, slot.info!, v.guest, archives, v.made, notices, stats.hypervisor),
            steps: v.steps,
            verification: v.verification,
            launches: 0,
            failedLaunchAttempts: 0,
            timings: v.timings,
          };
          finish(slot, { image: slot.image, n: slot.n, ok: true, report });
        } catch (err) {
          failSlot(slot, await slot.tx!.abandon(err));
        }
      }
      if (hooks.signal?.aborted) break;
    }

    // Images whose filesystems could not be told apart from another drive's: each in its own appliance.
    for (const slot of alone) {
      await slot.tx?.release('prepared alone instead');
      // Its number stays its position in the batch; {hostname} is expanded by prepare.
      const expanded = { ...req.settings, nodeName: req.settings.nodeName?.replace(/\{n\}/g, String(slot.n)) };
      try {
        const report = await prepare(
          { image: slot.image, jre: req.jre, proactive: req.proactive, settings: expanded },
          { ...hooks, onEvent: slot.emit, warm: undefined, journal, program },
        );
        stats.launches += report.launches;
        finish(slot, { image: slot.image, n: slot.n, ok: true, report });
      } catch (err) {
        failSlot(slot, err);
      }
    }
    // The Resource Manager tells nodes apart by name: say so when several images would register the same one.
    const byName = new Map<string, number[]>();
    for (const s of slots) if (s.result?.ok) byName.set(s.result.report.settings.nodeName, [...(byName.get(s.result.report.settings.nodeName) ?? []), s.n]);
    for (const s of slots) {
      const same = s.result?.ok ? byName.get(s.result.report.settings.nodeName)! : [];
      if (same.length > 1 && s.result?.ok) {
        s.result.report.warnings.push(`images ${same.join(', ')} of this batch all register as node "${s.result.report.settings.nodeName}"; use a pattern such as --node-name "node-{n}" to tell them apart`);
      }
    }
    for (const slot of slots) {
      if (!slot.result) failSlot(slot, hooks.signal?.aborted ? cancelled() : new Error(`${basename(slot.image)} could not be prepared after ${MAX_ROUNDS} appliance launches`));
    }
    return {
      items: slots.map((s) => s.result!),
      launches: stats.launches,
      hypervisor: stats.hypervisor,
      timings: { checksMs, launchMs: stats.launchMs, totalMs: Date.now() - t0 },
    };
  }
}

function cancelled(): ErrorData {
  return { code: 'CANCELLED', message: 'The batch was cancelled before this image was prepared; it was not changed.', fix: 'Start the run again when you are ready.' };
}
