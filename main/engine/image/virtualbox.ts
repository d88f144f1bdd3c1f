// The user's VirtualBox VMs and their disks, read from VirtualBox's own settings files (VirtualBox.xml and
// each machine's .vbox), so the app can offer "pick a VM" without VBoxManage and without VBoxSVC running.
//
// Whether a VM is running is not in those files: VirtualBox keeps the machine state in VBoxSVC's memory and
// writes only the states that survive it (`stateFile=` for a saved state, `aborted="true"` after a crash).
// So, in order of trust:
//   1. `VBoxManage list runningvms` when VBoxManage can be found (it asks VBoxSVC; authoritative);
//   2. on Linux, the processes that hold the VM's files open: a running VM's process (VBoxHeadless,
//      VirtualBoxVM, VBoxSDL, or VirtualBox in old releases) keeps its disk images and its Logs/VBox.log open
//      for as long as it runs. Only processes with one of those names count, so Guestprep's own qemu holding
//      the disk during a run is not mistaken for the VM;
//   3. otherwise the state is 'unknown' (still usable, with a reason telling the user to check).
// A disk is not offered (usable: false, with a reason) when a running or saved VM uses it, when it is a
// snapshot layer (differencing image: the engine refuses those), when its file is missing, or when its
// format is one Guestprep cannot open.

import { takesVirtualBoxFormat } from '../../rules/formats';
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { VboxDisk, VboxVm } from '../types';

export interface VboxListOptions {
  /** The user's home folder (default: os.homedir()). */
  home?: string;
  /** Environment for PATH, VBOX_USER_HOME and the Windows installer variables (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where to look for open files (default: /proc on Linux, nothing elsewhere; null disables the scan). */
  procDir?: string | null;
}

/** Process names of VirtualBox's VM processes (as in /proc/PID/comm, which truncates to 15 characters). */
const VM_PROCESS_NAMES = new Set(['VBoxHeadless', 'VirtualBoxVM', 'VBoxSDL', 'VirtualBox']);


interface Medium {
  uuid: string;
  location: string;
  format: string;
  parent?: string;
}

interface MachineEntry {
  uuid: string;
  src: string;
}

interface ParsedMachine {
  uuid: string;
  name: string;
  settingsFile: string;
  saved: boolean;
  /** Image UUIDs attached as hard disks in the current state (not in snapshots). */
  attached: string[];
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Attribute values stay strings: a VM named "1.10" must not become a number.
  parseAttributeValue: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => ['MachineEntry', 'HardDisk', 'StorageController', 'AttachedDevice'].includes(name),
});

/** "{2B6C...}" and "2b6c..." name the same medium. */
function normUuid(u: unknown): string {
  return typeof u === 'string' ? u.trim().replace(/^\{|\}$/g, '').toLowerCase() : '';
}

function child(node: unknown, name: string): XmlNode | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const c = (node as XmlNode)[name];
  return c && typeof c === 'object' && !Array.isArray(c) ? (c as XmlNode) : undefined;
}

function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const c = (node as XmlNode)[name];
  return Array.isArray(c) ? (c.filter((x) => x && typeof x === 'object') as XmlNode[]) : [];
}

