// The one typed contract between the renderer and the backend: every call the page may make, every event
// it may receive. Electron's preload exposes exactly this (over IPC), the browser bridge serves exactly
// this (over a WebSocket), and the backend object implements it over the engine. Errors cross it as data
// (code, message, fix), never as thrown strings.
//
// Types only (plus the channel name list): the renderer imports this file, so it must not pull in Node.

import type { ErrorData } from '../engine/errors';
import type {
  GuestFacts,
  ImageFileInfo,
  InstallRecord,
  JreInfo,
  NodeSettings,
  ProactiveInfo,
  RetargetSettingsInput,
  RunEvent,
  SettingsInput,
  VboxDisk,
  VboxVm,
} from '../engine/types';
import type { InspectReport } from '../engine/run/inspect-image';
import type { PrepareReport, RemoveReport, RetargetReport, RunReport } from '../engine/run/report';
import type { RecoveryOutcome } from '../engine/run/recover';
import type { EngineCapabilities } from '../rules/guest-support';

export type { EngineCapabilities };

export type { VboxDisk, VboxVm };
export type {
  ErrorData, GuestFacts, ImageFileInfo, InstallRecord, JreInfo, NodeSettings, ProactiveInfo, RetargetSettingsInput, RunEvent, SettingsInput, InspectReport,
  PrepareReport, RetargetReport, RemoveReport, RunReport, RecoveryOutcome,
};

/** What the start of the backend did about runs a crash had interrupted (told to the user once). */
export interface RecoveryStatus {
  /** True until recovery has finished (a commit being finished can take a while). */
  running: boolean;
  outcomes: RecoveryOutcome[];
  /** Recovery could not run at all (the database); the fix says what to do. */
  error?: ErrorData;
}

/** Every call answers with a Result: the page never has to catch. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

// ---------------------------------------------------------------- data exchanged

export interface ArchiveRequest {
  path: string;
  role: 'jre' | 'proactive';
}

export type ArchiveInfo = { role: 'jre'; info: JreInfo } | { role: 'proactive'; info: ProactiveInfo };

export interface PlanRequest {
  image: string;
  /** What inspection found (the Guest step has it already; planning needs no appliance). */
  guest: GuestFacts;
  imageInfo: ImageFileInfo;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  settings: SettingsInput;
}

export interface PlanPreview {
  settings: NodeSettings;
  steps: Array<{ id: string; title: string; commands: number; bytes?: number }>;
  /** The equivalent guestfish script, as `--dry-run` writes it. */
  script: string;
  requiredBytes: number;
  freeBytes: number;
  atNextBoot: string[];
  warnings: string[];
}

export interface RunRequest {
  image: string;
  jre?: string;
  proactive: string;
  settings: SettingsInput;
  /** Preset the settings came from, for the history. */
  preset?: string;
}

export interface BatchRunRequest {
  images: string[];
  jre?: string;
  proactive: string;
  /** Shared by every image; nodeName may be a pattern: node-{n}, {hostname}. */
  settings: SettingsInput;
  preset?: string;
}

export interface RunStarted {
  runId: string;
}

/** Point the node installed in an image at another Resource Manager: no archives, the record has the rest. */
export interface RetargetRequest {
  image: string;
  settings: RetargetSettingsInput;
  /** Where the install is, when not in the default folder. */
  installDir?: string;
}

/** Take out everything Guestprep installed in an image, and restore what it changed. */
export interface RemoveRequest {
  image: string;
  installDir?: string;
}

export interface PresetData {
  jre?: string;
  proactive?: string;
  settings: SettingsInput;
}

export interface Preset {
  name: string;
  data: PresetData;
  createdAt: string;
  updatedAt: string;
}

export type RunOutcome = 'success' | 'failed' | 'cancelled' | 'interrupted';

export interface HistoryEntry {
  id: string;
  image: string;
  preset?: string;
  startedAt: string;
  durationMs?: number;
  outcome?: RunOutcome;
  error?: ErrorData;
  /** Present when fetched one by one (history.get), not in lists. */
  log?: string[];
  report?: RunReport;
}

export interface HistoryFilter {
  text?: string;
  outcome?: RunOutcome;
  limit?: number;
}


// ---------------------------------------------------------------- calls

