// The plan for Windows guests: the install folder on the system volume (C:\ProActive by default), the JRE
// and the node unpacked there, a start .cmd, Guestprep's service wrapper, and the service registered in
// the SYSTEM hive of the control set Windows boots with. Like the Linux plans, everything happens in the
// run's one appliance session: the hive is downloaded to a host scratch file, merged with hivexregedit on
// the host (the guestfish hivex commands cannot write the NUL bytes of REG_SZ/REG_DWORD values), and
// uploaded back before verification reads it again.
//
// NTFS through ntfs-3g has no meaningful owners or modes, so nothing is chown'd or chmod'ed and the
// expectations are of kind 'present'.

import { fail } from '../../errors';
import { startScriptForGuest } from '../../archive/detect';
import type { Expectation, InstallRecord, Plan, PlanStep, UploadRef, WindowsFacts } from '../../types';
import { windowsGuestPath } from '../../settings/windows';
import { wrapperPath as shippedWrapperPath, WRAPPER_GUEST_NAME, type WindowsArch } from '../../windows/wrapper';
import { baseName, gf, mergeSections, writeFileCommands, type Section } from '../common';
import { selfAndParentsOf } from '../paths';
import { estimatedTarBytes } from '../common-steps';
import { nodeArguments } from '../texts/launcher';
import { installRecordText } from '../texts/install-record';
import { startCmdText } from '../texts/start-cmd';
import { serviceRegistry, SYSTEM_PREFIX } from '../texts/service-reg';
import { mergeIntoSystemHive } from './hive-merge';
import type { BuildPlanInput } from '../build';

/** Windows and guest spellings of every path the plan uses. */
export interface WindowsPaths {
  win: { dir: string; jre: string; node: string; logs: string; guestprep: string; startCmd: string; credentials: string; wrapper: string; startScript: string; startDir: string; javaHome: string; logFile: string };
  guest: { dir: string; jre: string; node: string; logs: string; guestprep: string; startCmd: string; credentials: string; wrapper: string; record: string; startScript: string; java: string };
}

/** The guest spellings of the install folder's fixed layout (what does not depend on the archives). */
export function windowsGuestLayout(dir: string): Omit<WindowsPaths['guest'], 'startScript' | 'java'> {
  const g = windowsGuestPath(dir);
  return {
    dir: g,
    jre: `${g}/jre`,
    node: `${g}/node`,
    logs: `${g}/node/logs`,
    guestprep: `${g}/guestprep`,
    startCmd: `${g}/guestprep/start-node.cmd`,
    credentials: `${g}/guestprep/credentials.cred`,
    wrapper: `${g}/guestprep/${WRAPPER_GUEST_NAME}`,
    record: `${g}/guestprep/install.json`,
  };
}

export function windowsPaths(input: BuildPlanInput): WindowsPaths {
  const dir = input.settings.installDir;
  const script = startScriptForGuest(input.proactive, 'windows', input.guest.arch);
  const winScript = `${dir}\\node\\${script.split('/').join('\\')}`;
  const jreHome = input.jre ? `${dir}\\jre` : `${dir}\\node\\jre`;
  const win = {
    dir,
    jre: `${dir}\\jre`,
    node: `${dir}\\node`,
    logs: `${dir}\\node\\logs`,
    guestprep: `${dir}\\guestprep`,
    startCmd: `${dir}\\guestprep\\start-node.cmd`,
    credentials: `${dir}\\guestprep\\credentials.cred`,
    wrapper: `${dir}\\guestprep\\${WRAPPER_GUEST_NAME}`,
    startScript: winScript,
    startDir: winScript.slice(0, winScript.lastIndexOf('\\')),
    javaHome: jreHome,
    logFile: `${dir}\\node\\logs\\guestprep-service.log`,
  };
  const layout = windowsGuestLayout(dir);
  const guest = {
    ...layout,
    startScript: `${layout.dir}/node/${script}`,
    java: `${windowsGuestPath(jreHome)}/bin/java.exe`,
  };
  return { win, guest };
}

/** libguestfs arch -> the wrapper build that runs natively there. */
export function wrapperArch(guestArch: string): WindowsArch {
  if (guestArch === 'x86_64') return 'x64';
  if (/^i[3-6]86$/.test(guestArch)) return 'x86';
  return fail('GUEST_UNSUPPORTED_OS', `this Windows guest is ${guestArch || 'of an unknown architecture'}; Guestprep's service wrapper exists for x86 and x64 Windows only`,
    'Use an x86 or x64 Windows guest.');
}

