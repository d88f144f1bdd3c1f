// What every flavour of plan shares: the install layout, guestfish command builders, writing text files
// (in pieces short enough for guestfish's line buffer), and the common steps.

import { gfQuote, GF_MAX_LINE } from '../quote/guestfish';
import { startScriptForGuest } from '../archive/detect';
import type {
  Expectation, GfCommand, GuestFacts, InstallRecord, JreInfo, LinuxBootFacts, NodeSettings, PlanStep, ProactiveInfo, UploadRef,
} from '../types';

// ---------------------------------------------------------------- layout

export interface InstallPaths {
  dir: string;
  jre: string;
  node: string;
  logs: string;
  guestprep: string;
  launcher: string;
  record: string;
  credentials: string;
  /** The node's start script (modern bin/proactive-node, legacy bin/unix/rm-start-node). */
  startScript: string;
  /** JAVA_HOME for the launcher: our jre/, or the distribution's bundled jre/ when there is no other. */
  javaHome: string;
}

/** The fixed layout of a Linux install directory: what does not depend on the archives. */
export function installLayout(dir: string): Omit<InstallPaths, 'startScript' | 'javaHome'> {
  const node = `${dir}/node`;
  const guestprep = `${dir}/guestprep`;
  return {
    dir,
    jre: `${dir}/jre`,
    node,
    logs: `${node}/logs`,
    guestprep,
    launcher: `${guestprep}/start-node.sh`,
    record: `${guestprep}/install.json`,
    credentials: `${guestprep}/credentials.cred`,
  };
}

export function installPaths(settings: NodeSettings, proactive: ProactiveInfo, jre: JreInfo | undefined): InstallPaths {
  const layout = installLayout(settings.installDir);
  return {
    ...layout,
    startScript: `${layout.node}/${startScriptForGuest(proactive, 'linux')}`,
    javaHome: jre ? layout.jre : `${layout.node}/jre`,
  };
}

export interface PlanContext {
  guest: GuestFacts;
  linux: LinuxBootFacts;
  settings: NodeSettings;
  jre?: JreInfo;
  proactive: ProactiveInfo;
  guestprepVersion: string;
  now: string;
  paths: InstallPaths;
  /** Guest paths an earlier Guestprep run recorded (install.json), empty on a first install. */
  previousFiles: string[];
  /** The earlier run's record, when this run updates or retargets an install. */
  previous?: InstallRecord;
  /**
   * Retarget without a new credentials file: the one an earlier run installed stays, and the node keeps
   * using it (settings.credentials names only a file to upload now).
   */
  keepCredentials?: boolean;
}

/** The credentials file the node is started with, if it has one (uploaded now, or kept from before). */
export function credentialsPath(ctx: PlanContext): string | undefined {
  return ctx.settings.credentials || ctx.keepCredentials ? ctx.paths.credentials : undefined;
}

/**
 * Of these directories (outside the install directory, created with mkdir -p), the ones the install
 * creates: absent according to inspection, or recorded as created by an earlier run (they exist now
 * because of it). Recorded, so `remove` takes out exactly these.
 */
export function createdDirs(ctx: PlanContext, dirs: readonly string[]): string[] {
  const earlier = new Set(ctx.previous?.createdDirs ?? []);
  return dirs.filter((d) => earlier.has(d) || ctx.guest.dirsPresent?.[d] === false);
}

/** A part of a plan: steps with what they leave behind. */
export interface Section {
  steps: PlanStep[];
  expectations: Expectation[];
  /** Guest paths this part creates (for the install record). */
  files: string[];
  atNextBoot: string[];
  rcLocal?: InstallRecord['rcLocal'];
  /** Directories outside the install directory this part creates (see createdDirs). */
  createdDirs?: string[];
  insserv?: InstallRecord['insserv'];
}

export const emptySection = (): Section => ({ steps: [], expectations: [], files: [], atNextBoot: [] });

