// The backend object: every call of the contract (contract.ts `Calls`) implemented once over the engine and
// the store, for the two adapters that expose it (Electron IPC, the browser bridge). Handlers THROW
// GuestprepError; the adapters turn that into a Result with `toResult`, so errors always cross as data.
//
// Runs are started in the background: `run.start` (prepare), `run.retarget` and `run.remove` answer with the
// run id at once, then every engine event is pushed as 'run.event', logged in the store's history, and the
// run ends with one 'run.result'. One image has at most one run at a time, whatever its kind.

import { engineCapabilities } from '../engine/api';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type {
  ArchiveInfo,
  CallReq,
  PresetData,
  CallRes,
  EventSink,
  Handlers,
  PlanPreview,
  Result,
  RunOutcome,
  RunStarted,
} from '../contract/contract';
import { fail, GuestprepError } from '../engine/api';
import { defaultLog, pageError, type LogFn } from './dispatch';
import { earlySettings } from '../engine/api';
import type { GuestFacts, JreInfo, ProactiveInfo, RunEvent, SettingsInput, UploadRef } from '../engine/api';
import { detectJre, detectProactive, checkArchivesForGuest } from '../engine/api';
import { checkSettingsEarly, validateSettings } from '../engine/api';
import { checkCredentialsFile } from '../engine/api';
import { buildPlan, renderScript } from '../engine/api';
import { inspectImage } from '../engine/api';
import { prepare, type PrepareHooks } from '../engine/api';
import { retarget } from '../engine/api';
import { remove } from '../engine/api';
import type { RunReport } from '../engine/api';
import { checkRetargetEarly, parseRetargetInput } from '../engine/api';
import { recoverInterrupted } from '../engine/api';
import { WarmPool } from '../engine/api';
import { expandNodeName, isNodeNamePattern } from '../engine/api';
import { prepareBatch } from '../engine/api';
import type { RecoveryStatus } from '../contract/contract';
import { GUESTPREP_VERSION } from '../engine/api';
import { listVirtualBoxVms } from '../engine/api';
import type { Store } from './store-types';

export interface BackendOptions {
  store: Store;
  emit: EventSink;
  /**
   * Where runs keep their overlays. The engine reads it from GUESTPREP_STATE_DIR, so giving it here sets that
   * variable for this process (a backend owns its process: the app or `guestprep serve`).
   */
  stateDir?: string;
  /** For tests: where VirtualBox's settings are looked for (default: the user's home). */
  vboxHome?: string;
  /** How long an inspected image's appliance stays up waiting for Run (default 10 minutes). */
  warmIdleMs?: number;
  /** Where unexpected errors (bugs) are logged with their stack; the page and the history get a generic error. */
  log?: LogFn;
}

export type Backend = Handlers & {
  /** Cancels the runs and inspections under way and waits until the engine has cleaned up after them. */
  dispose(): Promise<void>;
};

/** A handler's promise as a Result: what the adapters send to the page (an unexpected error without its stack). */
export async function toResult<T>(p: Promise<T>, context = 'a call', log: LogFn = defaultLog): Promise<Result<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, error: pageError(err, context, log) };
  }
}

interface ActiveRun {
  id: string;
  image: string;
  controller: AbortController;
  done: Promise<void>;
}

// ------------------------------------------------------------------------------ request checks

// Requests come from a page (over IPC or a WebSocket): their shape is checked here, so a malformed request
// is a SETTING_INVALID with a fix rather than an INTERNAL TypeError deep in the engine.
function obj(req: unknown, call: string): Record<string, unknown> {
  if (!req || typeof req !== 'object' || Array.isArray(req)) fail('SETTING_INVALID', `${call}: the request is not an object.`, 'Reload the page; if it persists, report it.');
  return req as Record<string, unknown>;
}

function str(req: Record<string, unknown>, key: string, call: string, what: string): string {
  const v = req[key];
  if (typeof v !== 'string' || v.trim() === '') fail('SETTING_INVALID', `${call}: ${what} is missing.`, `Give ${what}.`);
  return v;
}

