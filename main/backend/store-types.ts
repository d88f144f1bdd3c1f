// What the backend needs from persistent storage (presets and run history). Implemented over SQLite in
// store.ts; the backend and the CLI depend only on this interface.

import type { ErrorData } from '../engine/api';
import type { RunJournal } from '../engine/api';
import type { RunReport } from '../engine/api';
import type { HistoryEntry, HistoryFilter, Preset, PresetData, RunOutcome } from '../contract/contract';

export interface PresetStore {
  list(): Preset[];
  get(name: string): Preset | undefined;
  /** Creates or replaces the preset of that name. */
  save(name: string, data: PresetData): Preset;
  rename(from: string, to: string): Preset;
  delete(name: string): boolean;
  /** JSON document of the named presets (all when omitted), versioned so imports can check it. */
  exportJson(names?: string[]): string;
  importJson(json: string, overwrite?: boolean): { imported: string[]; skipped: string[] };
}

export interface HistoryStore {
  /** Records the start of a run and returns its id. */
  start(entry: { id?: string; image: string; preset?: string; startedAt?: string }): string;
  appendLog(id: string, line: string): void;
  finish(id: string, result: { outcome: RunOutcome; durationMs: number; report?: RunReport; error?: ErrorData }): void;
  list(filter?: HistoryFilter): HistoryEntry[];
  get(id: string): HistoryEntry | undefined;
}

export interface Store {
  presets: PresetStore;
  history: HistoryStore;
  /** The crash journal and image lock of runs that write images (engine/run/journal.ts). */
  journal: RunJournal;
  close(): void;
  /** What opening it changed and the user should be told once (e.g. a data folder made private). */
  notices?: string[];
}
