// Guests whose only boot hook is rc.local: the control script lives in Guestprep's own directory (the
// guest may have no init.d), and rc.local gets one marked line that starts it (texts/rc-local.ts).
// The original rc.local is kept once as <dir>/guestprep/rc.local.orig, and the record keeps its mode and
// owner (the install makes it executable) so that `remove` restores the file exactly.

import type { InstallRecord } from '../../types';
import { gf, installLayout, rootTextFile, type PlanContext, type Section } from '../common';
import { insertRcLocalLine, rcLocalLine } from '../texts/rc-local';
import type { Flavour } from './flavour';
import { controlScriptFile, supervisorSentences } from './control-script';

/** The control script and the saved original rc.local, in Guestprep's folder of the install directory. */
export function rcLocalOwnFiles(serviceName: string, installDir: string) {
  const guestprep = installLayout(installDir).guestprep;
  return { script: `${guestprep}/${serviceName}`, orig: `${guestprep}/rc.local.orig` };
}

const scriptPath = (ctx: PlanContext) => rcLocalOwnFiles(ctx.settings.serviceName, ctx.paths.dir).script;

/**
 * What rc.local was like before the first install: from the earlier record when this run updates an
 * install (the file is ours to edit by now), else as inspection found it. A blank file keeps its text too.
 */
function previousState(ctx: PlanContext, rcPath: string): NonNullable<InstallRecord['rcLocal']>['previous'] {
  const earlier = ctx.previous?.rcLocal;
  if (earlier) return earlier.path === rcPath ? earlier.previous : undefined;
  const { rcLocalText: text, rcLocalStat: stat } = ctx.linux;
  if (text === undefined || !stat) return undefined;
  return text.trim() === '' ? { ...stat, text } : { ...stat };
}

export const rcLocalFlavour: Flavour = {
  init: 'rclocal',
  createsDirs: [],
  ownFiles(serviceName: string, installDir: string): string[] {
    const f = rcLocalOwnFiles(serviceName, installDir);
    return [f.script, f.orig];
  },
  build(ctx: PlanContext): Section {
    const { paths, linux, previousFiles } = ctx;
    const script = scriptPath(ctx);
    const control = controlScriptFile(ctx, script);
    const rcPath = linux.rcLocalPath ?? '/etc/rc.local';
    const original = linux.rcLocalText;
    const exists = original !== undefined && original.trim() !== '';
    const origPath = rcLocalOwnFiles(ctx.settings.serviceName, paths.dir).orig;
    const createdEarlier = previousFiles.includes(rcPath);
    const savedEarlier = previousFiles.includes(origPath);
    const saveNow = exists && !savedEarlier && !createdEarlier;
    const line = rcLocalLine(script);
    const rc = rootTextFile(rcPath, insertRcLocalLine(original ?? '', line), 0o755, line);
    const commands = [
      ...(saveNow ? [gf.cp(rcPath, origPath), gf.chownRoot(origPath), gf.chmod(0o644, origPath)] : []),
      ...rc.commands,
    ];
    // Created by Guestprep: the file did not exist (a blank one is edited: its text is in `previous`).
    const created = createdEarlier || original === undefined;
    const previous = created ? undefined : previousState(ctx, rcPath);
    return {
      steps: [
        { id: 'install-control-script', title: 'Install the control script', commands: control.commands },
        { id: 'edit-rc-local', title: exists ? `Start the service from ${rcPath}` : `Create ${rcPath} to start the service`, commands },
      ],
      expectations: [
        control.expectation,
        rc.expectation,
        ...(saveNow || savedEarlier ? [{ kind: 'file' as const, path: origPath, mode: 0o644, uid: 0, gid: 0 }] : []),
      ],
      files: [script, ...(saveNow || savedEarlier ? [origPath] : []), ...(created ? [rcPath] : [])],
      atNextBoot: [`At the end of each boot, ${rcPath} runs ${script} start.`, ...supervisorSentences(ctx)],
      rcLocal: { path: rcPath, line, ...(previous ? { previous } : {}) },
    };
  },
  retarget(ctx: PlanContext): Section {
    // The control script's header names the node and its manager, and it hands the credentials file to the
    // user. rc.local itself only starts the script: it stays as it is.
    const control = controlScriptFile(ctx, scriptPath(ctx));
    return {
      steps: [{ id: 'rewrite-control-script', title: 'Rewrite the control script for the new manager', commands: control.commands }],
      expectations: [control.expectation],
      files: [],
      atNextBoot: [],
    };
  },
};