function optStr(req: Record<string, unknown>, key: string, call: string): string | undefined {
  const v = req[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail('SETTING_INVALID', `${call}: ${key} must be text.`, 'Reload the page; if it persists, report it.');
  return v;
}

function settingsOf(req: Record<string, unknown>, call: string): SettingsInput {
  const s = req.settings;
  if (!s || typeof s !== 'object' || Array.isArray(s)) fail('SETTING_INVALID', `${call}: the node settings are missing.`, 'Fill in the Resource Manager URL (and the other node settings).');
  return s as SettingsInput;
}

function needObject<T>(v: unknown, call: string, what: string, fix: string): T {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('SETTING_INVALID', `${call}: ${what} is missing.`, fix);
  return v as T;
}

// ------------------------------------------------------------------------------ settings and plan

/**
 * The settings checked against the guest and the archives, as `prepare` checks them after inspection, with
 * the same warnings: what the Manager and Review steps show is what the run will do.
 */
async function validateAgainstGuest(settings: SettingsInput, guest: GuestFacts, jre: JreInfo | undefined, proactive: ProactiveInfo) {
  const warnings = checkArchivesForGuest({ jre, proactive }, guest);
  const credentials = settings.credentialsFile ? await checkCredentialsFile(settings.credentialsFile) : undefined;
  // A batch's node name pattern (node-{n}, {hostname}) is checked as the first image's name.
  const concrete = isNodeNamePattern(settings.nodeName) ? { ...settings, nodeName: expandNodeName(settings.nodeName!, { n: 1, hostname: guest.hostname }) } : settings;
  const validated = validateSettings(concrete, { guest, jre, proactive, credentials });
  for (const w of validated.warnings) if (!warnings.includes(w)) warnings.push(w);
  return { settings: validated.settings, warnings };
}

/** Where the preview script says an upload comes from: a run streams the archives, nothing is staged yet. */
function previewUploadPath(ref: UploadRef): string {
  return ref.kind === 'file' ? ref.source : `<${ref.id}.tar staged by guestprep>`;
}

const mb = (n: number) => `${Math.ceil(n / 1024 / 1024)} MB`;

async function previewPlan(req: CallReq<'plan.preview'>): Promise<PlanPreview> {
  const r = obj(req, 'plan.preview');
  const image = str(r, 'image', 'plan.preview', 'the image');
  const guest = needObject<GuestFacts>(r.guest, 'plan.preview', 'what inspection found', 'Inspect the image first.');
  const imageInfo = needObject<CallReq<'plan.preview'>['imageInfo']>(r.imageInfo, 'plan.preview', 'the image facts', 'Inspect the image first.');
  const proactive = needObject<ProactiveInfo>(r.proactive, 'plan.preview', 'the ProActive archive', 'Choose the ProActive node archive.');
  const jre = r.jre === undefined || r.jre === null ? undefined : needObject<JreInfo>(r.jre, 'plan.preview', 'the Java runtime', 'Choose the Java runtime archive again.');
  const v = await validateAgainstGuest(settingsOf(r, 'plan.preview'), guest, jre, proactive);
  const plan = buildPlan({ guest, settings: v.settings, jre, proactive, guestprepVersion: GUESTPREP_VERSION, now: new Date().toISOString() });
  const warnings = [...v.warnings];
  for (const w of plan.warnings) if (!warnings.includes(w)) warnings.push(w);
  // The run refuses this (GUEST_NO_SPACE) after its launch; the preview says it before.
  if (guest.freeBytes < plan.requiredBytes) {
    warnings.push(`The guest has ${mb(guest.freeBytes)} free on ${guest.freeBytesMountpoint} and the install needs about ${mb(plan.requiredBytes)}: the run will be refused. Free space in the VM or choose another install folder.`);
  }
  return {
    settings: v.settings,
    steps: plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.length, ...(s.bytes !== undefined ? { bytes: s.bytes } : {}) })),
    script: renderScript(plan, { image, format: imageInfo.format, uploadPath: previewUploadPath }),
    requiredBytes: plan.requiredBytes,
    freeBytes: guest.freeBytes,
    atNextBoot: plan.atNextBoot,
    warnings,
  };
}

