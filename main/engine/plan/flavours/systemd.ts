// systemd guests: a service unit, a setup unit that creates the user (see texts/systemd-units.ts for
// why), sysusers.d and tmpfiles.d entries, and the multi-user.target.wants link `systemctl enable` makes.

import type { Expectation, GfCommand } from '../../types';
import { createdDirs, credentialsPath, gf, rootTextFile, type PlanContext, type Section } from '../common';
import { mainUnitText, setupUnitText, sysusersText, tmpfilesText, type SystemdUnitsInput } from '../texts/systemd-units';
import type { Flavour } from './flavour';

const UNIT_DIR = '/etc/systemd/system';
const WANTS_DIR = `${UNIT_DIR}/multi-user.target.wants`;

export function systemdPaths(serviceName: string) {
  return {
    main: `${UNIT_DIR}/${serviceName}.service`,
    setup: `${UNIT_DIR}/${serviceName}-setup.service`,
    sysusers: `/etc/sysusers.d/${serviceName}.conf`,
    tmpfiles: `/etc/tmpfiles.d/${serviceName}.conf`,
    wantsDir: WANTS_DIR,
    wants: `${WANTS_DIR}/${serviceName}.service`,
  };
}

/** The four files, each with its commands and expectation (sysusers only for a user other than root). */
function unitFiles(ctx: PlanContext) {
  const { settings, paths, linux } = ctx;
  const p = systemdPaths(settings.serviceName);
  const input: SystemdUnitsInput = {
    guestprepVersion: ctx.guestprepVersion,
    serviceName: settings.serviceName,
    serviceUser: settings.serviceUser,
    installDir: paths.dir,
    nodeName: settings.nodeName,
    rmUrl: settings.rm.url,
    launcherPath: paths.launcher,
    nodeHome: paths.node,
    logDir: paths.logs,
    credentialsPath: credentialsPath(ctx),
    sysusersConf: p.sysusers,
    tmpfilesConf: p.tmpfiles,
    systemdSysusers: linux.tools.systemdSysusers ?? '/usr/bin/systemd-sysusers',
    systemdTmpfiles: linux.tools.systemdTmpfiles ?? '/usr/bin/systemd-tmpfiles',
  };
  return {
    main: rootTextFile(p.main, mainUnitText(input), 0o644, `ExecStart=${paths.launcher}`),
    setup: rootTextFile(p.setup, setupUnitText(input), 0o644, `--create ${p.tmpfiles}`),
    sysusers: settings.serviceUser === 'root' ? undefined : rootTextFile(p.sysusers, sysusersText(input), 0o644, `u ${settings.serviceUser} `),
    tmpfiles: rootTextFile(p.tmpfiles, tmpfilesText(input), 0o644, `d ${paths.logs} `),
  };
}

export const systemdFlavour: Flavour = {
  init: 'systemd',
  createsDirs: ['/etc/systemd', UNIT_DIR, WANTS_DIR, '/etc/sysusers.d', '/etc/tmpfiles.d'],
  ownFiles(serviceName: string): string[] {
    const p = systemdPaths(serviceName);
    return [p.main, p.setup, p.sysusers, p.tmpfiles, p.wants];
  },
  build(ctx: PlanContext): Section {
    const { settings, paths } = ctx;
    const svc = settings.serviceName;
    const p = systemdPaths(svc);
    const isRoot = settings.serviceUser === 'root';
    const u = unitFiles(ctx);
    const files = [u.main, u.setup, ...(u.sysusers ? [u.sysusers] : []), u.tmpfiles];
    const made = ['/etc/systemd', UNIT_DIR, ...(isRoot ? [] : ['/etc/sysusers.d']), '/etc/tmpfiles.d', WANTS_DIR];
    const dirs: GfCommand[] = [gf.mkdirP(UNIT_DIR), ...(isRoot ? [] : [gf.mkdirP('/etc/sysusers.d')]), gf.mkdirP('/etc/tmpfiles.d')];
    const link: Expectation = { kind: 'symlink', path: p.wants, target: p.main };

    const userSentence = isRoot
      ? `Before it, ${svc}-setup.service prepares ${paths.logs} (systemd-tmpfiles).`
      : `Before it, ${svc}-setup.service creates the system user ${settings.serviceUser} (systemd-sysusers) and gives it ${paths.logs}` +
        `${credentialsPath(ctx) ? ' and the credentials file' : ''} (systemd-tmpfiles).`;
    return {
      steps: [
        { id: 'install-systemd-units', title: 'Install the systemd service', commands: [...dirs, ...files.flatMap((f) => f.commands)] },
        { id: 'enable-systemd-service', title: 'Enable the service at boot', commands: [gf.mkdirP(p.wantsDir), gf.lnSf(p.main, p.wants)] },
      ],
      expectations: [...files.map((f) => f.expectation), link],
      files: [p.main, p.setup, ...(isRoot ? [] : [p.sysusers]), p.tmpfiles, p.wants],
      createdDirs: createdDirs(ctx, made),
      atNextBoot: [
        `systemd starts ${svc}.service (enabled for multi-user.target) once the network is online.`,
        userSentence,
        `The node runs as user ${settings.serviceUser}; whenever it exits, systemd restarts it after 10 s, without limit ` +
          '(systemd 254 and later let the delay grow to 180 s).',
      ],
    };
  },
  retarget(ctx: PlanContext): Section {
    // The unit names the node and its manager (Description, comment); tmpfiles.d hands the credentials
    // file, if any, to the service user.
    const u = unitFiles(ctx);
    return {
      steps: [{ id: 'rewrite-systemd-units', title: 'Rewrite the systemd service for the new manager', commands: [...u.main.commands, ...u.tmpfiles.commands] }],
      expectations: [u.main.expectation, u.tmpfiles.expectation],
      files: [],
      atNextBoot: [],
    };
  },
};
