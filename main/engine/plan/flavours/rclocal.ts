// Guests whose only boot hook is rc.local: the control script lives in Guestprep's own directory (the
// guest may have no init.d), and rc.local gets one marked line that starts it (texts/rc-local.ts).
// The original rc.local is kept once as <dir>/guestprep/rc.local.orig.

import { gf, rootTextFile, type PlanContext, type Section } from '../common';
import { insertRcLocalLine, rcLocalLine } from '../texts/rc-local';
import type { Flavour } from './flavour';
import { controlScriptFile, supervisorSentences } from './control-script';

export const rcLocalFlavour: Flavour = {
  init: 'rclocal',
  build(ctx: PlanContext): Section {
    const { settings, paths, linux, previousFiles } = ctx;
    const script = `${paths.guestprep}/${settings.serviceName}`;
    const control = controlScriptFile(ctx, script);

    const rcPath = linux.rcLocalPath ?? '/etc/rc.local';
    const original = linux.rcLocalText;
    const exists = original !== undefined && original.trim() !== '';
    const origPath = `${paths.guestprep}/rc.local.orig`;
    const createdEarlier = previousFiles.includes(rcPath);
    const savedEarlier = previousFiles.includes(origPath);
    const saveNow = exists && !savedEarlier && !createdEarlier;

    const line = rcLocalLine(script);
    const rc = rootTextFile(rcPath, insertRcLocalLine(original ?? '', line), 0o755, line);
    const commands = [
      ...(saveNow ? [gf.cp(rcPath, origPath), gf.chownRoot(origPath), gf.chmod(0o644, origPath)] : []),
      ...rc.commands,
    ];

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
      files: [script, ...(saveNow || savedEarlier ? [origPath] : []), ...(!exists || createdEarlier ? [rcPath] : [])],
      atNextBoot: [`At the end of each boot, ${rcPath} runs ${script} start.`, ...supervisorSentences(ctx)],
      rcLocal: { path: rcPath, line },
    };
  },
};
