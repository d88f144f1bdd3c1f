// `guestprep prepare --preset NAME`: the CLI reads the presets saved in the app (same database, see
// backend/paths.ts) and records its runs in the same history, so the app shows CLI runs too.
//
// Merging rule: a flag the user typed wins over the preset; a flag left at its commander default does
// not, or `--node-source` defaulting to "Default" would silently override every preset's node source.

import path from 'node:path';
import type { Command } from 'commander';
import { GuestprepError, fail, toErrorData, type ErrorData } from '../engine/api';
import { parseSettingsInput } from '../engine/api';
import type { RunEvent, SettingsInput } from '../engine/api';
import type { RunReport } from '../engine/api';
import type { Store } from '../backend/store-types';
import { noSuchPreset, openStore } from '../backend/store';
import { defaultDbPath } from '../backend/paths';

/** `prepare`'s options as commander names them (attribute names), before any preset is applied. */
export interface PrepareFlagValues {
  jre?: string;
  proactive?: string;
  rmUrl?: string;
  nodeSource?: string;
  nodeName?: string;
  workers?: string | number;
  credentials?: string;
  jvmOption?: string[];
  ignoreUnrecognizedVmOptions?: boolean;
  serviceUser?: string;
  serviceName?: string;
  installDir?: string;
}

/** What `prepare` needs once the preset and the flags are merged. */
export interface PrepareInputs {
  jre?: string;
  proactive: string;
  settings: SettingsInput;
  /** The preset used, for the history. */
  preset?: string;
}

/** CLI option (attribute name) -> the setting it sets. The archives are handled apart: they are not settings. */
const FLAG_TO_SETTING = {
  rmUrl: 'rmUrl',
  nodeSource: 'nodeSource',
  nodeName: 'nodeName',
  workers: 'workers',
  credentials: 'credentialsFile',
  jvmOption: 'jvmOptions',
  ignoreUnrecognizedVmOptions: 'ignoreUnrecognizedVmOptions',
  serviceUser: 'serviceUser',
  serviceName: 'serviceName',
  installDir: 'installDir',
} as const satisfies Partial<Record<keyof PrepareFlagValues, keyof SettingsInput>>;

/**
 * Names (attribute names) of the options the user actually gave: on the command line, or through an
 * environment variable or config if the program ever binds one. Defaults and implied values are not choices.
 */
export function explicitOptions(cmd: Pick<Command, 'options' | 'getOptionValueSource'>): Set<string> {
  const out = new Set<string>();
  for (const o of cmd.options) {
    const key = o.attributeName();
    const source = cmd.getOptionValueSource(key);
    if (source === 'cli' || source === 'env' || source === 'config') out.add(key);
  }
  return out;
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/**
 * Merges a preset's archives and settings under the flags the user typed. With no preset name, the flags
 * alone. Either way the result must have a ProActive archive and a manager URL: with presets, `--proactive`
 * and `--rm-url` can no longer be required by commander, so they are required here.
 */
export function applyPreset(
  store: Pick<Store, 'presets'> | undefined,
  name: string | undefined,
  flags: PrepareFlagValues,
  explicit: Set<string>,
): PrepareInputs {
  let preset: { name: string; jre?: string; proactive?: string; settings: Partial<SettingsInput> } | undefined;
  if (name !== undefined) {
    if (!store) fail('INTERNAL', 'presets were asked for without a database', 'This is a bug in Guestprep. Please report it.');
    const found = store.presets.get(name);
    if (!found) noSuchPreset(name.trim(), store.presets.list().map((p) => p.name));
    let settings: SettingsInput;
    try {
      // Checked again on use: the data was checked when saved, but the database is a file anyone can edit.
      settings = parseSettingsInput(found.data.settings);
    } catch (err) {
      if (err instanceof GuestprepError) {
        throw new GuestprepError({ ...err.toData(), message: `preset ${JSON.stringify(found.name)}: ${err.message}`, fix: `Fix or save the preset again in the Guestprep app. ${err.fix}` });
      }
      throw err;
    }
    preset = { name: found.name, jre: found.data.jre, proactive: found.data.proactive, settings };
  }

  const pick = <T>(flag: keyof PrepareFlagValues, fromPreset: T | undefined): T | undefined => {
    const flagValue = flags[flag] as T | undefined;
    if (explicit.has(flag) || !preset) return flagValue;
    return isSet(fromPreset) ? fromPreset : flagValue;
  };

  const settings: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(FLAG_TO_SETTING) as Array<[keyof typeof FLAG_TO_SETTING, keyof SettingsInput]>) {
    const v = pick(flag, preset?.settings[key]);
    if (v !== undefined) settings[key] = v;
  }
  const jre = pick<string>('jre', preset?.jre);
  const proactive = pick<string>('proactive', preset?.proactive);
  const from = preset ? ` (the preset ${JSON.stringify(preset.name)} has none either)` : '';

  if (!isSet(proactive)) {
    fail('SETTING_INVALID', `no ProActive node archive was given${from}`, 'Give it with --proactive ARCHIVE (a .zip, .tar.gz or .tar.xz of the ProActive node distribution).');
  }
  if (!isSet(settings.rmUrl)) {
    fail('SETTING_INVALID', `no Resource Manager URL was given${from}`, 'Give it with --rm-url, e.g. --rm-url pnp://rm.example.org:64738.');
  }
  const out: PrepareInputs = { proactive: proactive as string, settings: settings as unknown as SettingsInput };
  if (isSet(jre)) out.jre = jre;
  if (preset) out.preset = preset.name;
  return out;
}

