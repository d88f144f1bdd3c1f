// buildRemovePlan: takes out of a guest everything a Guestprep install put there, and restores what it
// changed, from the install record (install.json), which lists exactly that:
//   files, links and directories it created   (files)            -> deleted
//   directories it had to create elsewhere     (createdDirs)      -> deleted when empty (deepest first)
//   the install directory                      (files, or not)    -> deleted, or only emptied of our parts
//                                                                     when it existed before
//   the line it added to rc.local               (rcLocal)          -> taken out; the file's earlier mode and
//                                                                     owner (and a blank file's text) restored
//   the targets it added to insserv's makefiles (insserv)          -> taken out (the earlier text, byte for byte,
//                                                                     when nothing else changed it since)
//   the service user the boot service created   (serviceAccount)   -> its lines out of passwd, shadow, group,
//                                                                     gshadow (when the first boot made them)
//   the Windows service key                     (windowsService)   -> deleted from the SYSTEM hive
// It works from the record only, not from the flavour modules: what the record lists is what goes.
//
// The plan is pure. What it needs to know about the guest as it is now (which of those paths still exist,
// what the directories hold, the texts to edit) is asked for by removalQueries() and read by the run
// (inspect/removal.ts) in the same session, then given here as RemovalState.

import { createHash } from 'node:crypto';
import { fail } from '../errors';
import type { Expectation, FileStat, GuestFacts, InstallRecord, Plan, PlanStep } from '../types';
import { regText } from '../quote/reg';
import { gf, writeFileCommands, type Section } from './common';
import { notPrepared } from './retarget';
import { checkInstallRecord, checkRecordedPaths } from './record-check';
import { mentions, removeInsservTarget } from './texts/insserv-depend';
import { newRcLocalText, RC_LOCAL_MARKER, removeRcLocalLine } from './texts/rc-local';
import { removeAccountLines } from './texts/accounts';
import { SYSTEM_PREFIX } from './texts/service-reg';
import { mergeIntoSystemHive } from './windows/hive-merge';
import { windowsGuestPath } from '../settings/windows';

export type PathKind = 'file' | 'dir' | 'symlink' | 'other' | 'absent';

/** What the run must read in the guest before planning a removal. */
export interface RemovalQueries {
  /** Paths whose kind is needed (present or not, file, link or directory). */
  stat: string[];
  /** Directories whose entries are needed (to know whether they will be empty). */
  list: string[];
  /** Files whose exact text and mode/owner are needed (to edit them). */
  read: string[];
}

/** The guest as the removal finds it. */
export interface RemovalState {
  kinds: Record<string, PathKind>;
  entries: Record<string, string[]>;
  texts: Record<string, { text: string; stat: FileStat }>;
}

export interface RemovePlanInput {
  guest: GuestFacts;
  state: RemovalState;
  guestprepVersion: string;
  now: string;
}

const ACCOUNT_FILES = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'] as const;
const DEPEND_FILES = ['/etc/init.d/.depend.start', '/etc/init.d/.depend.stop'];

/** The install directory as a guest path, and the parts of it that are ours when the directory is not. */
function installLayout(record: InstallRecord) {
  const dir = record.init === 'windows-service' ? windowsGuestPath(record.installDir) : record.installDir;
  return { dir, ours: record.files.includes(dir), parts: ['jre', 'node', 'guestprep'].map((p) => `${dir}/${p}`) };
}

const pidFile = (record: InstallRecord) => `/var/run/${record.serviceName}.pid`;

/**
 * The record, checked (plan/record-check.ts): a record that lists any path an install of it cannot have
 * made is refused whole, before anything is planned, so nothing it lists is deleted.
 */
