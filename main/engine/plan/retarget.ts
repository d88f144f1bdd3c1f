// buildRetargetPlan: an installed node pointed at another Resource Manager (or renamed, moved to another
// node source, given new credentials), without the archives. Only the files that carry the manager
// settings are written again, from the same texts a prepare writes: the launcher, the boot service's files
// the flavour names (Flavour.retarget), a new credentials file if one is given, and install.json. The
// Java runtime and the node distribution are not touched: nothing is uploaded but those small texts.
// Pure, like buildPlan.

import { fail } from '../errors';
import type { GuestFacts, InstallRecord, JreInfo, NodeSettings, Plan, ProactiveInfo } from '../types';
import { installPaths, mergeSections, type PlanContext, type Section } from './common';
import { installCredentials, writeLauncher } from './common-steps';
import { linuxRecord, nodeSentences, recordSection } from './build';
import { FLAVOURS } from './flavours/registry';
import { buildWindowsRetargetPlan } from './windows/retarget';

export interface RetargetPlanInput {
  /** Inspection of the guest, with the earlier install (`existing`). */
  guest: GuestFacts;
  /** The settings after the retarget (settings/retarget.ts): the record's, with the manager settings changed. */
  settings: NodeSettings;
  guestprepVersion: string;
  now: string;
}

/** The start scripts a distribution of this generation has (archive/detect.ts looks for exactly these). */
const START_SCRIPTS = {
  modern: { posix: 'bin/proactive-node', windows: 'bin/proactive-node.bat' },
  legacy: { posix: 'bin/unix/rm-start-node', windows: 'bin/windows/rm-start-node.bat' },
} as const;

/**
 * What a plan needs to know about the archives an earlier run installed, from its record: their names,
 * versions and start scripts (the archives themselves are not needed, nothing is uploaded).
 */
export function archivesOfRecord(record: InstallRecord): { jre?: JreInfo; proactive: ProactiveInfo } {
  const p = record.proactive;
  const proactive: ProactiveInfo = {
    archivePath: p.archive,
    kind: 'zip',
    home: '',
    generation: p.generation,
    version: p.version,
    startScript: p.startScript ?? START_SCRIPTS[p.generation].posix,
    windowsStartScript: p.windowsStartScript ?? START_SCRIPTS[p.generation].windows,
    unpackedBytes: 0,
    entryCount: 0,
  };
  const jre: JreInfo | undefined = record.jre
    ? {
        archivePath: record.jre.archive,
        kind: 'tar.gz',
        home: '',
        version: record.jre.version,
        major: Number(/^1\.(\d+)/.exec(record.jre.version)?.[1] ?? /^(\d+)/.exec(record.jre.version)?.[1] ?? 0),
        os: record.init === 'windows-service' ? 'windows' : 'linux',
        arch: record.jre.arch,
        source: 'inferred',
        unpackedBytes: 0,
        entryCount: 0,
      }
    : undefined;
  return { ...(jre ? { jre } : {}), proactive };
}

export function notPrepared(where: string): never {
  return fail(
    'GUEST_NOT_PREPARED',
    `This image has no node installed by Guestprep (no install record in ${where}).`,
    'Prepare the image first (guestprep prepare). If Guestprep installed the node in another folder, give that folder with --install-dir DIR.',
  );
}

function retargetContext(input: RetargetPlanInput, record: InstallRecord): PlanContext {
  const { guest, settings } = input;
  if (!guest.linux) fail('GUEST_NO_BOOT_HOOK', 'the boot facts of this Linux guest are missing', 'This is a bug in Guestprep. Please report it.');
  if (record.init === 'windows-service') {
    fail('GUEST_UNSUPPORTED_OS', `the install record says the node was installed as a Windows service, but this guest runs ${guest.osType}`,
      'Check that this is the image Guestprep prepared; if its record is damaged, prepare the image again.');
  }
  const { jre, proactive } = archivesOfRecord(record);
  return {
    guest,
    // The boot service the earlier run installed is the one to rewrite, whatever inspection would pick now.
    linux: { ...guest.linux, init: record.init },
    settings,
    ...(jre ? { jre } : {}),
    proactive,
    guestprepVersion: input.guestprepVersion,
    now: input.now,
    paths: installPaths(settings, proactive, jre),
    previousFiles: record.files,
    previous: record,
    keepCredentials: record.hasCredentials && !settings.credentials,
  };
}

export function buildRetargetPlan(input: RetargetPlanInput): Plan {
  const existing = input.guest.existing;
  if (!existing) notPrepared(input.settings.installDir);
  if (input.guest.osType === 'windows') return buildWindowsRetargetPlan(input, existing.record);
  const record = existing.record;
  const ctx = retargetContext(input, record);
  const flavour = FLAVOURS[ctx.linux.init];
  const middle = mergeSections([installCredentials(ctx), writeLauncher(ctx), flavour.retarget(ctx)]);
  const files = [...record.files, ...middle.files];
  const next = linuxRecord(ctx, { files, rcLocal: record.rcLocal, createdDirs: record.createdDirs, insserv: record.insserv });
  const all: Section = mergeSections([middle, recordSection(ctx, next)]);
  return {
    steps: all.steps,
    expectations: all.expectations,
    requiredBytes: 0,
    atNextBoot: [
      `The boot service ${record.serviceName} (${record.init}) starts the node as before; the Java runtime and the node in ${record.installDir} are unchanged.`,
      ...nodeSentences(ctx),
    ],
    record: next,
    warnings: [],
  };
}