export const present = (path: string, type: 'file' | 'dir', contains?: string): Expectation => ({ kind: 'present', path, type, ...(contains !== undefined ? { contains } : {}) });

/** install.json on NTFS, checked by the time stamp this run wrote into it. */
export function windowsRecordSection(path: string, record: InstallRecord): Section {
  const stamp = record.updatedAt !== undefined ? `"updatedAt": ${JSON.stringify(record.updatedAt)}` : `"installedAt": ${JSON.stringify(record.installedAt)}`;
  return {
    steps: [{ id: 'write-install-record', title: 'Write the install record', commands: writeFileCommands(path, installRecordText(record)) }],
    expectations: [present(path, 'file', stamp)],
    files: [],
    atNextBoot: [],
  };
}

function archiveStep(id: string, title: string, uploadId: string, archive: { archivePath: string; tarBytes?: number; unpackedBytes: number; entryCount: number }, target: string): PlanStep {
  const bytes = archive.tarBytes ?? estimatedTarBytes(archive);
  const ref: UploadRef = { id: uploadId, kind: 'tar', source: archive.archivePath, bytes };
  // `mkdir`, not `mkdir-p`: prepare-install-dir removed an earlier install's copy, so anything here is in the way.
  return { id, title, bytes, commands: [gf.mkdir(target), gf.tarIn(ref, target)] };
}

/** start-node.cmd and the node's arguments (with -f when the node has a credentials file). */
export function startCmdOf(input: Pick<BuildPlanInput, 'settings' | 'proactive' | 'guestprepVersion'>, w: WindowsPaths['win'], withCredentials: boolean) {
  const args = nodeArguments(input.settings, input.proactive.generation, withCredentials ? w.credentials : undefined);
  const text = startCmdText({
    guestprepVersion: input.guestprepVersion,
    generation: input.proactive.generation,
    serviceName: input.settings.serviceName,
    javaHome: w.javaHome,
    jvmOptions: input.settings.jvmOptions,
    workDir: w.startDir,
    startScript: w.startScript,
    args,
  });
  return { args, text };
}

/** The service's description (Services shows it): it names the node and its manager. */
export function serviceDescription(nodeName: string, rmUrl: string): string {
  return `ProActive node ${nodeName} for ${rmUrl}, installed by Guestprep.`;
}

/** The guest paths `mkdir -p` of the install folder creates, outermost first, and whether the folder itself is new. */
export function windowsCreatedDirs(guest: BuildPlanInput['guest'], dir: string): { parents: string[]; dirCreated: boolean } {
  const previous = guest.existing?.record;
  const chain = selfAndParentsOf(dir);
  const earlier = new Set(previous?.createdDirs ?? []);
  const parents = chain.slice(0, -1).filter((d) => earlier.has(d) || guest.dirsPresent?.[d] === false);
  const dirCreated = previous ? previous.files.includes(dir) : guest.dirsPresent?.[dir] !== true;
  return { parents, dirCreated };
}