function requireRecord(guest: GuestFacts): InstallRecord {
  if (!guest.existing) notPrepared('the install folder');
  const checked = checkInstallRecord(guest);
  checkRecordedPaths(checked, guest, guest.existing.path);
  const record: InstallRecord = {
    ...checked,
    ...(checked.insserv ? { insserv: checked.insserv.filter((e) => DEPEND_FILES.includes(e.path) && e.target === checked.serviceName) } : {}),
  };
  if (record.serviceAccount && record.serviceAccount.user !== record.serviceUser) delete record.serviceAccount;
  const windows = record.init === 'windows-service';
  if (windows !== (guest.osType === 'windows')) {
    fail('GUEST_UNSUPPORTED_OS', `The install record says ${windows ? 'a Windows service' : `a ${record.init} service`}, but this guest runs ${guest.osType}.`,
      'Check that this is the image Guestprep prepared; if its record is damaged, remove the node by hand.');
  }
  return record;
}

export function removalQueries(guest: GuestFacts): RemovalQueries {
  const record = requireRecord(guest);
  const layout = installLayout(record);
  const created = record.createdDirs ?? [];
  const stat = [...record.files, ...created, ...layout.parts, layout.dir];
  const read: string[] = [];
  if (record.init !== 'windows-service') {
    stat.push(pidFile(record));
    if (record.rcLocal) read.push(record.rcLocal.path);
    // Every makefile insserv may list the service in, recorded or not: a script that is gone must not stay listed.
    read.push(...new Set([...(record.insserv ?? []).map((e) => e.path), ...(record.init === 'sysvinit' ? DEPEND_FILES : [])]));
    if (record.serviceAccount && !record.serviceAccount.userExisted) read.push(...ACCOUNT_FILES);
  }
  return { stat: [...new Set(stat)], list: [...created], read: [...new Set(read)] };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A root-owned or other file written back with its own mode and owner, checked by its exact content. */
function restoredFile(path: string, text: string, stat: FileStat): { commands: PlanStep['commands']; expectation: Expectation } {
  return {
    commands: [...writeFileCommands(path, text), { argv: ['chown', String(stat.uid), String(stat.gid), path] }, gf.chmod(stat.mode, path)],
    expectation: { kind: 'file', path, mode: stat.mode, uid: stat.uid, gid: stat.gid, sha256: sha256(text) },
  };
}

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);
const depth = (p: string) => p.split('/').length;

/** rc.local: our line out, and the file as it was (a created one goes, a blank one gets its text back). */
function restoreRcLocal(record: InstallRecord, state: RemovalState, done: string[], warnings: string[]): Section {
  const rc = record.rcLocal;
  const empty: Section = { steps: [], expectations: [], files: [], atNextBoot: [] };
  if (!rc) return empty;
  const now = state.texts[rc.path];
  if (!now) return empty;
  const without = removeRcLocalLine(now.text);
  const fresh = removeRcLocalLine(newRcLocalText(rc.line));
  const created = record.files.includes(rc.path);
  const title = `Restore ${rc.path}`;
  if (created && without === fresh) {
    done.push(`Deleted ${rc.path} (Guestprep had created it).`);
    return { steps: [{ id: 'restore-rc-local', title, commands: [gf.rmF(rc.path)] }], expectations: [{ kind: 'absent', path: rc.path }], files: [], atNextBoot: [] };
  }
  const prev = rc.previous;
  let text = without;
  if (created) warnings.push(`${rc.path} was created by Guestprep but has other lines now: it is kept, without Guestprep's line`);
  else if (prev?.text !== undefined && without === fresh) text = prev.text;
  const stat = prev ? { mode: prev.mode, uid: prev.uid, gid: prev.gid } : now.stat;
  if (text === now.text && stat.mode === now.stat.mode && stat.uid === now.stat.uid && stat.gid === now.stat.gid) return empty;
  const f = restoredFile(rc.path, text, stat);
  done.push(`Took Guestprep's line out of ${rc.path}${prev ? ` and gave it back its mode ${stat.mode.toString(8).padStart(4, '0')}` : ''}.`);
  return {
    steps: [{ id: 'restore-rc-local', title, commands: f.commands }],
    expectations: [f.expectation, { kind: 'file', path: rc.path, mode: stat.mode, uid: stat.uid, gid: stat.gid, lacks: RC_LOCAL_MARKER }],
    files: [],
    atNextBoot: [],
  };
}

