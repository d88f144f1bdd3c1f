// `--dry-run`: the plan as a guestfish script that people used to the manual procedure can read and run
// themselves. Archives are not uploaded as they are: Guestprep re-streams them as plain, sanitised tars
// with the top folder stripped, so the dry run writes those tars next to the script and the script refers
// to them: what the script does is exactly what a run does. Windows plans also have generated host files
// ('content' refs: the service's .reg, written next to the script so the manual `virt-win-reg --merge`
// route can use it) and scratch files ('scratch' refs: the SYSTEM hive copy the script's own `download`
// creates next to it; nothing is written there now).

import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { restreamAsTar } from '../archive/restream';
import { renderScript } from '../plan';
import type { ImageFileInfo, JreInfo, Plan, ProactiveInfo, UploadRef } from '../types';

export interface DryRunOutput {
  scriptPath: string;
  stagedFiles: string[];
}

export async function writeDryRunScript(a: {
  plan: Plan;
  image: ImageFileInfo;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  scriptPath?: string;
}): Promise<DryRunOutput> {
  const scriptPath = resolve(a.scriptPath ?? `${basename(a.image.path).replace(/\.[^.]+$/, '')}.guestprep.gf`);
  const dir = dirname(scriptPath);
  await mkdir(dir, { recursive: true });
  const staged = new Map<string, string>();
  const stem = basename(scriptPath).replace(/\.gf$/, '');
  const contents = new Map<string, { path: string; text: string }>();
  const uploadPath = (ref: UploadRef): string => {
    if (ref.kind === 'file') return ref.source;
    if (ref.kind === 'scratch') return join(dir, `${stem}.${ref.fileName ?? ref.id}`);
    if (ref.kind === 'content') {
      const p = join(dir, `${stem}.${ref.fileName ?? ref.id}`);
      contents.set(ref.id, { path: p, text: ref.content ?? '' });
      return p;
    }
    const p = join(dir, `${stem}.${ref.id}.tar`);
    staged.set(ref.id, p);
    return p;
  };
  const text = renderScript(a.plan, { image: a.image.path, format: a.image.format, uploadPath });
  for (const [id, p] of staged) {
    const info = id === 'jre' ? a.jre : a.proactive;
    if (!info) continue;
    await pipeline(restreamAsTar(info.archivePath, info.kind, { stripPrefix: info.home }), createWriteStream(p));
  }
  for (const c of contents.values()) await writeFile(c.path, c.text);
  await writeFile(scriptPath, text);
  return { scriptPath, stagedFiles: [...staged.values(), ...[...contents.values()].map((c) => c.path)] };
}
