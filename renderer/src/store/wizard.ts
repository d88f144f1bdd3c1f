// The wizard's whole state and its actions, as a zustand vanilla store bound to one GuestprepClient.
// Components render from it and call its actions; the rules that decide whether a step may be left
// (stepStatus) live here too, so they are tested without React.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ErrorData,
  Events,
  GuestprepClient,
  InspectReport,
  JreInfo,
  NodeSettings,
  PlanPreview,
  Preset,
  ProactiveInfo,
  Result,
  RetargetSettingsInput,
  RunStarted,
  SettingsInput,
} from '../../../main/contract/contract';
import { javaFit, proactiveFit, type Fit } from '../../../main/rules/guest-fit';
import { DISK_EXTENSIONS, partitionByExtension } from '../../../main/rules/formats';
import { checkNodeNamePattern, expandNodeName, isNodeNamePattern } from '../../../main/rules/names';
import type { Verdict } from '../../../main/rules/verdict';
import { guestSupport, type EngineCapabilities } from '../../../main/rules/guest-support';
import { checkRmUrl } from '../../../main/rules/rm-url';
import { createBatchActions } from './batch-actions';
import { batchActive, batchCounts, idleBatch, type BatchRunState } from './batch-run';
import { finishRun, idleRun, isActive, reduceRunEvent, startingRun, type RunState } from './run-state';