// ------------------------------------------------------------------------------ history lines

/** One history line per event worth keeping (bytes and progress events are too many and say little later). */
export function logLine(e: RunEvent, elapsedMs: number): string | undefined {
  const t = `+${(elapsedMs / 1000).toFixed(1)}s`;
  switch (e.type) {
    case 'phase':
      return `${t} [${e.phase}] ${e.message}`;
    case 'step':
      return `${t} step ${e.index + 1}/${e.total} ${e.status}: ${e.title} (${e.stepId})`;
    case 'log':
      return `${t} ${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(4).toString('hex')}`;
}

// ------------------------------------------------------------------------------ the backend

export function createBackend(opts: BackendOptions): Backend {
  const { store, emit } = opts;
  const log = opts.log ?? defaultLog;
  if (opts.stateDir) process.env.GUESTPREP_STATE_DIR = opts.stateDir;
  const runs = new Map<string, ActiveRun>();
  /** Every run id of a batch, finished or not, cancels the whole batch while it runs. */
  const batchControllers = new Map<string, AbortController>();
  // The appliance that inspected an image stays up for the run (warm.ts): Run then only writes and commits.
  const warm = new WarmPool({ idleMs: opts.warmIdleMs ?? 10 * 60_000 });
  const inspections = new Set<AbortController>();
  let disposed = false;

  // Runs a crash interrupted are finished or undone before this backend starts any run of its own (run.start
  // waits for it); the page asks `recovery.status` to tell the user what was done.
  const recovery: RecoveryStatus = { running: true, outcomes: [] };
  const recovered: Promise<void> = new Promise<void>((r) => setImmediate(r))
    .then(() => recoverInterrupted(store.journal, { program: 'the Guestprep app' }))
    .then(
      (outcomes) => {
        recovery.outcomes = outcomes;
      },
      (err: unknown) => {
        recovery.error = pageError(err, 'the recovery of interrupted runs', log);
      },
    )
    .finally(() => {
      recovery.running = false;
    });

  const notDisposed = () => {
    if (disposed) fail('CANCELLED', 'Guestprep is shutting down.', 'Start Guestprep again.');
  };

  /**
   * Store and event-sink failures must not break a run that is writing an image: the run goes on, only its
   * record (or one page update) suffers.
   */
  const safely = (f: () => void) => {
    try {
      f();
    } catch {
      /* the history is best effort; the run's result still reaches the page */
    }
  };

  /**
   * Starts an image-writing run in the background (prepare, retarget, remove): the same lock, history, events
   * and one run.result for all of them.
   */
  function startBackground(
    call: 'run.start' | 'run.retarget' | 'run.remove',
    image: string,
    preset: string | undefined,
    work: (hooks: PrepareHooks) => Promise<RunReport>,
  ): RunStarted {
    notDisposed();
    // Two runs on one image would each commit their own overlay into it: the second would undo the first.
    for (const other of runs.values()) {
      if (other.image === image) {
        fail('IMAGE_BUSY', `Run ${other.id} is already working on ${image}.`, `Wait for run ${other.id} to finish, or cancel it, then start again.`);
      }
    }

    const id = newRunId();
    const controller = new AbortController();
    const t0 = Date.now();
    safely(() => store.history.start({ id, image, preset, startedAt: new Date(t0).toISOString() }));
    if (call !== 'run.start') safely(() => store.history.appendLog(id, `+0.0s ${call === 'run.retarget' ? 'retarget: change the manager settings only' : 'remove: take out what Guestprep installed'}`));

    const onEvent = (event: RunEvent) => {
      const line = logLine(event, Date.now() - t0);
      if (line) safely(() => store.history.appendLog(id, line));
      // The engine calls this from inside the run: a page that cannot be reached must not fail the run.
      safely(() => emit('run.event', { runId: id, event }));
    };

    const finish = (outcome: RunOutcome, result: Result<RunReport>) => {
      const durationMs = Date.now() - t0;
      safely(() => store.history.finish(id, result.ok ? { outcome, durationMs, report: result.value } : { outcome, durationMs, error: result.error }));
      runs.delete(id);
      safely(() => emit('run.result', { runId: id, result }));
    };

    // Deferred so the page gets {runId} before the first event of that run (the engine emits one synchronously).
    const done = recovered.then(() => new Promise<void>((resolveDone) => setImmediate(resolveDone))).then(() =>
      work({ onEvent, signal: controller.signal, journal: store.journal, program: 'the Guestprep app' }).then(
        (report) => finish('success', { ok: true, value: report }),
        (err: unknown) => {
          // Sent to the page and kept in the history: a bug's stack goes to the log instead.
          const error = pageError(err, call, log);
          finish(error.code === 'CANCELLED' ? 'cancelled' : 'failed', { ok: false, error });
        },
      ),
    );
    runs.set(id, { id, image, controller, done });
    return { runId: id };
  }

  /** Several images in one appliance: one history entry, event stream and result per image. */
  function startBatch(req: CallReq<'run.startBatch'>): CallRes<'run.startBatch'> {
    notDisposed();
    const r = obj(req, 'run.startBatch');
    const list = r.images;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x.trim() !== '')) {
      fail('SETTING_INVALID', 'run.startBatch: the images are missing.', 'Drop or choose the disk images to prepare.');
    }
    const images = (list as string[]).map((x) => resolve(x));
    if (new Set(images).size !== images.length) fail('SETTING_INVALID', 'The same image is listed twice.', 'Remove the duplicate from the list.');
    const proactive = str(r, 'proactive', 'run.startBatch', 'the ProActive node archive');
    const jre = optStr(r, 'jre', 'run.startBatch');
    const preset = optStr(r, 'preset', 'run.startBatch');
    const settings = settingsOf(r, 'run.startBatch');
    for (const other of runs.values()) {
      if (images.includes(other.image)) fail('IMAGE_BUSY', `Run ${other.id} is already preparing ${other.image}.`, `Wait for run ${other.id} to finish, or cancel it, then start again.`);
    }
    const controller = new AbortController();
    const t0 = Date.now();
    const ids = images.map(() => newRunId());
    images.forEach((image, i) => safely(() => store.history.start({ id: ids[i], image, preset, startedAt: new Date(t0).toISOString() })));
    const finishOne = (i: number, outcome: RunOutcome, result: Result<RunReport>) => {
      const durationMs = Date.now() - t0;
      safely(() => store.history.finish(ids[i], result.ok ? { outcome, durationMs, report: result.value } : { outcome, durationMs, error: result.error }));
      runs.delete(ids[i]);
      safely(() => emit('run.result', { runId: ids[i], result }));
    };
    const done = recovered
      .then(() => new Promise<void>((r2) => setImmediate(r2)))
      // A batch launches its own appliance with every overlay: warm sessions on these images step aside.
      .then(() => Promise.all(images.map((im) => warm.release(im, 'a batch takes the image'))))
      .then(() =>
        prepareBatch(
          { images, jre, proactive, settings },
          {
            signal: controller.signal,
            journal: store.journal,
            program: 'the Guestprep app',
            onEvent: (_image, n, event) => {
              const line = logLine(event, Date.now() - t0);
              if (line) safely(() => store.history.appendLog(ids[n - 1], line));
              safely(() => emit('run.event', { runId: ids[n - 1], event }));
            },
            onItem: (item) => {
              if (item.ok) finishOne(item.n - 1, 'success', { ok: true, value: item.report });
              else finishOne(item.n - 1, item.error.code === 'CANCELLED' ? 'cancelled' : 'failed', { ok: false, error: item.error });
            },
          },
        ),
      )
      .then(
        () => undefined,
        (err: unknown) => {
          // Refused as a whole (archives, settings): every image gets the same error.
          const error = pageError(err, 'run.startBatch', log);
          images.forEach((_, i) => {
            if (runs.has(ids[i])) finishOne(i, error.code === 'CANCELLED' ? 'cancelled' : 'failed', { ok: false, error });
          });
        },
      );
    images.forEach((image, i) => runs.set(ids[i], { id: ids[i], image, controller, done }));
    for (const id of ids) batchControllers.set(id, controller);
    void done.finally(() => ids.forEach((id) => batchControllers.delete(id)));
    return { runIds: ids };
  }

  function startRun(req: CallReq<'run.start'>): CallRes<'run.start'> {
    notDisposed();
    const r = obj(req, 'run.start');
    const image = resolve(str(r, 'image', 'run.start', 'the disk image'));
    const proactive = str(r, 'proactive', 'run.start', 'the ProActive node archive');
    const jre = optStr(r, 'jre', 'run.start');
    const preset = optStr(r, 'preset', 'run.start');
    const settings = settingsOf(r, 'run.start');
    // The appliance that inspected this image for the wizard is taken over: no launch, no second inspection.
    return startBackground('run.start', image, preset, (hooks) => {
      const session = warm.take(image);
      return prepare({ image, jre, proactive, settings }, { ...hooks, warm: session }).finally(() => session?.release('the run did not use it'));
    });
  }

  function startRetarget(req: CallReq<'run.retarget'>): CallRes<'run.retarget'> {
    notDisposed();
    const r = obj(req, 'run.retarget');
    const image = resolve(str(r, 'image', 'run.retarget', 'the disk image'));
    const installDir = optStr(r, 'installDir', 'run.retarget');
    // The shape is checked before the run starts: a wrong request is an answer, not a failed run.
    const settings = parseRetargetInput(needObject(r.settings, 'run.retarget', 'the manager settings', 'Fill in the Resource Manager URL.'));
    checkRetargetEarly(settings);
    // A warm session holds the image (its lock and overlay): it steps aside for a retarget or a removal.
    return startBackground('run.retarget', image, undefined, (hooks) =>
      warm.release(image, 'a retarget takes the image').then(() => retarget({ image, settings, ...(installDir ? { installDir } : {}) }, hooks)),
    );
  }

  function startRemove(req: CallReq<'run.remove'>): CallRes<'run.remove'> {
    notDisposed();
    const r = obj(req, 'run.remove');
    const image = resolve(str(r, 'image', 'run.remove', 'the disk image'));
    const installDir = optStr(r, 'installDir', 'run.remove');
    return startBackground('run.remove', image, undefined, (hooks) =>
      warm.release(image, 'a removal takes the image').then(() => remove({ image, ...(installDir ? { installDir } : {}) }, hooks)),
    );
  }

  const handlers: Handlers = {
    'image.inspect': async (req) => {
      notDisposed();
      const image = str(obj(req, 'image.inspect'), 'image', 'image.inspect', 'the disk image');
      const ac = new AbortController();
      inspections.add(ac);
      try {
        await recovered;
        // Another run already holds this image: inspect it read-only, without keeping anything up.
        if ([...runs.values()].some((r) => r.image === resolve(image))) return await inspectImage(image, { signal: ac.signal });
        return await warm.inspect(image, { journal: store.journal, program: 'the Guestprep app (wizard)', signal: ac.signal });
      } finally {
        inspections.delete(ac);
      }
    },

    'archive.detect': async (req): Promise<ArchiveInfo> => {
      const r = obj(req, 'archive.detect');
      const path = str(r, 'path', 'archive.detect', 'the archive');
      if (r.role === 'jre') return { role: 'jre', info: await detectJre(path) };
      if (r.role === 'proactive') return { role: 'proactive', info: await detectProactive(path) };
      fail('SETTING_INVALID', `archive.detect: unknown role ${JSON.stringify(r.role)}.`, "The role is 'jre' or 'proactive'.");
    },

    'settings.validate': async (req) => {
      const r = obj(req, 'settings.validate');
      const guest = needObject<GuestFacts>(r.guest, 'settings.validate', 'what inspection found', 'Inspect the image first.');
      const proactive = needObject<ProactiveInfo>(r.proactive, 'settings.validate', 'the ProActive archive', 'Choose the ProActive node archive.');
      const jre = r.jre === undefined || r.jre === null ? undefined : needObject<JreInfo>(r.jre, 'settings.validate', 'the Java runtime', 'Choose the Java runtime archive again.');
      return validateAgainstGuest(settingsOf(r, 'settings.validate'), guest, jre, proactive);
    },

    'plan.preview': async (req) => previewPlan(req),

    'run.start': async (req) => startRun(req),
    'run.retarget': async (req) => startRetarget(req),
    'run.remove': async (req) => startRemove(req),

    'run.cancel': async (req) => {
      const runId = str(obj(req, 'run.cancel'), 'runId', 'run.cancel', 'the run id');
      const controller = runs.get(runId)?.controller ?? batchControllers.get(runId);
      if (!controller || controller.signal.aborted) return { cancelled: false };
      controller.abort();
      return { cancelled: true };
    },

    'presets.list': async () => store.presets.list(),
    'presets.save': async (req) => {
      const r = obj(req, 'presets.save');
      const data = needObject<PresetData>(r.data, 'presets.save', 'the preset settings', 'Fill in the settings to save.');
      // A preset every run would refuse (a URL that is no manager URL, a bad node name...) is refused now,
      // with the run's own message, rather than at each later run.
      try {
        checkSettingsEarly(earlySettings(needObject(data.settings, 'presets.save', 'the node settings', 'Fill in the Resource Manager URL.')));
      } catch (err) {
        if (err instanceof GuestprepError) throw new GuestprepError({ ...err.toData(), message: `presets.save: the preset's settings: ${err.message}`, field: err.field ?? 'data.settings' });
        throw err;
      }
      return store.presets.save(str(r, 'name', 'presets.save', 'the preset name'), data);
    },
    'presets.rename': async (req) => {
      const r = obj(req, 'presets.rename');
      return store.presets.rename(str(r, 'from', 'presets.rename', 'the preset to rename'), str(r, 'to', 'presets.rename', 'the new name'));
    },
    'presets.delete': async (req) => ({ deleted: store.presets.delete(str(obj(req, 'presets.delete'), 'name', 'presets.delete', 'the preset name')) }),
    'presets.export': async (req) => {
      const names = obj(req ?? {}, 'presets.export').names;
      if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === 'string'))) {
        fail('SETTING_INVALID', 'presets.export: names must be a list of preset names.', 'Choose the presets to export again.');
      }
      return { json: store.presets.exportJson(names as string[] | undefined) };
    },
    'presets.import': async (req) => {
      const r = obj(req, 'presets.import');
      return store.presets.importJson(str(r, 'json', 'presets.import', 'the presets JSON'), r.overwrite === true);
    },

    'history.list': async (req) => store.history.list((req ?? {}) as CallReq<'history.list'>),
    'history.get': async (req) => {
      const id = str(obj(req, 'history.get'), 'id', 'history.get', 'the run id');
      const entry = store.history.get(id);
      if (!entry) fail('RUN_NOT_FOUND', `No run ${id} in the history.`, 'Refresh the history: the run may have been recorded by another Guestprep data folder.');
      return entry;
    },

    'vbox.list': async () => listVirtualBoxVms(opts.vboxHome ? { home: opts.vboxHome } : {}),

    // Only Electron's main process can reveal a file in the desktop's file manager; it overrides this.
    'shell.showInFolder': async () => ({ shown: false }),

    'image.release': async (req) => {
      const image = optStr(obj(req ?? {}, 'image.release'), 'image', 'image.release');
      return { released: await warm.release(image, 'the page let go of it') };
    },

    'run.startBatch': async (req) => startBatch(req),

    'engine.capabilities': async () => engineCapabilities(),

    'recovery.status': async () => {
      await recovered;
      return { ...recovery, outcomes: [...recovery.outcomes] };
    },
  };

  return {
    ...handlers,
    async dispose() {
      disposed = true;
      for (const ac of inspections) ac.abort();
      const pending = [...runs.values()];
      for (const r of pending) r.controller.abort();
      // The engine removes each overlay before its promise settles: wait, so the process does not exit first.
      await Promise.allSettled([recovered, warm.release(undefined, 'Guestprep is quitting'), ...pending.map((r) => r.done)]);
    },
  };
}
