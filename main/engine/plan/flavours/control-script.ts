// What the sysvinit and rc.local flavours share: the control script (texts/sysv-script.ts), installed
// at a place each flavour chooses, and the sentences that describe what it does at boot.

import { credentialsPath, rootTextFile, type PlanContext } from '../common';
import { controlScriptText, serviceLogPath } from '../texts/sysv-script';

export function controlScriptFile(ctx: PlanContext, selfPath: string) {
  const { settings, paths, linux } = ctx;
  const text = controlScriptText({
    serviceName: settings.serviceName,
    serviceUser: settings.serviceUser,
    installDir: paths.dir,
    selfPath,
    launcherPath: paths.launcher,
    logDir: paths.logs,
    credentialsPath: credentialsPath(ctx),
    pidFile: `/var/run/${settings.serviceName}.pid`,
    tools: { useradd: linux.tools.useradd, runuser: linux.tools.runuser, su: linux.tools.su, nologin: linux.tools.nologin },
    guestprepVersion: ctx.guestprepVersion,
    rmUrl: settings.rm.url,
    nodeName: settings.nodeName,
  });
  return rootTextFile(selfPath, text, 0o755, `# Provides:          ${settings.serviceName}\n`);
}

export function supervisorSentences(ctx: PlanContext): string[] {
  const { settings, paths } = ctx;
  const user = settings.serviceUser;
  return [
    ...(user === 'root'
      ? []
      : [`At its first start it creates the system user ${user} if the guest has none (useradd, or adduser), and gives it ${paths.logs}` +
          `${credentialsPath(ctx) ? ' and the credentials file' : ''}.`]),
    `A supervisor runs the node as user ${user} and restarts it whenever it exits: after 10 s, then 20, 40, 80, 160 and 180 s at most ` +
      `(10 s again after a run of 10 minutes). Its log: ${serviceLogPath(paths.logs, settings.serviceName)}.`,
  ];
}