function attr(node: XmlNode | undefined, name: string): string | undefined {
  const v = node?.[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

async function readXml(path: string): Promise<XmlNode | undefined> {
  try {
    return parser.parse(await readFile(path, 'utf8')) as XmlNode;
  } catch {
    return undefined;
  }
}

/** VirtualBox.xml locations, most specific first: VBOX_USER_HOME, then the Linux, legacy and macOS homes. */
export function mainConfigCandidates(home: string, env: NodeJS.ProcessEnv): string[] {
  if (env.VBOX_USER_HOME) return [join(env.VBOX_USER_HOME, 'VirtualBox.xml')];
  return [
    join(home, '.config', 'VirtualBox', 'VirtualBox.xml'),
    join(home, '.VirtualBox', 'VirtualBox.xml'),
    join(home, 'Library', 'VirtualBox', 'VirtualBox.xml'),
  ];
}

/** Media of a <MediaRegistry>, nested HardDisk elements being differencing children of their parent. */
function collectMedia(registry: XmlNode | undefined, baseDir: string, out: Map<string, Medium>): void {
  const walk = (disks: XmlNode[], parent?: string) => {
    for (const d of disks) {
      const uuid = normUuid(attr(d, 'uuid'));
      const location = attr(d, 'location');
      if (!uuid || !location) continue;
      // Relative locations are relative to the file whose registry holds them (VirtualBox 4.0+).
      out.set(uuid, { uuid, location: isAbsolute(location) ? location : resolve(baseDir, location), format: (attr(d, 'format') ?? '').toLowerCase(), parent });
      walk(children(d, 'HardDisk'), uuid);
    }
  };
  walk(children(child(registry, 'HardDisks'), 'HardDisk'));
}

function parseMainConfig(doc: XmlNode | undefined, file: string, media: Map<string, Medium>): MachineEntry[] {
  const global = child(child(doc, 'VirtualBox'), 'Global');
  if (!global) return [];
  collectMedia(child(global, 'MediaRegistry'), dirname(file), media);
  return children(child(global, 'MachineRegistry'), 'MachineEntry')
    .map((e) => ({ uuid: normUuid(attr(e, 'uuid')), src: attr(e, 'src') ?? '' }))
    .filter((e) => e.uuid && e.src)
    .map((e) => ({ ...e, src: isAbsolute(e.src) ? e.src : resolve(dirname(file), e.src) }));
}

function parseMachine(doc: XmlNode | undefined, entry: MachineEntry, media: Map<string, Medium>): ParsedMachine | undefined {
  const m = child(child(doc, 'VirtualBox'), 'Machine');
  if (!m) return undefined;
  collectMedia(child(m, 'MediaRegistry'), dirname(entry.src), media);
  // VirtualBox 6+ writes the controllers inside <Hardware>; 4.x and 5.x next to it. Snapshots carry their own
  // <Hardware>, which is the state of the snapshot, not what the VM runs now: they are not looked at.
  const controllers = [...children(child(child(m, 'Hardware'), 'StorageControllers'), 'StorageController'), ...children(child(m, 'StorageControllers'), 'StorageController')];
  const attached: string[] = [];
  for (const c of controllers) {
    for (const dev of children(c, 'AttachedDevice')) {
      if (attr(dev, 'type') !== 'HardDisk') continue;
      const uuid = normUuid(attr(child(dev, 'Image'), 'uuid'));
      if (uuid && !attached.includes(uuid)) attached.push(uuid);
    }
  }
  return {
    uuid: normUuid(attr(m, 'uuid')) || entry.uuid,
    name: attr(m, 'name') ?? basename(entry.src).replace(/\.vbox$/i, ''),
    settingsFile: entry.src,
    saved: !!attr(m, 'stateFile'),
    attached,
  };
}

// ------------------------------------------------------------------------------- running state

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** VBoxManage from PATH, or from the folder the Windows installer records in the environment. */
export async function findVBoxManage(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['VBoxManage.exe'] : ['VBoxManage', 'vboxmanage'];
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  for (const v of ['VBOX_MSI_INSTALL_PATH', 'VBOX_INSTALL_PATH']) if (env[v]) dirs.push(env[v] as string);
  for (const d of dirs) for (const n of names) if (await isExecutable(join(d, n))) return join(d, n);
  return undefined;
}

/** UUIDs of the running VMs in the output of `VBoxManage list runningvms` (`"Name" {uuid}` per line). */
export function parseRunningVms(stdout: string): Set<string> {
  const out = new Set<string>();
  for (const line of stdout.split(/\r?\n/)) {
    const m = /\{([0-9a-fA-F-]{36})\}\s*$/.exec(line);
    if (m) out.add(m[1].toLowerCase());
  }
  return out;
}

function runningFromVBoxManage(exe: string, env: NodeJS.ProcessEnv): Promise<Set<string> | undefined> {
  return new Promise((done) => {
    execFile(exe, ['list', 'runningvms'], { env, timeout: 10_000, windowsHide: true }, (err, stdout) => done(err ? undefined : parseRunningVms(String(stdout))));
  });
}

/** Files held open by VirtualBox VM processes: real path -> "VBoxHeadless, pid 1234". */
export async function openFilesOfVmProcesses(procDir: string): Promise<Map<string, string> | undefined> {
  let pids: string[];
  try {
    pids = (await readdir(procDir)).filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const open = new Map<string, string>();
  await Promise.all(
    pids.map(async (pid) => {
      let comm: string;
      try {
        comm = (await readFile(join(procDir, pid, 'comm'), 'utf8')).trim();
      } catch {
        return; // the process ended meanwhile
      }
      if (!VM_PROCESS_NAMES.has(comm)) return;
      let fds: string[];
      try {
        fds = await readdir(join(procDir, pid, 'fd'));
      } catch {
        return; // another user's VM: not ours to read (and not our disks either)
      }
      for (const fd of fds) {
        try {
          open.set(await readlink(join(procDir, pid, 'fd', fd)), `${comm}, pid ${pid}`);
        } catch {
          /* closed meanwhile */
        }
      }
    }),
  );
  return open;
}

async function realOrSame(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------- the listing

export async function listVirtualBoxVms(opts: VboxListOptions = {}): Promise<VboxVm[]> {
  const home = opts.home ?? homedir();
  const env = opts.env ?? process.env;
  const media = new Map<string, Medium>();

  const entries = new Map<string, MachineEntry>();
  for (const file of mainConfigCandidates(home, env)) {
    for (const e of parseMainConfig(await readXml(file), file, media)) if (!entries.has(e.uuid)) entries.set(e.uuid, e);
  }

  // All machine files are read before any disk is resolved: a VM may use a disk registered in another VM's file.
  const machines: Array<{ entry: MachineEntry; parsed?: ParsedMachine }> = [];
  for (const entry of entries.values()) machines.push({ entry, parsed: parseMachine(await readXml(entry.src), entry, media) });

  // Who attaches each medium, counting every layer under an attached snapshot layer too.
  const users = new Map<string, ParsedMachine[]>();
  for (const { parsed } of machines) {
    if (!parsed) continue;
    for (const u of parsed.attached) {
      for (let id: string | undefined = u; id; id = media.get(id)?.parent) users.set(id, [...(users.get(id) ?? []), parsed]);
    }
  }

  // ---- which VMs run
  let running: Set<string> | undefined;
  /** VMs that may be running: a disk they share with other VMs is open and nothing says which VM holds it. */
  const ambiguous = new Set<string>();
  /** Medium uuid -> the VM process holding its file open (open-files method only). */
  const heldBy = new Map<string, string>();
  const vboxManage = await findVBoxManage(env);
  if (vboxManage) running = await runningFromVBoxManage(vboxManage, env);
  if (!running) {
    const procDir = opts.procDir === undefined ? (process.platform === 'linux' ? '/proc' : null) : opts.procDir;
    const openBy = procDir ? await openFilesOfVmProcesses(procDir) : undefined;
    if (openBy) {
      // /proc shows canonical paths; the settings may name the file through a symlink.
      const holder = async (f: string) => openBy.get(await realOrSame(f)) ?? openBy.get(resolve(f));
      const found = new Set<string>();
      running = found;
      // VBox.log is the VM's own: its being open names the VM for sure.
      for (const { parsed } of machines) {
        if (parsed && (await holder(join(dirname(parsed.settingsFile), 'Logs', 'VBox.log')))) found.add(parsed.uuid);
      }
      for (const m of media.values()) {
        const who = await holder(m.location);
        if (who) heldBy.set(m.uuid, who);
      }
      for (const id of heldBy.keys()) {
        const us = users.get(id) ?? [];
        if (us.some((u) => found.has(u.uuid))) continue;
        if (us.length === 1) found.add(us[0].uuid);
        else for (const u of us) ambiguous.add(u.uuid);
      }
    }
  }
  const stateOf = (p: ParsedMachine): VboxVm['state'] => {
    if (running?.has(p.uuid)) return 'running';
    if (ambiguous.has(p.uuid)) return 'unknown';
    if (p.saved) return 'saved';
    return running ? 'poweroff' : 'unknown';
  };

  const out: VboxVm[] = [];
  for (const { entry, parsed } of machines) {
    if (!parsed) {
      out.push({ name: basename(entry.src).replace(/\.vbox$/i, ''), uuid: entry.uuid, settingsFile: entry.src, state: 'unknown', disks: [] });
      continue;
    }
    const state = stateOf(parsed);
    const disks: VboxDisk[] = [];
    for (const u of parsed.attached) {
      const m = media.get(u);
      if (!m) {
        disks.push({ path: `{${u}}`, format: 'unknown', usable: false, reason: `VirtualBox lists a disk {${u}} for "${parsed.name}" that is not in any media registry; open the VM's settings in VirtualBox to repair it.` });
        continue;
      }
      const layers: string[] = [];
      for (let id = m.parent; id; id = media.get(id)?.parent) {
        const l = media.get(id)?.location;
        if (l) layers.push(l);
      }
      disks.push({ path: m.location, format: m.format, ...(layers.length ? { layers } : {}), ...(await usability(m, parsed, state)) });
    }
    out.push({ name: parsed.name, uuid: parsed.uuid, settingsFile: parsed.settingsFile, state, disks });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));

  async function usability(
    m: Medium,
    vm: ParsedMachine,
    state: VboxVm['state'],
  ): Promise<{ usable: boolean; reason?: string }> {
    const chain: string[] = [];
    for (let id: string | undefined = m.uuid; id; id = media.get(id)?.parent) chain.push(id);
    const others = [...new Set(chain.flatMap((id) => users.get(id) ?? []))].filter((o) => o.uuid !== vm.uuid);
    const busy = others.find((o) => stateOf(o) === 'running');
    if (state === 'running') {
      return { usable: false, reason: `The VM "${vm.name}" is running: shut it down first (in VirtualBox: Machine > ACPI Shutdown), then refresh.` };
    }
    if (busy) return { usable: false, reason: `The VM "${busy.name}", which uses this disk too, is running: shut it down first, then refresh.` };
    const holder = chain.map((id) => heldBy.get(id)).find((h) => h);
    if (holder) return { usable: false, reason: `A VirtualBox process (${holder}) has this disk open: shut down the VM that uses it, then refresh.` };
    if (state === 'saved') {
      return {
        usable: false,
        reason: `The VM "${vm.name}" is in a saved state: changing its disk would break that state. Start it and shut it down (or discard the saved state), then refresh.`,
      };
    }
    const savedOther = others.find((o) => stateOf(o) === 'saved');
    if (savedOther) return { usable: false, reason: `The VM "${savedOther.name}", which uses this disk too, is in a saved state: shut it down or discard its saved state first.` };
    if (m.parent) {
      const base = chain.map((id) => media.get(id)).filter((x): x is Medium => !!x).pop();
      return {
        usable: false,
        reason: `This is a snapshot layer (differencing image) of "${vm.name}"${base ? ` over ${basename(base.location)}` : ''}: Guestprep prepares base images only. Delete the VM's snapshots (which merges them into the base disk), then refresh.`,
      };
    }
    if (!takesVirtualBoxFormat(m.format)) {
      return { usable: false, reason: `Guestprep cannot open ${m.format.toUpperCase() || 'this'} disks; convert it to VDI first (VBoxManage clonemedium).` };
    }
    if (!(await exists(m.location))) return { usable: false, reason: `The disk file is missing: ${m.location}` };
    if (state === 'unknown') {
      return {
        usable: true,
        reason: `Guestprep could not tell whether "${vm.name}" is running (VBoxManage is not available): make sure it is powered off.`,
      };
    }
    return { usable: true };
  }
}

// ------------------------------------------------------------------------------- who uses one image

export interface VmUser {
  vm: VboxVm;
  /** The attached disk: the image itself, or a snapshot layer on top of it. */
  disk: VboxDisk;
}

async function realOrResolved(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
}

/**
 * The VirtualBox VMs whose current state attaches `image`, directly or as the base under a snapshot layer
 * (a VM running on a snapshot reads its base disk all the time). VirtualBox takes no QEMU locks, so this is
 * how a running VM is caught before its disk is written under it.
 */
export async function virtualBoxUsersOf(image: string, opts: VboxListOptions = {}): Promise<VmUser[]> {
  const target = await realOrResolved(image);
  const users: VmUser[] = [];
  for (const vm of await listVirtualBoxVms(opts)) {
    for (const disk of vm.disks) {
      for (const p of [disk.path, ...(disk.layers ?? [])]) {
        if (p.startsWith('{')) continue;
        if ((await realOrResolved(p)) === target) {
          users.push({ vm, disk });
          break;
        }
      }
    }
  }
  return users;
}