export const STEPS = [
  { id: 'image', title: 'Image' },
  { id: 'guest', title: 'Guest' },
  { id: 'java', title: 'Java' },
  { id: 'proactive', title: 'ProActive' },
  { id: 'manager', title: 'Manager' },
  { id: 'review', title: 'Review' },
  { id: 'run', title: 'Run' },
  { id: 'result', title: 'Result' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

export const stepIndex = (id: StepId): number => STEPS.findIndex((s) => s.id === id);

export interface ImageCandidate {
  name: string;
  /** Undefined when the host path of a dropped file cannot be known (browser bridge). */
  path?: string;
}

export interface ArchiveState<T> {
  path: string;
  status: 'idle' | 'busy' | 'ok' | 'error';
  info?: T;
  error?: ErrorData;
}

/** The Manager form as typed: strings, so a half-typed number is kept as the user sees it. */
export interface ManagerForm {
  rmUrl: string;
  nodeSource: string;
  nodeName: string;
  workers: string;
  credentialsFile: string;
  serviceUser: string;
  /** Extra JVM options, one a line (pamr needs the router address here). */
  jvmOptions: string;
}

export const emptyForm: ManagerForm = { rmUrl: '', nodeSource: '', nodeName: '', workers: '', credentialsFile: '', serviceUser: '', jvmOptions: '' };

export interface Validation {
  status: 'idle' | 'busy' | 'ok' | 'error';
  /** Which form state the answer is for: answers to older input are dropped. */
  seq: number;
  settings?: NodeSettings;
  warnings: string[];
  error?: ErrorData;
}

/**
 * What the wizard does with the image: prepare it (the whole wizard), or, when inspection found a Guestprep
 * install, change only its manager (Manager step, then the run: no archives) or remove it (straight to the run).
 */
export type WizardMode = 'prepare' | 'retarget' | 'remove';

/** The steps a retarget goes through: the archives and the plan review are not needed. */
const RETARGET_STEPS: readonly StepId[] = ['image', 'guest', 'manager', 'run', 'result'];
const REMOVE_STEPS: readonly StepId[] = ['image', 'guest', 'run', 'result'];

export interface WizardData {
  step: StepId;
  mode: WizardMode;
  view: 'wizard' | 'history';
  candidates: ImageCandidate[];
  refused: Array<{ name: string; reason: string }>;
  /** Set when a dropped file's path could not be read (bridge): the field is the way then. */
  dropNotice?: string;
  imagePath: string;
  inspect: { status: 'idle' | 'busy' | 'ok' | 'error'; path?: string; report?: InspectReport; error?: ErrorData };
  jre: ArchiveState<JreInfo>;
  proactive: ArchiveState<ProactiveInfo>;
  form: ManagerForm;
  formSeq: number;
  validation: Validation;
  preset?: string;
  presets: Preset[];
  plan: { status: 'idle' | 'busy' | 'ok' | 'error'; value?: PlanPreview; error?: ErrorData; key?: string };
  run: RunState;
  /** "Prepare all N images together" is ticked: the dropped images are prepared in one batch. */
  batchMode: boolean;
  /** The last batch run (idle when the last run was a single image, or none). */
  batch: BatchRunState;
  /** What the engine prepares (guest OSes, boot targets...), as the backend announces it; asked once. */
  capabilities?: EngineCapabilities;
}

export interface WizardActions {
  goTo(step: StepId): void;
  next(): Promise<void>;
  back(): void;
  setView(view: WizardData['view']): void;
  /** paths[i], when given, is files[i]'s host path as the drop zone resolved it (e.g. from a file:// URI list). */
  addImageFiles(files: readonly File[], paths?: ReadonlyArray<string | undefined>): void;
  setImagePath(path: string): void;
  chooseImage(path: string): Promise<void>;
  setBatchMode(on: boolean): void;
  setArchivePath(role: 'jre' | 'proactive', path: string): void;
  detectArchive(role: 'jre' | 'proactive', path?: string): Promise<void>;
  clearArchive(role: 'jre' | 'proactive'): void;
  setField<K extends keyof ManagerForm>(key: K, value: ManagerForm[K]): void;
  validateSettings(): Promise<void>;
  loadPresets(): Promise<ErrorData | undefined>;
  applyPreset(name: string): void;
  savePreset(name: string): Promise<ErrorData | undefined>;
  renamePreset(from: string, to: string): Promise<ErrorData | undefined>;
  deletePreset(name: string): Promise<ErrorData | undefined>;
  previewPlan(): Promise<void>;
  startRun(): Promise<void>;
  /** Existing install: go to the Manager step with its settings, to change only those (a retarget). */
  beginRetarget(): void;
  /** Back to preparing the image the usual way. */
  leaveRetarget(): void;
  /** Existing install: remove it (the caller has asked the user to confirm). */
  startRemoval(): Promise<void>;
  cancelRun(): Promise<ErrorData | undefined>;
  prepareAnother(): void;
}

export type WizardState = WizardData & WizardActions;
export type WizardStore = StoreApi<WizardState>;

export function initialData(): WizardData {
  return {
    step: 'image',
    mode: 'prepare',
    view: 'wizard',
    candidates: [],
    refused: [],
    imagePath: '',
    inspect: { status: 'idle' },
    jre: { path: '', status: 'idle' },
    proactive: { path: '', status: 'idle' },
    form: { ...emptyForm },
    formSeq: 0,
    validation: { status: 'idle', seq: -1, warnings: [] },
    presets: [],
    plan: { status: 'idle' },
    run: idleRun,
    batchMode: false,
    batch: idleBatch,
  };
}

// ---------------------------------------------------------------- derived values

/** What the Manager form means as SettingsInput: empty fields are left to the backend's defaults. */
export function settingsInput(s: Pick<WizardData, 'form' | 'proactive'>): SettingsInput {
  const f = s.form;
  const out: SettingsInput = { rmUrl: f.rmUrl.trim() };
  if (f.nodeName.trim()) out.nodeName = f.nodeName.trim();
  if (f.nodeSource.trim()) out.nodeSource = f.nodeSource.trim();
  // 3.x has no workers option: never send one, whatever the field held before a generation change.
  if (f.workers.trim() && s.proactive.info?.generation !== 'legacy') out.workers = f.workers.trim();
  if (f.credentialsFile.trim()) out.credentialsFile = f.credentialsFile.trim();
  if (f.serviceUser.trim()) out.serviceUser = f.serviceUser.trim();
  const jvm = f.jvmOptions.split('\n').map((l) => l.trim()).filter(Boolean);
  if (jvm.length) out.jvmOptions = jvm;
  return out;
}

/** The dropped images with a known path: what a batch can prepare (the rest have to be typed one by one). */
export function batchCandidates(s: Pick<WizardData, 'candidates'>): string[] {
  return s.candidates.map((c) => c.path).filter((p): p is string => !!p);
}

/** The images of the batch, in order, when the wizard prepares several at once; undefined for one image. */
export function batchImages(s: Pick<WizardData, 'batchMode' | 'candidates'>): string[] | undefined {
  if (!s.batchMode) return undefined;
  const paths = batchCandidates(s);
  return paths.length > 1 ? paths : undefined;
}

/** The node name pattern of a batch, checked with the engine's rule, and against the inspected guest for {hostname}. */
export function batchNameCheck(s: Pick<WizardData, 'form' | 'inspect'>, count: number): Verdict<string> {
  const c = checkNodeNamePattern(s.form.nodeName, count);
  if (!c.ok) return c;
  const guest = s.inspect.report?.guest;
  const p = s.form.nodeName.trim();
  if (guest && isNodeNamePattern(p)) {
    const e = expandNodeName(p, { n: 1, hostname: guest.hostname });
    if (!e.ok) return e;
  }
  return c;
}

/**
 * The settings the backend checks and previews (settings.validate, plan.preview) for the inspected image.
 * Those calls take a node name, not a pattern: in a batch it is expanded for that image (its number in the
 * list, its hostname), which is exactly the name the batch will give it.
 */
export function checkedSettings(s: Pick<WizardData, 'form' | 'proactive' | 'batchMode' | 'candidates' | 'inspect'>): SettingsInput {
  const input = settingsInput(s);
  const images = batchImages(s);
  if (!images || !input.nodeName || !isNodeNamePattern(input.nodeName)) return input;
  const n = Math.max(1, images.indexOf(s.inspect.path ?? '') + 1);
  const name = expandNodeName(input.nodeName, { n, hostname: s.inspect.report?.guest.hostname ?? '' });
  // A pattern that cannot expand was refused by batchNameCheck before any call is made.
  return name.ok ? { ...input, nodeName: name.value } : input;
}

/** A run, single or batch, is under way: the wizard stays on the Run step. */
export function runActive(s: Pick<WizardData, 'run' | 'batch'>): boolean {
  return isActive(s.run) || batchActive(s.batch);
}

/** The last run prepared at least one image, so there is a result to show. */
export function runSucceeded(s: Pick<WizardData, 'run' | 'batch'>): boolean {
  return s.run.status === 'success' || (s.batch.status === 'finished' && batchCounts(s.batch).success > 0);
}

export function javaCompat(s: Pick<WizardData, 'jre' | 'inspect'>): Fit {
  const jre = s.jre.info;
  const guest = s.inspect.report?.guest;
  return jre && guest ? javaFit(jre, guest) : { warnings: [] };
}

export function bundledJavaCompat(s: Pick<WizardData, 'proactive' | 'inspect'>): Fit {
  const b = s.proactive.info?.bundledJre;
  const guest = s.inspect.report?.guest;
  return b && guest ? javaFit(b, guest, 'The JRE bundled with ProActive') : { warnings: [] };
}

/** Whether the node distribution has the start script of the inspected guest's OS. */
export function proactiveCompat(s: Pick<WizardData, 'proactive' | 'inspect'>): Fit {
  const pa = s.proactive.info;
  const guest = s.inspect.report?.guest;
  return pa && guest ? proactiveFit(pa, guest) : { warnings: [] };
}

/** Key of everything a plan depends on: a plan made for other inputs is stale. */
export function planKey(s: WizardData): string {
  return JSON.stringify([s.inspect.path, s.jre.info?.archivePath, s.proactive.info?.archivePath, checkedSettings(s)]);
}

export interface StepStatus {
  ok: boolean;
  /** Why Next is disabled, in words the user can act on. */
  reason?: string;
}

export function stepStatus(s: WizardData, step: StepId): StepStatus {
  switch (step) {
    case 'image':
      if (s.inspect.status === 'busy') return { ok: false, reason: 'Inspecting the image (about 15 s)…' };
      if (s.inspect.status === 'error') return { ok: false, reason: `The image was refused: ${s.inspect.error?.message ?? 'unknown error'}` };
      if (s.inspect.status !== 'ok') return { ok: false, reason: 'Choose a disk image: drop it, pick a VirtualBox disk, or type its path.' };
      return { ok: true };
    case 'guest': {
      if (!s.inspect.report) return { ok: false, reason: 'Inspect an image first.' };
      if (!s.capabilities) return { ok: false, reason: 'Asking the engine what it supports…' };
      const support = guestSupport(s.inspect.report.guest, s.capabilities);
      if (!support.ok) return { ok: false, reason: support.problem.message };
      return { ok: true };
    }
    case 'java': {
      if (s.jre.status === 'busy') return { ok: false, reason: 'Reading the Java archive…' };
      if (s.jre.status === 'error') return { ok: false, reason: `The Java archive was refused: ${s.jre.error?.message ?? 'unknown error'}` };
      if (s.jre.path.trim() && s.jre.status !== 'ok') return { ok: false, reason: 'Check the Java archive (press Enter in the field or Detect).' };
      const c = javaCompat(s);
      if (c.problem) return { ok: false, reason: c.problem.message };
      return { ok: true };
    }
    case 'proactive': {
      if (s.proactive.status === 'busy') return { ok: false, reason: 'Reading the ProActive archive…' };
      if (s.proactive.status === 'error') return { ok: false, reason: `The ProActive archive was refused: ${s.proactive.error?.message ?? 'unknown error'}` };
      if (s.proactive.status !== 'ok' || !s.proactive.info) return { ok: false, reason: 'Choose the ProActive node distribution archive.' };
      if (!s.jre.info && !s.proactive.info.bundledJre) {
        return { ok: false, reason: 'This distribution bundles no Java runtime: go back to the Java step and choose one.' };
      }
      const fit = proactiveCompat(s);
      if (fit.problem) return { ok: false, reason: fit.problem.message };
      const c = bundledJavaCompat(s);
      if (!s.jre.info && c.problem) return { ok: false, reason: c.problem.message };
      return { ok: true };
    }
    case 'manager': {
      if (!s.form.rmUrl.trim()) return { ok: false, reason: 'Enter the Resource Manager URL.' };
      const url = checkRmUrl(s.form.rmUrl);
      if (!url.ok) return { ok: false, reason: `Fix the Resource Manager URL: ${url.problem.message}` };
      const images = batchImages(s);
      const names: Verdict<string> = images ? batchNameCheck(s, images.length) : { ok: true, value: '' };
      if (!names.ok) return { ok: false, reason: `Fix the node name: ${names.problem.message}` };
      // A retarget has no archives to validate against: the run checks the settings first thing, before any launch.
      if (s.mode === 'retarget') return { ok: true };
      const v = s.validation;
      if (v.status === 'error' && v.seq === s.formSeq) return { ok: false, reason: `Fix the settings: ${v.error?.message ?? 'invalid'}` };
      if (v.status !== 'ok' || v.seq !== s.formSeq) return { ok: false, reason: 'Checking the settings…' };
      return { ok: true };
    }
    case 'review': {
      const p = s.plan;
      if (p.status === 'busy') return { ok: false, reason: 'Building the plan…' };
      if (p.status === 'error') return { ok: false, reason: `The plan could not be built: ${p.error?.message ?? 'unknown error'}` };
      if (p.status !== 'ok' || !p.value || p.key !== planKey(s)) return { ok: false, reason: 'The plan is not ready yet.' };
      if (p.value.requiredBytes > p.value.freeBytes) return { ok: false, reason: 'Not enough free space in the guest for this installation.' };
      return { ok: true };
    }
    case 'run':
      if (s.batch.status !== 'idle') return batchRunStatus(s.batch);
      if (s.run.status === 'success') return { ok: true };
      if (s.run.status === 'failed') return { ok: false, reason: 'The run failed: see the error above, fix it, then go back and run again.' };
      if (s.run.status === 'cancelled') return { ok: false, reason: 'The run was cancelled; the image was left unchanged.' };
      return { ok: false, reason: 'The run is in progress.' };
    case 'result':
      return { ok: false, reason: 'This is the last step.' };
  }
}

function batchRunStatus(b: BatchRunState): StepStatus {
  if (batchActive(b)) return { ok: false, reason: 'The batch is in progress.' };
  if (b.status === 'refused') return { ok: false, reason: 'The batch was refused: see the error above, fix it, then go back and run again.' };
  const c = batchCounts(b);
  if (c.success > 0) return { ok: true };
  if (c.cancelled === c.total) return { ok: false, reason: 'The batch was cancelled; the images were left unchanged.' };
  return { ok: false, reason: "No image was prepared: see each image's error above, fix them, then go back and run again." };
}

/** The steps the current mode goes through, in order. */
export function stepsOf(mode: WizardMode): readonly StepId[] {
  return mode === 'retarget' ? RETARGET_STEPS : mode === 'remove' ? REMOVE_STEPS : STEPS.map((x) => x.id);
}

/** A step can be visited when every step before it is valid (and no run is under way). */
export function canVisit(s: WizardData, step: StepId): boolean {
  if (runActive(s)) return step === 'run';
  if (!stepsOf(s.mode).includes(step)) return false;
  const target = stepIndex(step);
  if (step === 'run' && s.run.status === 'idle' && s.batch.status === 'idle') return false;
  if (step === 'result' && !runSucceeded(s)) return false;
  for (let i = 0; i < target; i++) {
    const id = STEPS[i]!.id;
    if (id === 'run' || id === 'result' || !stepsOf(s.mode).includes(id)) continue;
    if (!stepStatus(s, id).ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------- the store

export function createWizardStore(client: GuestprepClient, initial: Partial<WizardData> = {}): WizardStore {
  // Run subscriptions live outside the state: they are not data to render.
  let unsubscribe: (() => void) | undefined;

  return createStore<WizardState>()((set, get) => {
    const resetDownstreamOfArchives = () => set((s) => ({ validation: { ...s.validation, status: 'idle' }, plan: { status: 'idle' } }));
    const batchRun = createBatchActions(client, get, set, settingsInput);
    // The backend keeps the appliance that inspected an image up for the run; once the page no longer
    // needs that image, it ends it rather than leave it running until the idle timeout.
    const release = (image: string) => void client.call('image.release', { image });
    // What the engine supports, asked once; a failed answer is asked again with the next image.
    const loadCapabilities = async () => {
      const res = await client.call('engine.capabilities', {});
      if (res.ok) set({ capabilities: res.value });
    };
    // Asked at once, so the Guest step has the answer by the time an inspection ends.
    if (!initial.capabilities) queueMicrotask(() => void loadCapabilities());

    /**
     * Starts a run (prepare, retarget or remove) and follows it: subscribed before the call, since the first
     * events may arrive before the call answers with the run id.
     */
    async function launchRun(plan: PlanPreview | undefined, start: () => Promise<Result<RunStarted>>): Promise<void> {
      unsubscribe?.();
      set({ step: 'run', run: startingRun(plan) });
      let runId: string | undefined;
      const early: Array<{ kind: 'event'; p: Events['run.event'] } | { kind: 'result'; p: Events['run.result'] }> = [];
      const onEvent = (p: Events['run.event']) => set((st) => ({ run: reduceRunEvent(st.run, p.event) }));
      const onResult = (p: Events['run.result']) => {
        set((st) => ({ run: finishRun(st.run, p.result) }));
        unsubscribe?.();
        unsubscribe = undefined;
        if (get().run.status === 'success' && get().step === 'run') set({ step: 'result' });
      };
      const offEvent = client.on('run.event', (p) => (runId === undefined ? early.push({ kind: 'event', p }) : p.runId === runId && onEvent(p)));
      const offResult = client.on('run.result', (p) => (runId === undefined ? early.push({ kind: 'result', p }) : p.runId === runId && onResult(p)));
      unsubscribe = () => {
        offEvent();
        offResult();
      };
      const res = await start();
      if (!res.ok) {
        unsubscribe?.();
        unsubscribe = undefined;
        set((st) => ({ run: finishRun(st.run, { ok: false, error: res.error }) }));
        return;
      }
      runId = res.value.runId;
      set((st) => ({ run: { ...st.run, runId, status: st.run.status === 'starting' ? 'running' : st.run.status } }));
      for (const x of early) {
        if (x.p.runId !== runId) continue;
        if (x.kind === 'event') onEvent(x.p);
        else onResult(x.p);
      }
    }

    function startRetargetRun(): Promise<void> {
      const s = get();
      const report = s.inspect.report;
      const rec = report?.guest.existing?.record;
      if (isActive(s.run) || !report || !rec || !stepStatus(s, 'manager').ok) return Promise.resolve();
      const f = s.form;
      const settings: RetargetSettingsInput = { rmUrl: f.rmUrl.trim() };
      if (f.nodeName.trim()) settings.nodeName = f.nodeName.trim();
      if (f.nodeSource.trim()) settings.nodeSource = f.nodeSource.trim();
      if (f.workers.trim() && rec.proactive.generation !== 'legacy') settings.workers = f.workers.trim();
      if (f.credentialsFile.trim()) settings.credentialsFile = f.credentialsFile.trim();
      return launchRun(undefined, () => client.call('run.retarget', { image: report.image.path, settings, installDir: rec.installDir }));
    }

    return {
      ...initialData(),
      ...initial,

      goTo(step) {
        if (canVisit(get(), step)) set({ step });
      },

      async next() {
        const s = get();
        if (s.step === 'review') return get().startRun();
        if (s.mode === 'retarget' && s.step === 'manager') return startRetargetRun();
        if (!stepStatus(s, s.step).ok) return;
        const order = stepsOf(s.mode);
        const to = order[order.indexOf(s.step) + 1];
        if (to) set({ step: to });
      },

      back() {
        const s = get();
        if (runActive(s)) return;
        const order = stepsOf(s.mode);
        // From the run or result, Back returns to what started the run (the plan, the manager settings, the
        // guest), not into a finished run.
        if (s.step === 'run' || s.step === 'result') {
          set({ step: s.mode === 'retarget' ? 'manager' : s.mode === 'remove' ? 'guest' : 'review' });
          return;
        }
        const i = order.indexOf(s.step);
        if (i > 0) set({ step: order[i - 1]! });
      },

      setView(view) {
        set({ view });
      },

      addImageFiles(files, paths) {
        const { accepted, refused } = partitionByExtension(files, DISK_EXTENSIONS, 'a disk image');
        const known = (f: File) => paths?.[files.indexOf(f)] || client.pathForFile(f) || undefined;
        const candidates = accepted.map((f) => ({ name: f.name, path: known(f) }));
        const unknownPath = candidates.some((c) => !c.path);
        set({
          candidates,
          refused,
          dropNotice: unknownPath
            ? 'The path of a dropped file cannot be read here (the browser page has no access to your file system): type or paste the full path in the field below.'
            : undefined,
        });
        const first = candidates[0];
        // A new list: whether to prepare it all together is asked again.
        set({ batchMode: false });
        if (first?.path) void get().chooseImage(first.path);
      },

      setImagePath(path) {
        set({ imagePath: path });
      },

      async chooseImage(path) {
        const image = path.trim();
        if (!image) return;
        const prev = get().inspect;
        // A busy inspection is let go of when its answer arrives (below): its appliance is not up yet.
        if (prev.status === 'ok' && prev.path && prev.path !== image) release(prev.path);
        // An image from outside the dropped list (typed, VirtualBox) means one image, not the batch.
        const batchMode = get().batchMode && batchCandidates(get()).includes(image);
        set({ imagePath: image, batchMode, mode: 'prepare', inspect: { status: 'busy', path: image }, plan: { status: 'idle' }, validation: { status: 'idle', seq: -1, warnings: [] } });
        // Asked alongside the inspection: the Guest step judges the guest by what the engine announces.
        const [res] = await Promise.all([client.call('image.inspect', { image }), get().capabilities ? undefined : loadCapabilities()]);
        // The user may have chosen another image meanwhile: only the latest choice counts, and the
        // appliance kept up for this one is not needed.
        if (get().inspect.path !== image) {
          if (res.ok) release(image);
          return;
        }
        if (res.ok) {
          set({ inspect: { status: 'ok', path: image, report: res.value } });
          if (get().step === 'image') set({ step: 'guest' });
        } else {
          set({ inspect: { status: 'error', path: image, error: res.error } });
        }
      },

      setBatchMode(on) {
        // What the Manager step validates depends on it (a pattern is expanded only in a batch).
        set((s) => ({ batchMode: on && batchCandidates(s).length > 1, formSeq: s.formSeq + 1 }));
      },

      setArchivePath(role, path) {
        set((s) => ({ [role]: { ...s[role], path, status: 'idle', info: undefined, error: undefined } }) as Partial<WizardState>);
      },

      async detectArchive(role, pathArg) {
        const path = (pathArg ?? get()[role].path).trim();
        if (!path) return;
        set({ [role]: { path, status: 'busy' } } as Partial<WizardState>);
        resetDownstreamOfArchives();
        const res = await client.call('archive.detect', { path, role });
        if (get()[role].path !== path) return;
        if (!res.ok) {
          set({ [role]: { path, status: 'error', error: res.error } } as Partial<WizardState>);
        } else if (res.value.role !== role) {
          set({ [role]: { path, status: 'error', error: { code: 'INTERNAL', message: `the backend answered for a ${res.value.role} archive`, fix: 'Report this as a bug.' } } } as Partial<WizardState>);
        } else {
          set({ [role]: { path, status: 'ok', info: res.value.info } } as Partial<WizardState>);
        }
      },

      clearArchive(role) {
        set({ [role]: { path: '', status: 'idle' } } as Partial<WizardState>);
        resetDownstreamOfArchives();
      },

      setField(key, value) {
        set((s) => ({ form: { ...s.form, [key]: value }, formSeq: s.formSeq + 1, preset: undefined }));
      },

      async validateSettings() {
        const s = get();
        const guest = s.inspect.report?.guest;
        const proactive = s.proactive.info;
        const seq = s.formSeq;
        if (!guest || !proactive) {
          set({ validation: { status: 'error', seq, warnings: [], error: { code: 'SETTING_INVALID', message: 'choose an image and the ProActive archive first', fix: 'Go back to the Image and ProActive steps.' } } });
          return;
        }
        const images = batchImages(s);
        const names = images ? batchNameCheck(s, images.length) : undefined;
        if (names && !names.ok) {
          // The backend takes names, not patterns: a broken pattern is answered here.
          set({ validation: { status: 'error', seq, warnings: [], error: { code: 'SETTING_INVALID', ...names.problem } } });
          return;
        }
        set({ validation: { ...s.validation, status: 'busy', seq } });
        const res = await client.call('settings.validate', { settings: checkedSettings(s), guest, jre: s.jre.info, proactive });
        if (get().formSeq !== seq) return;
        set({
          validation: res.ok
            ? { status: 'ok', seq, settings: res.value.settings, warnings: res.value.warnings }
            : { status: 'error', seq, warnings: [], error: res.error },
        });
      },

      async loadPresets() {
        const res = await client.call('presets.list', {});
        if (!res.ok) return res.error;
        set({ presets: res.value });
        return undefined;
      },

      applyPreset(name) {
        const p = get().presets.find((x) => x.name === name);
        if (!p) return;
        const st = p.data.settings;
        const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
        set((s) => ({
          preset: name,
          formSeq: s.formSeq + 1,
          form: {
            rmUrl: str(st.rmUrl),
            nodeSource: str(st.nodeSource),
            nodeName: str(st.nodeName),
            workers: str(st.workers),
            credentialsFile: str(st.credentialsFile),
            serviceUser: str(st.serviceUser),
            jvmOptions: (st.jvmOptions ?? []).join('\n'),
          },
        }));
        // A preset also carries the Java and ProActive archives it was saved with: re-detect them (they
        // may have moved since), unless the user already picked those very files.
        for (const role of ['jre', 'proactive'] as const) {
          const path = p.data[role];
          if (path && get()[role].path !== path) void get().detectArchive(role, path);
        }
      },

      async savePreset(name) {
        const s = get();
        const res = await client.call('presets.save', {
          name,
          data: { jre: s.jre.info?.archivePath, proactive: s.proactive.info?.archivePath, settings: settingsInput(s) },
        });
        if (!res.ok) return res.error;
        await get().loadPresets();
        set({ preset: res.value.name });
        return undefined;
      },

      async renamePreset(from, to) {
        const res = await client.call('presets.rename', { from, to });
        if (!res.ok) return res.error;
        await get().loadPresets();
        if (get().preset === from) set({ preset: res.value.name });
        return undefined;
      },

      async deletePreset(name) {
        const res = await client.call('presets.delete', { name });
        if (!res.ok) return res.error;
        await get().loadPresets();
        if (get().preset === name) set({ preset: undefined });
        return undefined;
      },

      async previewPlan() {
        const s = get();
        const report = s.inspect.report;
        const proactive = s.proactive.info;
        if (!report || !proactive) return;
        const key = planKey(s);
        set({ plan: { status: 'busy', key } });
        const res = await client.call('plan.preview', {
          image: report.image.path,
          guest: report.guest,
          imageInfo: report.image,
          jre: s.jre.info,
          proactive,
          settings: checkedSettings(s),
        });
        if (get().plan.key !== key) return;
        set({ plan: res.ok ? { status: 'ok', key, value: res.value } : { status: 'error', key, error: res.error } });
      },

      async startRun() {
        const s = get();
        if (runActive(s) || !stepStatus(s, 'review').ok || !s.proactive.info || !s.inspect.report) return;
        const images = batchImages(s);
        if (images) return batchRun.start(images);
        set({ batch: idleBatch });
        const { image } = s.inspect.report;
        const proactive = s.proactive.info.archivePath;
        await launchRun(s.plan.value, () =>
          client.call('run.start', { image: image.path, jre: s.jre.info?.archivePath, proactive, settings: settingsInput(s), preset: s.preset }),
        );
      },

      beginRetarget() {
        const s = get();
        const rec = s.inspect.report?.guest.existing?.record;
        if (!rec || isActive(s.run)) return;
        set((st) => ({
          mode: 'retarget',
          step: 'manager',
          preset: undefined,
          formSeq: st.formSeq + 1,
          form: { ...emptyForm, rmUrl: rec.rmUrl, nodeName: rec.nodeName, nodeSource: rec.nodeSource, workers: rec.workers !== undefined ? String(rec.workers) : '' },
          run: idleRun,
        }));
      },

      leaveRetarget() {
        if (isActive(get().run)) return;
        set((st) => ({ mode: 'prepare', step: 'guest', form: { ...emptyForm }, formSeq: st.formSeq + 1, run: idleRun }));
      },

      async startRemoval() {
        const s = get();
        const report = s.inspect.report;
        if (isActive(s.run) || !report?.guest.existing) return;
        set({ mode: 'remove' });
        await launchRun(undefined, () => client.call('run.remove', { image: report.image.path, installDir: report.guest.existing!.record.installDir }));
      },

      async cancelRun() {
        if (batchActive(get().batch)) return batchRun.cancel();
        const { run } = get();
        if (!run.runId || !isActive(run)) return undefined;
        set((st) => ({ run: { ...st.run, status: 'cancelling' } }));
        const res = await client.call('run.cancel', { runId: run.runId });
        if (!res.ok) {
          set((st) => ({ run: st.run.status === 'cancelling' ? { ...st.run, status: 'running' } : st.run }));
          return res.error;
        }
        if (!res.value.cancelled) {
          // Too late to cancel (the run was committing or already over): its result event will tell.
          set((st) => ({ run: st.run.status === 'cancelling' ? { ...st.run, status: 'running' } : st.run }));
        }
        return undefined;
      },

      prepareAnother() {
        unsubscribe?.();
        unsubscribe = undefined;
        batchRun.stop();
        const { inspect } = get();
        if (inspect.status === 'ok' && inspect.path) release(inspect.path);
        // Keep what is reusable across images (archives, manager settings, preset); the image and
        // everything derived from it (guest, validation against that guest, plan, run) starts over.
        set((s) => ({
          ...initialData(),
          jre: s.jre,
          proactive: s.proactive,
          // After a retarget or a removal the form held that image's own settings: the next image starts clean.
          form: s.mode === 'prepare' ? s.form : { ...emptyForm },
          formSeq: s.formSeq + 1,
          preset: s.preset,
          presets: s.presets,
        }));
      },
    };
  });
}