export function mergeSections(parts: Section[]): Section {
  const out = emptySection();
  for (const p of parts) {
    out.steps.push(...p.steps);
    out.expectations.push(...p.expectations);
    out.files.push(...p.files);
    out.atNextBoot.push(...p.atNextBoot);
    if (p.rcLocal) out.rcLocal = p.rcLocal;
    if (p.createdDirs?.length) out.createdDirs = [...(out.createdDirs ?? []), ...p.createdDirs];
    if (p.insserv?.length) out.insserv = [...(out.insserv ?? []), ...p.insserv];
  }
  return out;
}

// ---------------------------------------------------------------- guestfish commands

export const octal = (mode: number) => '0' + mode.toString(8).padStart(3, '0');

const cmd = (...argv: [string, ...GfCommand['argv'][number][]]): GfCommand => ({ argv });

export const gf = {
  mkdir: (path: string) => cmd('mkdir', path),
  mkdirP: (path: string) => cmd('mkdir-p', path),
  rmRf: (path: string) => cmd('rm-rf', path),
  rmF: (path: string) => cmd('rm-f', path),
  rmdir: (path: string) => cmd('rmdir', path),
  cp: (src: string, dest: string) => cmd('cp', src, dest),
  chownRoot: (path: string) => cmd('chown', '0', '0', path),
  chmod: (mode: number, path: string) => cmd('chmod', octal(mode), path),
  lnSf: (target: string, link: string) => cmd('ln-sf', target, link),
  tarIn: (ref: UploadRef, dir: string) => cmd('tar-in', { upload: ref }, dir),
  upload: (ref: UploadRef, path: string) => cmd('upload', { upload: ref }, path),
};

/** A directory owned by root with a given mode: created if needed, then set. */
export function rootDir(path: string, mode: number, create: 'mkdir' | 'mkdir-p' = 'mkdir-p'): GfCommand[] {
  return [create === 'mkdir' ? gf.mkdir(path) : gf.mkdirP(path), gf.chownRoot(path), gf.chmod(mode, path)];
}

/** How many characters guestfish's parser receives for a piece of text, once quoted. */
const quotedLength = (s: string) => gfQuote(s).length - 2;

/**
 * guestfish reads at most GF_MAX_LINE characters per line, so a long text is written as `write` of its
 * first piece and `write-append` of the others. Pieces end at line ends where possible (readable
 * scripts); a single over-long line is cut between characters.
 */
export function writeFileCommands(path: string, text: string): GfCommand[] {
  const overhead = 'write-append '.length + gfQuote(path).length + ' ""'.length;
  const budget = Math.min(4000, GF_MAX_LINE - overhead);
  const pieces: string[] = [];
  let current = '';
  let currentLen = 0;
  const push = (s: string, len: number) => {
    if (currentLen + len > budget && current !== '') {
      pieces.push(current);
      current = '';
      currentLen = 0;
    }
    current += s;
    currentLen += len;
  };
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    const len = quotedLength(line);
    if (len <= budget) push(line, len);
    else for (const ch of line) push(ch, quotedLength(ch));
  }
  if (current !== '' || pieces.length === 0) pieces.push(current);
  return pieces.map((p, i) => cmd(i === 0 ? 'write' : 'write-append', path, p));
}

/** A root-owned text file: its commands and its expectation. */
export function rootTextFile(path: string, text: string, mode: number, contains: string): { commands: GfCommand[]; expectation: Expectation } {
  if (!text.includes(contains)) throw new Error(`internal: ${path} does not contain its marker ${JSON.stringify(contains)}`);
  return {
    commands: [...writeFileCommands(path, text), gf.chownRoot(path), gf.chmod(mode, path)],
    expectation: { kind: 'file', path, mode, uid: 0, gid: 0, contains },
  };
}

export const dirExpectation = (path: string, mode: number): Expectation => ({ kind: 'dir', path, mode, uid: 0, gid: 0 });

/** The last path component of a host path, whatever the host's separator. */
export const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;