/** The plan for a Windows guest (buildPlan dispatches here on guest.osType === 'windows'). */
export function buildWindowsPlan(input: BuildPlanInput): Plan {
  const pickWrapper = input.wrapperPath ?? shippedWrapperPath;
  const { guest, settings, jre, proactive } = input;
  const win: WindowsFacts | undefined = guest.windows;
  if (!win) fail('GUEST_NO_BOOT_HOOK', 'the Windows facts of this guest are missing (inspection did not read its registry)', 'This is a bug in Guestprep. Please report it.');
  if (!win.currentControlSet) fail('GUEST_NO_BOOT_HOOK', 'which control set this Windows boots with is unknown', 'Boot the VM once so Windows repairs its registry, then try again.');
  if (!jre && !proactive.bundledJre) fail('SETTING_INVALID', 'no Java runtime: the ProActive archive does not bundle one', 'Give a Windows JRE archive with --jre ARCHIVE.');
  if (proactive.generation === 'legacy' && !jre) fail('SETTING_INVALID', 'no Java runtime: 3.x nodes need one', 'Give a Windows JRE archive with --jre ARCHIVE.');
  const arch = wrapperArch(win.arch || guest.arch);
  const { win: w, guest: g } = windowsPaths(input);
  const svc = settings.serviceName;

  const updating = guest.existing !== undefined || win.existingService !== undefined;

  // ---- files
  const uploads: Section = {
    steps: [
      ...(jre ? [archiveStep('upload-jre', `Upload the Java runtime ${jre.version}`, 'jre', jre, g.jre)] : []),
      archiveStep('upload-proactive', `Upload the ProActive node ${proactive.version}${proactive.generation === 'modern' ? '' : ' (3.x)'}`, 'proactive', proactive, g.node),
      { id: 'create-logs-dir', title: 'Create the logs directory', commands: [gf.mkdirP(g.logs)] },
    ],
    expectations: [
      ...(jre ? [present(g.jre, 'dir')] : []),
      present(g.java, 'file'),
      present(g.node, 'dir'),
      present(g.startScript, 'file'),
      present(g.logs, 'dir'),
    ],
    files: [...(jre ? [g.jre] : []), g.node, g.logs],
    atNextBoot: [],
  };
  const creds = settings.credentials;
  const credentials: Section = creds
    ? {
        steps: [{
          id: 'install-credentials',
          title: `Install the credentials ${baseName(creds.hostPath)}`,
          bytes: creds.bytes,
          commands: [gf.upload({ id: 'credentials', kind: 'file', source: creds.hostPath, bytes: creds.bytes }, g.credentials)],
        }],
        expectations: [present(g.credentials, 'file')],
        files: [g.credentials],
        atNextBoot: [],
      }
    : { steps: [], expectations: [], files: [], atNextBoot: [] };

  const { args, text: startCmd } = startCmdOf(input, w, creds !== undefined);
  let wrapperSource: string;
  try {
    wrapperSource = pickWrapper(arch);
  } catch (err) {
    fail('INTERNAL', `Guestprep's Windows service wrapper for ${arch} is missing: ${(err as Error).message}`,
      'Reinstall Guestprep (the binaries ship in resources/windows/bin), or set GUESTPREP_WINDOWS_BIN_DIR to the folder that holds them.');
  }
  const scripts: Section = {
    steps: [
      { id: 'write-start-cmd', title: 'Write the node start script (start-node.cmd)', commands: writeFileCommands(g.startCmd, startCmd) },
      {
        id: 'install-service-wrapper',
        title: `Install the service wrapper (${arch})`,
        commands: [gf.upload({ id: 'wrapper', kind: 'file', source: wrapperSource, bytes: 0 }, g.wrapper)],
      },
    ],
    expectations: [present(g.startCmd, 'file', settings.rm.url), present(g.wrapper, 'file')],
    files: [g.startCmd, g.wrapper],
    atNextBoot: [],
  };

  // ---- registry
  const replace = [...new Set([win.existingService?.name, updating ? svc : undefined].filter((n): n is string => !!n))].map((n) => `${win.currentControlSet}\\Services\\${n}`);
  const reg = serviceRegistry({
    guestprepVersion: input.guestprepVersion,
    controlSet: win.currentControlSet,
    serviceName: svc,
    displayName: 'ProActive node',
    description: serviceDescription(settings.nodeName, settings.rm.url),
    wrapperPath: w.wrapper,
    startCmdPath: w.startCmd,
    workingDirectory: w.node,
    logFile: w.logFile,
    replace,
  });
  const registry: Section = {
    steps: [{
      id: 'register-service',
      title: `Register the Windows service ${svc} (${win.currentControlSet})`,
      commands: mergeIntoSystemHive(win.systemHivePath, reg.text, 'service.reg'),
    }],
    expectations: reg.keys.map((k) => ({ kind: 'registry' as const, hivePath: win.systemHivePath, prefix: SYSTEM_PREFIX, key: k.key, values: k.values })),
    files: [],
    atNextBoot: [
      `Windows starts the service ${svc} ("ProActive node", automatic start, as LocalSystem), registered in ${win.currentControlSet}, the control set this Windows boots with.`,
      `The service runs ${w.wrapper}, which runs ${w.startCmd}; whenever the node exits it is started again after 10 s, the delay growing to 180 s. Stopping the service ends the node's whole process tree.`,
      `The wrapper logs to ${w.logFile}; the node's own logs are in ${w.logs}.`,
    ],
  };

  const middle = mergeSections([uploads, credentials, scripts, registry]);
  // Files an earlier run recorded under the install folder that this run does not write again (jre\ and
  // node\ go as a whole; the folders themselves stay).
  const current = new Set([g.dir, g.guestprep, ...middle.files, g.record]);
  const created = windowsCreatedDirs(guest, g.dir);
  const earlierDirs = new Set(guest.existing?.record.createdDirs ?? []);
  const stale = (guest.existing?.record.files ?? []).filter((p) => !earlierDirs.has(p) &&
    p.startsWith(`${g.dir}/`) && !current.has(p) && p !== g.jre && p !== g.node && !p.startsWith(`${g.jre}/`) && !p.startsWith(`${g.node}/`) && !p.split('/').includes('..'));
  const prepare: Section = {
    steps: [{
      id: 'prepare-install-dir',
      title: updating ? 'Prepare the install directory (replacing the earlier install)' : 'Prepare the install directory',
      commands: [...(updating ? [gf.rmRf(g.jre), gf.rmRf(g.node), ...stale.map((p) => gf.rmF(p))] : []), gf.mkdirP(g.dir), gf.mkdirP(g.guestprep)],
    }],
    expectations: [present(g.dir, 'dir'), present(g.guestprep, 'dir'), ...stale.map((path) => ({ kind: 'absent' as const, path }))],
    files: [...(created.dirCreated ? [g.dir] : []), g.guestprep],
    atNextBoot: [],
  };
  const previous = guest.existing?.record;
  const record: InstallRecord = {
    tool: 'guestprep',
    formatVersion: 1,
    guestprepVersion: input.guestprepVersion,
    installedAt: previous?.installedAt ?? input.now,
    ...(previous ? { updatedAt: input.now } : {}),
    installDir: w.dir,
    serviceName: svc,
    serviceUser: settings.serviceUser,
    init: 'windows-service',
    rmUrl: settings.rm.url,
    nodeName: settings.nodeName,
    nodeSource: settings.nodeSource,
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    jvmOptions: settings.jvmOptions,
    hasCredentials: creds !== undefined,
    ...(jre ? { jre: { version: jre.version, arch: jre.arch, archive: baseName(jre.archivePath) } } : {}),
    proactive: {
      version: proactive.version,
      generation: proactive.generation,
      archive: baseName(proactive.archivePath),
      ...(proactive.startScript ? { startScript: proactive.startScript } : {}),
      ...(proactive.windowsStartScript ? { windowsStartScript: proactive.windowsStartScript } : {}),
    },
    files: [...new Set([...prepare.files, ...middle.files, g.record])],
    ...(created.parents.length ? { createdDirs: created.parents } : {}),
    windowsService: { controlSet: win.currentControlSet, key: `${win.currentControlSet}\\Services\\${svc}` },
  };
  const last = windowsRecordSection(g.record, record);
  const all = mergeSections([prepare, middle, last]);

  const callLine = `call ${[w.startScript, ...args].map((a) => (/[\\ ]/.test(a) ? `"${a}"` : a)).join(' ')}`;
  const nodeSentences = [
    `The node command is: ${callLine}, run by start-node.cmd with JAVA_HOME=${w.javaHome}` + (settings.jvmOptions.length ? ` and JAVA_OPTS=${settings.jvmOptions.join(' ')}.` : '.'),
    settings.rm.protocol === 'pamr'
      ? `The node joins the Resource Manager ${settings.rm.url} through a PAMR router (outbound connections only).`
      : `The node joins the Resource Manager at ${settings.rm.url}, which must be able to connect back to the VM (allow it in the Windows firewall).`,
    ...(settings.nodeSource !== 'Default' ? [`The node source ${settings.nodeSource} must already exist in the Resource Manager, or the node exits (and is restarted).`] : []),
  ];
  const warnings = [...(input.warnings ?? [])];
  if (updating) warnings.push(`this image already had a Guestprep install in ${w.dir}: it is replaced, including the node's logs in ${w.logs}`);
  if (win.controlSetNote) warnings.push(win.controlSetNote);
  // The wrapper is a small file; the archives dominate. One extra MiB covers it and the texts.
  const required = (jre?.unpackedBytes ?? 0) + proactive.unpackedBytes + ((jre?.entryCount ?? 0) + proactive.entryCount) * 4096 + 33 * 1024 * 1024;
  return { steps: all.steps, expectations: all.expectations, requiredBytes: required, atNextBoot: [...all.atNextBoot, ...nodeSentences], record, warnings };
}