/** Channel name -> request and response. The only calls the page can make. */
export interface Calls {
  'image.inspect': { req: { image: string }; res: InspectReport };
  'archive.detect': { req: ArchiveRequest; res: ArchiveInfo };
  'settings.validate': { req: { settings: SettingsInput; guest: GuestFacts; jre?: JreInfo; proactive: ProactiveInfo }; res: { settings: NodeSettings; warnings: string[] } };
  'plan.preview': { req: PlanRequest; res: PlanPreview };
  'run.start': { req: RunRequest; res: RunStarted };
  /** Like run.start, for a retarget: the same events, one run.result with a RetargetReport. */
  'run.retarget': { req: RetargetRequest; res: RunStarted };
  /** Like run.start, for a removal: the same events, one run.result with a RemoveReport. */
  'run.remove': { req: RemoveRequest; res: RunStarted };
  'run.cancel': { req: { runId: string }; res: { cancelled: boolean } };
  'presets.list': { req: Record<string, never>; res: Preset[] };
  'presets.save': { req: { name: string; data: PresetData }; res: Preset };
  'presets.rename': { req: { from: string; to: string }; res: Preset };
  'presets.delete': { req: { name: string }; res: { deleted: boolean } };
  'presets.export': { req: { names?: string[] }; res: { json: string } };
  'presets.import': { req: { json: string; overwrite?: boolean }; res: { imported: string[]; skipped: string[] } };
  'history.list': { req: HistoryFilter; res: HistoryEntry[] };
  'history.get': { req: { id: string }; res: HistoryEntry };
  'vbox.list': { req: Record<string, never>; res: VboxVm[] };
  'shell.showInFolder': { req: { path: string }; res: { shown: boolean } };
  /**
   * Ends the warm appliance kept since `image.inspect` (the page left that image: another one picked, the
   * wizard started over, the window closed). All of them when no image is given.
   */
  'image.release': { req: { image?: string }; res: { released: number } };
  /** Prepares several images together (one appliance launch); one run id per image, in the order given. */
  'run.startBatch': { req: BatchRunRequest; res: { runIds: string[] } };
  /** Waits for the recovery of interrupted runs started with the backend, and says what it did. */
  'recovery.status': { req: Record<string, never>; res: RecoveryStatus };
  /** What the engine prepares and reads (guest OSes, boot targets, image formats, archive kinds): the wizard shows that. */
  'engine.capabilities': { req: Record<string, never>; res: EngineCapabilities };
}

export type CallName = keyof Calls;
export type CallReq<C extends CallName> = Calls[C]['req'];
export type CallRes<C extends CallName> = Calls[C]['res'];

/** Runtime list of the call names, for allow-lists in the preload, the IPC handlers and the bridge. */
export const CALL_NAMES: readonly CallName[] = [
  'image.inspect',
  'archive.detect',
  'settings.validate',
  'plan.preview',
  'run.start',
  'run.retarget',
  'run.remove',
  'run.cancel',
  'presets.list',
  'presets.save',
  'presets.rename',
  'presets.delete',
  'presets.export',
  'presets.import',
  'history.list',
  'history.get',
  'vbox.list',
  'shell.showInFolder',
  'recovery.status',
  'image.release',
  'run.startBatch',
  'engine.capabilities',
] as const;

// ---------------------------------------------------------------- events

/** Events the backend pushes to the page. */
export interface Events {
  'run.event': { runId: string; event: RunEvent };
  /** The report of the run's kind: PrepareReport, or a RetargetReport / RemoveReport (they carry `operation`). */
  'run.result': { runId: string; result: Result<RunReport> };
}

export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['run.event', 'run.result'] as const;

// ---------------------------------------------------------------- what the page sees

/**
 * The object the page uses (window.guestprep in Electron, the bridge client in a browser): one `call`
 * for every channel, one `on` for every event, and the file-path helper for drag and drop.
 */
export interface GuestprepClient {
  call<C extends CallName>(name: C, req: CallReq<C>): Promise<Result<CallRes<C>>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
  /** The host path of a dropped File (Electron: webUtils.getPathForFile; browser bridge: uploads are not supported, returns undefined). */
  pathForFile(file: File): string | undefined;
  /** Where the backend runs: the page adapts a few affordances (e.g. "show in folder"). */
  readonly kind: 'electron' | 'bridge';
}

/** The backend side: implemented once (backend.ts) and adapted to IPC and to the bridge. */
export type Handlers = { [C in CallName]: (req: CallReq<C>) => Promise<CallRes<C>> };
export type EventSink = <E extends EventName>(name: E, payload: Events[E]) => void;
