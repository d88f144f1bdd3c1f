// Warm sessions: the appliance that inspected an image for the wizard stays up, on a fresh overlay (the
// image is its read-only backing file; the guest is mounted read-only), while the user fills in the other
// steps. Pressing Run takes it over: no launch, no second inspection (mount by the known devices), only
// the writes, the verification and the commit. A warm session is a transaction in phase `planned`: it holds
// the image lock, and a crash is rolled back by recovery like any run that had not written yet.
//
// WarmPool keeps at most one per image and ends them: after an idle timeout, when the page lets go of the
// image (another image picked, the wizard left), and on quit. Nothing stays running.

import { realpathSync } from 'node:fs';
import type { GuestFacts, ImageFileInfo, RunEvent } from '../types';
import { precheckImage } from '../image/precheck';
import { newLaunchStats } from '../guestfish/launch';
import { inspectGuest } from '../inspect/guest';
import { ImageTransaction, imageIdentity, sameIdentity } from './transaction';
import type { RunJournal } from './journal';
import { selfOwner } from './owner';
import { ProgressModel } from './progress';
import type { InspectReport } from './inspect-image';
import { DEFAULT_INSTALL_DIR } from './defaults';

export interface WarmOpenOptions {
  journal: RunJournal;
  program: string;
  installDir?: string;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
}

export class WarmSession {
  private taken = false;

  private constructor(
    readonly image: ImageFileInfo,
    private readonly tx: ImageTransaction,
    readonly guest: GuestFacts,
    readonly report: InspectReport,
  ) {}

  static async open(path: string, opts: WarmOpenOptions): Promise<WarmSession> {
    const t0 = Date.now();
    const emit = (e: RunEvent) => opts.onEvent?.(e);
    const image = await precheckImage(path);
    const stats = newLaunchStats();
    const notices: string[] = [];
    const tx = await ImageTransaction.open({
      image,
      kind: 'prepare',
      journal: opts.journal,
      owner: selfOwner(opts.program),
      stats,
      emit,
      progress: new ProgressModel(() => undefined),
      signal: opts.signal,
      onNotice: (m) => {
        notices.push(m);
        emit({ type: 'log', level: 'warn', message: m });
      },
    });
    try {
      emit({ type: 'phase', phase: 'inspect', message: 'Inspecting the guest' });
      const ti = Date.now();
      const guest = await inspectGuest(tx.session, { installDir: opts.installDir ?? DEFAULT_INSTALL_DIR, readonly: true });
      const report: InspectReport = {
        image,
        guest,
        hypervisor: stats.hypervisor,
        launches: stats.launches,
        notices,
        timings: { launchMs: stats.launchMs, inspectMs: Date.now() - ti, totalMs: Date.now() - t0 },
      };
      return new WarmSession(image, tx, guest, report);
    } catch (err) {
      throw await tx.abandon(err);
    }
  }

  get notices(): string[] {
    return this.report.notices;
  }

  get hypervisor(): string | undefined {
    return this.report.hypervisor;
  }

  /** Whether a run on `path` can take this session: same file, unchanged, appliance still up, not taken. */
  matches(path: string): boolean {
    if (this.taken || !this.tx.live) return false;
    try {
      return realpathSync(path) === this.tx.imagePath && sameIdentity(imageIdentity(this.tx.imagePath), this.tx.before);
    } catch {
      return false;
    }
  }

  get available(): boolean {
    return !this.taken && this.tx.live;
  }

  /** Hands the transaction and the inspection to a run; from then on the run ends it (commit or abandon). */
  take(o: Parameters<ImageTransaction['rebind']>[0]): { tx: ImageTransaction; guest: GuestFacts } {
    this.taken = true;
    this.tx.rebind(o);
    return { tx: this.tx, guest: this.guest };
  }

  /** Ends an untaken session: appliance stopped, overlay deleted, the image never touched. */
  async release(why: string): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    await this.tx.release(`warm session ended: ${why}`);
  }
}

export class WarmPool {
  private readonly byImage = new Map<string, { session: WarmSession; timer: NodeJS.Timeout }>();
  /** Inspections still booting: a release must stop them too (the page may close during the launch). */
  private readonly opening = new Map<string, AbortController>();

  constructor(private readonly opts: { idleMs: number }) {}

  private key(path: string): string {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  }

  /** Inspects `path` in a new warm session (ending the previous one on that image) and keeps it. */
  async inspect(path: string, o: WarmOpenOptions): Promise<InspectReport> {
    await this.release(path, 'the image was inspected again');
    const key = this.key(path);
    const ac = new AbortController();
    if (o.signal) o.signal.aborted ? ac.abort() : o.signal.addEventListener('abort', () => ac.abort(), { once: true });
    this.opening.set(key, ac);
    let session: WarmSession;
    try {
      session = await WarmSession.open(path, { ...o, signal: ac.signal });
    } finally {
      if (this.opening.get(key) === ac) this.opening.delete(key);
    }
    const timer = setTimeout(() => void this.release(path, `idle for ${Math.round(this.opts.idleMs / 1000)} s`), this.opts.idleMs);
    timer.unref();
    this.byImage.set(key, { session, timer });
    return session.report;
  }

  /** The warm session on `path`, removed from the pool: the caller (a run) now owns it. */
  take(path: string): WarmSession | undefined {
    const key = this.key(path);
    const e = this.byImage.get(key);
    if (!e) return undefined;
    clearTimeout(e.timer);
    this.byImage.delete(key);
    return e.session.matches(path) ? e.session : (void e.session.release('the image changed'), undefined);
  }

  /** Ends the warm session on `path`, or all of them. */
  async release(path: string | undefined, why: string): Promise<number> {
    for (const [k, ac] of this.opening) if (path === undefined || k === this.key(path)) ac.abort();
    const keys = path === undefined ? [...this.byImage.keys()] : [this.key(path)].filter((k) => this.byImage.has(k));
    await Promise.all(
      keys.map(async (k) => {
        const e = this.byImage.get(k)!;
        this.byImage.delete(k);
        clearTimeout(e.timer);
        await e.session.release(why);
      }),
    );
    return keys.length;
  }

  get size(): number {
    return this.byImage.size;
  }
}
