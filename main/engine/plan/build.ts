// buildPlan: image facts + validated settings -> named steps of guestfish commands, what verification
// must find afterwards, and what happens at the next boot. Pure: no I/O, no clock (`now` is given).

import { fail } from '../errors';
import type { GuestFacts, InstallRecord, JreInfo, NodeSettings, Plan, ProactiveInfo } from '../types';
import { shCommandLine } from '../quote/sh';
import { baseName, credentialsPath, installPaths, mergeSections, rootTextFile, type PlanContext, type Section } from './common';
import {
  createLogsDir, installCredentials, nodeCommand, prepareInstallDir, staleFiles, uploadJre, uploadProactive, writeLauncher,
} from './common-steps';
import { FLAVOURS } from './flavours/registry';
import { installRecordText } from './texts/install-record';
import { buildWindowsPlan } from './windows/build';

export interface BuildPlanInput {
  guest: GuestFacts;
  settings: NodeSettings;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  guestprepVersion: string;
  /** ISO timestamp for the record and the generated files' headers. */
  now: string;
  /** Warnings from validation and archive inspection, carried into the plan. */
  warnings?: string[];
  /** Windows guests: host path of the service wrapper for an architecture (default: the shipped binaries). */
  wrapperPath?: (arch: 'x86' | 'x64') => string;
}

const MIB = 1024 * 1024;

/** Unpacked bytes, plus a block per entry (file systems round up), plus a 32 MiB margin. */
export function requiredBytes(jre: JreInfo | undefined, proactive: ProactiveInfo): number {
  const bytes = (jre?.unpackedBytes ?? 0) + proactive.unpackedBytes;
  const entries = (jre?.entryCount ?? 0) + proactive.entryCount;
  return bytes + entries * 4096 + 32 * MIB;
}

function context(input: BuildPlanInput): PlanContext {
  const { guest } = input;
  if (guest.osType !== 'linux') {
    fail('GUEST_UNSUPPORTED_OS', `the guest runs ${guest.osType}, and this plan is for Linux guests`, 'Use an image of a Linux guest.');
  }
  if (!guest.linux) {
    fail('GUEST_NO_BOOT_HOOK', 'no way to start a service at boot was found in this Linux guest (no systemd, sysvinit or rc.local)',
      'Use a guest with systemd, sysvinit or an rc.local file.');
  }
  if (input.proactive.generation === 'legacy' && !input.jre) {
    fail('SETTING_INVALID', 'no Java runtime: 3.x nodes need one', 'Give a Linux JRE archive with --jre ARCHIVE.');
  }
  if (!input.jre && !input.proactive.bundledJre) {
    fail('SETTING_INVALID', 'no Java runtime: the ProActive archive does not bundle one', 'Give a Linux JRE archive with --jre ARCHIVE.');
  }
  return {
    guest,
    linux: guest.linux,
    settings: input.settings,
    jre: input.jre,
    proactive: input.proactive,
    guestprepVersion: input.guestprepVersion,
    now: input.now,
    paths: installPaths(input.settings, input.proactive, input.jre),
    previousFiles: guest.existing?.record.files ?? [],
    ...(guest.existing ? { previous: guest.existing.record } : {}),
  };
}

/**
 * Whether the service user and its group were there before the first install (recorded, so `remove` knows
 * which accounts the boot service created). An earlier record's answer stands; an earlier install without
 * one may have created the user at its first boot, so a user found now is then "unknown" (left alone).
 */
export function serviceAccount(ctx: PlanContext): InstallRecord['serviceAccount'] {
  const user = ctx.settings.serviceUser;
  if (user === 'root') return undefined;
  const earlier = ctx.previous?.serviceAccount;
  if (earlier && earlier.user === user) return earlier;
  const acc = ctx.linux.accounts;
  if (!acc) return undefined;
  const userExisted = acc.users.includes(user);
  if (ctx.previous && userExisted) return undefined;
  return { user, userExisted, groupExisted: acc.groups.includes(user) };
}