function restoreInsserv(record: InstallRecord, state: RemovalState, done: string[]): Section {
  const out: Section = { steps: [], expectations: [], files: [], atNextBoot: [] };
  const commands: PlanStep['commands'] = [];
  for (const path of DEPEND_FILES.concat((record.insserv ?? []).map((e) => e.path)).filter((p, i, a) => a.indexOf(p) === i)) {
    const now = state.texts[path];
    if (!now || !mentions(now.text, record.serviceName)) continue;
    const entry = record.insserv?.find((e) => e.path === path && e.target === record.serviceName);
    const f = restoredFile(path, removeInsservTarget(now.text, record.serviceName, entry?.newlineAdded ?? false), now.stat);
    commands.push(...f.commands);
    out.expectations.push(f.expectation);
    done.push(`Took ${record.serviceName} out of ${path}.`);
  }
  if (commands.length) out.steps.push({ id: 'restore-insserv', title: "Take the service out of insserv's boot order", commands });
  return out;
}

/** The service user and group the first boot created: their lines out of the four account files. */
function removeAccount(record: InstallRecord, state: RemovalState, done: string[]): Section {
  const out: Section = { steps: [], expectations: [], files: [], atNextBoot: [] };
  const acc = record.serviceAccount;
  if (!acc || acc.userExisted) return out;
  const commands: PlanStep['commands'] = [];
  for (const path of ACCOUNT_FILES) {
    const now = state.texts[path];
    if (!now) continue;
    const isGroupFile = path === '/etc/group' || path === '/etc/gshadow';
    if (isGroupFile && acc.groupExisted) continue;
    const text = removeAccountLines(now.text, acc.user);
    if (text === now.text) continue;
    const f = restoredFile(path, text, now.stat);
    commands.push(...f.commands);
    out.expectations.push(f.expectation);
  }
  if (commands.length) {
    out.steps.push({ id: 'remove-service-user', title: `Remove the service user ${acc.user}`, commands });
    done.push(`Removed the system user ${acc.user}${acc.groupExisted ? '' : ' and its group'}, which the node's first boot had created.`);
  }
  return out;
}

