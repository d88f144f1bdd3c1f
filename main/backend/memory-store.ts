// A Store kept in memory (Maps): for tests of the backend and the bridge, and for end-to-end runs that must
// leave no database behind. It follows the Store interface's documented behaviour (names unique, history
// newest first, log and report only in `get`), not SQLite's.

import type { HistoryEntry, HistoryFilter, Preset, PresetData } from '../contract/contract';
import { fail } from '../engine/api';
import type { HistoryStore, PresetStore, Store } from './store-types';
import { memoryJournal } from '../engine/api';

const FORMAT_KEY = 'guestprep-presets';

function presetName(name: string): string {
  const n = typeof name === 'string' ? name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (n.length < 1 || n.length > 64 || /[\u0000-\u001f\u007f]/.test(n)) {
    fail('SETTING_INVALID', `"${String(name)}" is not a valid preset name.`, 'Use 1 to 64 characters, without control characters.');
  }
  return n;
}

export function createMemoryStore(now: () => Date = () => new Date()): Store & { closed: boolean } {
  const presets = new Map<string, Preset>();
  const runs = new Map<string, HistoryEntry & { log: string[] }>();
  let seq = 0;

  const presetStore: PresetStore = {
    list: () => [...presets.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => structuredClone(p)),
    get: (name) => {
      const p = presets.get(name);
      return p && structuredClone(p);
    },
    save(name: string, data: PresetData) {
      const n = presetName(name);
      const t = now().toISOString();
      const p: Preset = { name: n, data: structuredClone(data), createdAt: presets.get(n)?.createdAt ?? t, updatedAt: t };
      presets.set(n, p);
      return structuredClone(p);
    },
    rename(from, to) {
      const p = presets.get(from);
      if (!p) fail('SETTING_INVALID', `There is no preset named "${from}".`, 'Refresh the list of presets.');
      const n = presetName(to);
      if (n !== from && presets.has(n)) fail('SETTING_INVALID', `A preset named "${n}" already exists.`, 'Choose another name, or delete that preset first.');
      presets.delete(from);
      const renamed = { ...p, name: n, updatedAt: now().toISOString() };
      presets.set(n, renamed);
      return structuredClone(renamed);
    },
    delete: (name) => presets.delete(name),
    exportJson(names) {
      const chosen = presetStore.list().filter((p) => !names || names.includes(p.name));
      return JSON.stringify({ [FORMAT_KEY]: 1, presets: chosen.map((p) => ({ name: p.name, data: p.data })) }, null, 2);
    },
    importJson(json, overwrite = false) {
      let doc: unknown;
      try {
        doc = JSON.parse(json);
      } catch {
        fail('SETTING_INVALID', 'The presets file is not JSON.', 'Choose a file exported by Guestprep.');
      }
      const d = doc as { [FORMAT_KEY]?: unknown; presets?: unknown };
      if (!d || d[FORMAT_KEY] !== 1 || !Array.isArray(d.presets)) fail('SETTING_INVALID', 'This is not a Guestprep presets file.', 'Choose a file exported by Guestprep.');
      const imported: string[] = [];
      const skipped: string[] = [];
      for (const item of d.presets as Array<{ name: string; data: PresetData }>) {
        const n = presetName(item.name);
        if (presets.has(n) && !overwrite) skipped.push(n);
        else {
          presetStore.save(n, item.data);
          imported.push(n);
        }
      }
      return { imported, skipped };
    },
  };

  const entryOf = (r: HistoryEntry & { log: string[] }, full: boolean): HistoryEntry => {
    const { log, report, ...rest } = structuredClone(r);
    return full ? { ...rest, log, ...(report ? { report } : {}) } : rest;
  };

  const historyStore: HistoryStore = {
    start(entry) {
      const id = entry.id ?? `run-${++seq}`;
      runs.set(id, { id, image: entry.image, ...(entry.preset ? { preset: entry.preset } : {}), startedAt: entry.startedAt ?? now().toISOString(), log: [] });
      return id;
    },
    appendLog(id, line) {
      runs.get(id)?.log.push(line);
    },
    finish(id, result) {
      const r = runs.get(id);
      if (!r) return;
      r.outcome = result.outcome;
      r.durationMs = result.durationMs;
      if (result.report) r.report = structuredClone(result.report);
      if (result.error) r.error = structuredClone(result.error);
    },
    list(filter: HistoryFilter = {}) {
      const text = filter.text?.toLowerCase();
      return [...runs.values()]
        .filter((r) => !filter.outcome || r.outcome === filter.outcome)
        .filter((r) => !text || r.image.toLowerCase().includes(text) || (r.preset ?? '').toLowerCase().includes(text))
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .slice(0, filter.limit ?? 200)
        .map((r) => entryOf(r, false));
    },
    get(id) {
      const r = runs.get(id);
      return r && entryOf(r, true);
    },
  };

  const store = {
    presets: presetStore,
    history: historyStore,
    journal: memoryJournal({ now }),
    closed: false,
    close() {
      store.closed = true;
    },
  };
  return store;
}