/** The record every Linux run writes (prepare and retarget): the settings, and what the install changed. */
export function linuxRecord(ctx: PlanContext, s: Pick<Section, 'files' | 'rcLocal' | 'createdDirs' | 'insserv'>): InstallRecord {
  const { settings, paths, proactive, jre, previous } = ctx;
  const account = serviceAccount(ctx);
  return {
    tool: 'guestprep',
    formatVersion: 1,
    guestprepVersion: ctx.guestprepVersion,
    installedAt: previous?.installedAt ?? ctx.now,
    ...(previous ? { updatedAt: ctx.now } : {}),
    installDir: paths.dir,
    serviceName: settings.serviceName,
    serviceUser: settings.serviceUser,
    init: ctx.linux.init,
    rmUrl: settings.rm.url,
    nodeName: settings.nodeName,
    nodeSource: settings.nodeSource,
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    jvmOptions: settings.jvmOptions,
    hasCredentials: credentialsPath(ctx) !== undefined,
    ...(jre ? { jre: { version: jre.version, arch: jre.arch, archive: baseName(jre.archivePath) } } : {}),
    proactive: {
      version: proactive.version,
      generation: proactive.generation,
      archive: baseName(proactive.archivePath),
      ...(proactive.startScript ? { startScript: proactive.startScript } : {}),
      ...(proactive.windowsStartScript ? { windowsStartScript: proactive.windowsStartScript } : {}),
    },
    files: [...new Set([...s.files, paths.record])],
    ...(s.createdDirs?.length ? { createdDirs: [...new Set(s.createdDirs)] } : {}),
    ...(s.rcLocal ? { rcLocal: s.rcLocal } : {}),
    ...(s.insserv?.length ? { insserv: s.insserv } : {}),
    ...(account ? { serviceAccount: account } : {}),
  };
}

/** install.json as a step, checked by the time stamp this run wrote into it. */
export function recordSection(ctx: PlanContext, record: InstallRecord): Section {
  const stamp = record.updatedAt !== undefined ? `"updatedAt": ${JSON.stringify(record.updatedAt)}` : `"installedAt": ${JSON.stringify(record.installedAt)}`;
  const recordFile = rootTextFile(ctx.paths.record, installRecordText(record), 0o644, stamp);
  return {
    steps: [{ id: 'write-install-record', title: 'Write the install record', commands: recordFile.commands }],
    expectations: [recordFile.expectation],
    files: [],
    atNextBoot: [],
  };
}

export function nodeSentences(ctx: PlanContext): string[] {
  const { settings, paths } = ctx;
  const out = [
    `The node command is: ${shCommandLine(nodeCommand(ctx))}, started through ${paths.launcher} with JAVA_HOME=${paths.javaHome}` +
      (settings.jvmOptions.length ? ` and JAVA_OPTS="${settings.jvmOptions.join(' ')}".` : '.'),
  ];
  if (settings.rm.protocol === 'pnp' || settings.rm.protocol === 'pnps' || settings.rm.protocol === 'rmi') {
    out.push(`The node joins the Resource Manager at ${settings.rm.url}, which must be able to connect back to the VM.`);
  } else {
    out.push(`The node joins the Resource Manager ${settings.rm.url} through a PAMR router (outbound connections only).`);
  }
  if (settings.nodeSource !== 'Default') {
    out.push(`The node source ${settings.nodeSource} must already exist in the Resource Manager, or the node exits (and is restarted).`);
  }
  return out;
}

export function buildPlan(input: BuildPlanInput): Plan {
  if (input.guest.osType === 'windows') return buildWindowsPlan(input);
  const ctx = context(input);
  const { paths, proactive, jre } = ctx;

  const flavour = FLAVOURS[ctx.linux.init];
  if (!flavour) fail('GUEST_NO_BOOT_HOOK', `unknown init system ${JSON.stringify(ctx.linux.init)}`, 'Please report this guest to the Guestprep developers.');

  const middle = mergeSections([uploadJre(ctx), uploadProactive(ctx), createLogsDir(ctx), installCredentials(ctx), writeLauncher(ctx), flavour.build(ctx)]);
  const createdBefore = [paths.dir, paths.guestprep, ...middle.files, paths.record];
  const stale = staleFiles(ctx, createdBefore);
  const prepare = prepareInstallDir(ctx, stale);

  const record = linuxRecord(ctx, mergeSections([prepare, middle]));
  const all = mergeSections([prepare, middle, recordSection(ctx, record)]);
  const warnings = [...(input.warnings ?? [])];
  if (ctx.guest.existing) warnings.push(`this image already had a Guestprep install in ${paths.dir}: it is replaced, including the node's logs in ${paths.logs}`);

  return {
    steps: all.steps,
    expectations: all.expectations,
    requiredBytes: requiredBytes(jre, proactive),
    atNextBoot: [...all.atNextBoot, ...nodeSentences(ctx)],
    record,
    warnings,
  };
}