export function buildRemovePlan(input: RemovePlanInput): Plan {
  const { guest, state } = input;
  const warnings: string[] = [];
  const record = requireRecord(guest);
  const windows = record.init === 'windows-service';
  const layout = installLayout(record);
  const kind = (p: string): PathKind => state.kinds[p] ?? 'absent';
  const done: string[] = [];
  const sections: Section[] = [];
  const created = new Set(record.createdDirs ?? []);

  // ---- the boot service: its files and links outside the install directory (rc.local is edited below)
  const outside = record.files.filter((p) => !isUnder(p, layout.dir) && !created.has(p) && p !== record.rcLocal?.path && p.startsWith('/'));
  const leftovers = [...outside, ...(windows ? [] : [pidFile(record)])].filter((p) => kind(p) === 'file' || kind(p) === 'symlink' || kind(p) === 'other');
  if (leftovers.length) {
    sections.push({
      steps: [{ id: 'remove-boot-service', title: `Remove the boot service ${record.serviceName}`, commands: leftovers.map((p) => gf.rmF(p)) }],
      expectations: leftovers.map((path) => ({ kind: 'absent' as const, path })),
      files: [],
      atNextBoot: [],
    });
    done.push(`Removed the boot service ${record.serviceName}: ${leftovers.join(', ')}.`);
  }
  for (const p of outside) if (kind(p) === 'dir') warnings.push(`${p} is a directory now, not what Guestprep installed there: it is left alone`);

  // ---- the Windows service
  if (windows) {
    const win = guest.windows;
    if (!win) fail('GUEST_NO_BOOT_HOOK', 'the Windows facts of this guest are missing (inspection did not read its registry)', 'This is a bug in Guestprep. Please report it.');
    const keys = [...new Set([record.windowsService?.key, win.existingService && win.existingService.name === record.serviceName ? `${win.currentControlSet}\\Services\\${record.serviceName}` : undefined].filter((k): k is string => !!k))];
    if (keys.length) {
      const reg = regText(keys.map((k) => ({ key: `${SYSTEM_PREFIX}\\${k}`, remove: true })), [`Guestprep ${input.guestprepVersion}: removes the Windows service ${record.serviceName}.`]);
      sections.push({
        steps: [{
          id: 'unregister-service',
          title: `Remove the Windows service ${record.serviceName} from the registry`,
          commands: mergeIntoSystemHive(win.systemHivePath, reg, 'remove-service.reg'),
        }],
        expectations: keys.map((key) => ({ kind: 'registry-absent' as const, hivePath: win.systemHivePath, prefix: SYSTEM_PREFIX, key })),
        files: [],
        atNextBoot: [],
      });
      done.push(`Removed the Windows service ${record.serviceName} (${keys.join(', ')}).`);
    }
  }

  // ---- what Guestprep edited
  if (!windows) {
    sections.push(restoreRcLocal(record, state, done, warnings));
    sections.push(restoreInsserv(record, state, done));
    sections.push(removeAccount(record, state, done));
  }

  // ---- the install directory
  const removeDirs = layout.ours ? [layout.dir] : layout.parts;
  const present = removeDirs.filter((p) => kind(p) !== 'absent');
  if (present.length) {
    sections.push({
      steps: [{ id: 'remove-install-dir', title: layout.ours ? `Remove ${record.installDir}` : `Remove Guestprep's folders from ${record.installDir}`, commands: present.map((p) => gf.rmRf(p)) }],
      expectations: present.map((path) => ({ kind: 'absent' as const, path })),
      files: [],
      atNextBoot: [],
    });
    done.push(layout.ours ? `Removed ${record.installDir} (the Java runtime, the node, its logs and Guestprep's files).`
      : `Removed the Java runtime, the node and Guestprep's files from ${record.installDir}, which existed before and stays.`);
  }

  // ---- directories Guestprep created elsewhere, deepest first, if nothing else is in them by then
  const gone = new Set<string>([...leftovers, ...present, ...(record.rcLocal && record.files.includes(record.rcLocal.path) ? [record.rcLocal.path] : [])]);
  const rmdirs: string[] = [];
  for (const d of [...created].sort((a, b) => depth(b) - depth(a))) {
    if (kind(d) !== 'dir') continue;
    const left = (state.entries[d] ?? []).map((n) => `${d}/${n}`).filter((p) => !gone.has(p) && ![...gone].some((g) => isUnder(p, g)));
    if (left.length) {
      warnings.push(`${d} was created by Guestprep but holds other files now: it is left in place`);
      continue;
    }
    rmdirs.push(d);
    gone.add(d);
  }
  if (rmdirs.length) {
    sections.push({
      steps: [{ id: 'remove-created-dirs', title: 'Remove the folders Guestprep had created', commands: rmdirs.map((d) => gf.rmdir(d)) }],
      expectations: rmdirs.map((path) => ({ kind: 'absent' as const, path })),
      files: [],
      atNextBoot: [],
    });
    done.push(`Removed the empty folders Guestprep had created: ${rmdirs.join(', ')}.`);
  }

  const steps = sections.flatMap((s) => s.steps);
  const expectations = sections.flatMap((s) => s.expectations);
  if (steps.length === 0) warnings.push('nothing Guestprep installed was found in the guest any more: nothing to remove');
  return {
    steps,
    expectations,
    requiredBytes: 0,
    atNextBoot: [
      windows
        ? `Windows no longer starts the ProActive node: the service ${record.serviceName} is gone.`
        : `The guest no longer starts the ProActive node at boot: the ${record.init} service ${record.serviceName} is gone.`,
      ...done,
    ],
    record: guest.existing!.record,
    warnings,
  };
}