// ---------------------------------------------------------------- the database for the CLI

/**
 * Opens the shared database for a CLI command. When a preset is needed, failing to open it is the
 * command's error. Otherwise the run goes ahead unrecorded, with one warning: the history is a
 * convenience, and a locked or damaged database must not stop anyone preparing an image.
 */
export function openCliStore(opts: { required: boolean; warn: (message: string) => void; notice?: (message: string) => void; dbPath?: string }): Store | undefined {
  try {
    const store = openStore(opts.dbPath ?? defaultDbPath());
    // Said once: what opening changed (a data folder other users could read, now private).
    for (const n of store.notices ?? []) (opts.notice ?? opts.warn)(n);
    return store;
  } catch (err) {
    if (opts.required) throw err;
    const e = toErrorData(err);
    opts.warn(`this run is not recorded in the history: ${e.message}`);
    return undefined;
  }
}

// ---------------------------------------------------------------- recording runs

/** The history's text for an event; progress and byte counts are left out (the log would be all numbers). */
export function logLineFor(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'phase':
      return e.message;
    case 'step':
      return `[${e.index + 1}/${e.total}] ${e.title}: ${e.status}`;
    case 'log':
      return e.level === 'info' ? e.message : `${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

export interface CliRunRecorder {
  /** The history id, when the run is being recorded. */
  readonly id: string | undefined;
  event(e: RunEvent): void;
  succeeded(report: RunReport): void;
  failed(error: ErrorData): void;
}

/**
 * Records one CLI run in the history: started now, a log line per event, then the outcome. Storage
 * failures never reach the run: the first one is reported through `warn`, and recording stops.
 */
export function recordCliRun(
  store: Pick<Store, 'history'> | undefined,
  run: { image: string; preset?: string },
  opts: { warn?: (message: string) => void; now?: () => number } = {},
): CliRunRecorder {
  const now = opts.now ?? Date.now;
  const t0 = now();
  let id: string | undefined;
  let live = !!store;
  const guard = (what: () => void) => {
    if (!live) return;
    try {
      what();
    } catch (err) {
      live = false;
      opts.warn?.(`the run history stopped recording this run: ${toErrorData(err).message}`);
    }
  };
  guard(() => {
    // Absolute: the history is read later, from the app, whose working folder is not this shell's.
    id = store!.history.start({ image: path.resolve(run.image), preset: run.preset, startedAt: new Date(t0).toISOString() });
  });
  let done = false;
  const finish = (result: Parameters<Store['history']['finish']>[1]) => {
    // Once only: a second report (an error thrown after success was recorded) must not rewrite the outcome.
    if (done) return;
    done = true;
    guard(() => store!.history.finish(id!, result));
  };
  return {
    get id() {
      return live ? id : undefined;
    },
    event(e) {
      const line = logLineFor(e);
      if (line !== undefined) guard(() => store!.history.appendLog(id!, line));
    },
    succeeded(report) {
      finish({ outcome: 'success', durationMs: now() - t0, report });
    },
    failed(error) {
      finish({ outcome: error.code === 'CANCELLED' ? 'cancelled' : 'failed', durationMs: now() - t0, error });
    },
  };
}
