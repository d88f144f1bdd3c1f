// Shared by the boot tests: prepare a copy of a bootable fixture guest with sample archives, boot it under
// QEMU on a throwaway overlay, and parse what the sample start script recorded on the guest's disk.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBootableGuests, copyGuest, sha256File, GuestName } from '../support/fixtures';
import { bootAndCollect, BootResult } from '../support/boot';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';
import { prepare, PrepareReport } from '../../main/engine/run/prepare';
import type { SettingsInput } from '../../main/engine/types';

export interface Record {
  startScript?: string;
  user?: string;
  javaHome?: string;
  javaOpts?: string;
  args: string[];
  javaRan: boolean;
  raw: string;
}

/** The sample scripts append `key=value` lines; `arg=` repeats, once per argument, in order. */
export function parseRecord(text: string): Record {
  const r: Record = { args: [], javaRan: false, raw: text };
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    const key = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1);
    if (key === 'start-script' && r.startScript === undefined) r.startScript = value;
    else if (key === 'user' && r.user === undefined) r.user = value;
    else if (key === 'java-home' && r.javaHome === undefined) r.javaHome = value;
    else if (key === 'java-opts' && r.javaOpts === undefined) r.javaOpts = value;
    else if (key === 'arg' && !r.javaRan) r.args.push(value);
    else if (key === 'java-ran') r.javaRan = true;
  }
  return r;
}

export interface BootCase {
  guest: GuestName;
  generation: 'modern' | 'legacy';
  settings: SettingsInput;
  withCredentials?: boolean;
}

export interface BootOutcome {
  report: PrepareReport;
  boot: BootResult;
  record: Record;
  imageChangedByBoot: boolean;
}

export async function prepareAndBoot(c: BootCase): Promise<BootOutcome> {
  const guests = await ensureBootableGuests();
  const work = mkdtempSync(join(tmpdir(), `gp boot ${c.guest} (${c.generation}) `));
  try {
    const copy = await copyGuest(guests[c.guest], work);
    const jre = await makeSampleJre(work, { version: '17.0.9', kind: c.generation === 'modern' ? 'tar.gz' : 'zip' });
    const proactive = await makeSampleProactive(work, { generation: c.generation, kind: c.generation === 'modern' ? 'zip' : 'tar.gz' });
    const settings = { ...c.settings };
    if (c.withCredentials) {
      const cred = join(work, 'node.cred');
      writeFileSync(cred, 'RSA-ENCRYPTED-CREDENTIALS-SAMPLE\n');
      settings.credentialsFile = cred;
    }
    const report = await prepare({ image: copy.vdi, jre, proactive, settings });
    const afterPrepare = await sha256File(copy.vdi);
    const boot = await bootAndCollect(copy);
    const imageChangedByBoot = (await sha256File(copy.vdi)) !== afterPrepare;
    if (!boot.overlayRecord) {
      throw new Error(
        `no record on the disk after booting ${c.guest}: booted=${boot.booted} timedOut=${boot.watcherTimedOut}\n` +
          `diagnostics:\n${boot.diagnostics ?? ''}\nconsole tail:\n${boot.console.split('\n').slice(-60).join('\n')}`,
      );
    }
    return { report, boot, record: parseRecord(boot.overlayRecord), imageChangedByBoot };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
