// Inspection of the guest inside an already launched appliance: OS facts from libguestfs inspection, then
// what the plan needs to know about the Linux boot (init system, rc.local, tools), the free space where
// the files will go, and a previous Guestprep installation. It works in the same session a run then writes
// with, so a run costs one appliance launch in total.

import { posix } from 'node:path';
import { fail } from '../errors';
import type { FileStat, GuestFacts, InstallRecord, LinuxBootFacts } from '../types';
import type { GuestfishSession } from '../guestfish/session';
import { encryptedVolumes, isFile, one, readGuestFile } from './queries';
import { driveOf, onDrive, onOwnDrive } from './drives';
import { listGuestFilesystems, quickInspectLinux, type QuickLinuxFacts } from './quick-linux';
import { quickInspectWindows, type QuickWindowsFacts } from './quick-windows';
import { parseStat } from '../execute/verify';
import { FLAVOURS } from '../plan/flavours/registry';
import { selfAndParentsOf } from '../plan/paths';
import { inspectWindows } from './windows';
import { isWindowsPath, resolveWindowsInstallDir, windowsGuestPath } from '../settings/windows';

export { driveOf, onDrive, onOwnDrive } from './drives';

export interface InspectOptions {
  /** Install directory the run will use: free space is measured on the filesystem that holds it. */
  installDir: string;
  /** Mount read-only (inspection) or read-write (a run writing into its overlay). */
  readonly: boolean;
  /** In an appliance with several drives: inspect only the OS on this drive (0-based). */
  drive?: number;
  /**
   * `inspect-os` of this appliance, run at most once for all its drives (it inspects every drive at once):
   * a batch shares it between its images. Asked only when the quick Linux path does not apply.
   */
  roots?: () => Promise<string[]>;
  /** false: go straight to libguestfs's inspection (tests comparing the two). */
  quick?: boolean;
  /**
   * How many of the appliance's drives are guest disks; the ones after them are Guestprep's own (the
   * archive disks, archive-disks.ts) and are never taken for a part of the guest. Default: all.
   */
  guestDrives?: number;
  /** The appliance's partitions, listed once for all its drives (a batch); see QuickOptions. */
  partitions?: () => Promise<string[]>;
}

/**
 * Thrown only when inspecting one drive of several: which filesystems belong to this drive cannot be told
 * (LVM volume groups, filesystem UUIDs shared by clones). Not a user error: the batch then prepares this
 * image in an appliance of its own, where the question does not arise.
 */
export class AmbiguousDriveError extends Error {}

export async function inspectGuest(s: GuestfishSession, opts: InspectOptions): Promise<GuestFacts> {
  // Nothing of the guest may be mounted yet: both ways mount filesystems themselves to look inside.
  await s.exec(['umount-all'], { tolerate: true });
  const found: FoundRoot = (opts.quick === false ? undefined : await quickRoot(s, opts)) ?? (await libguestfsRoot(s, opts));
  const { root, osType, mountpoints } = found;
  for (const m of mountpoints) {
    // The quick inspection leaves the root mounted as asked.
    if (found.by === 'quick' && m.mountpoint === '/') continue;
    // Only the root must mount; a broken /boot or swap-like entry should not stop us.
    const r = await s.exec([opts.readonly ? 'mount-ro' : 'mount', m.device, m.mountpoint], { tolerate: m.mountpoint !== '/' });
    if (!r.ok) m.device = `${m.device} (not mounted: ${r.error})`;
  }

  const facts: GuestFacts = {
    root,
    osType,
    distro: found.distro,
    majorVersion: found.majorVersion,
    minorVersion: found.minorVersion,
    productName: found.productName,
    arch: found.arch,
    hostname: found.hostname,
    mountpoints,
    freeBytes: 0,
    freeBytesMountpoint: '/',
    inspectedBy: found.by,
  };

  if (osType === 'windows') {
    // inspectWindows mounts what it needs itself (we did above) and reads the registry in this session.
    const { hostname, ...win } = await inspectWindows(s, root, { readonly: opts.readonly, quick: found.windows });
    facts.windows = win;
    if (hostname !== undefined) facts.hostname = hostname;
    if (win.arch) facts.arch = win.arch;
    return installDirFacts(s, facts, opts.installDir);
  }
  if (osType !== 'linux') {
    fail(
      'GUEST_UNSUPPORTED_OS',
      `This guest runs ${found.productName || osType}; Guestprep prepares Linux and Windows guests.`,
      'Pick the disk of a Linux or Windows VM.',
    );
  }

  facts.linux = await linuxBootFacts(s);
  return installDirFacts(s, facts, opts.installDir);
}

/** The root and its OS facts, whichever inspection found them. */
interface FoundRoot extends QuickLinuxFacts {
  osType: GuestFacts['osType'];
  by: NonNullable<GuestFacts['inspectedBy']>;
  /** The quick Windows inspection's facts, handed to inspectWindows. */
  windows?: QuickWindowsFacts;
}

/**
 * The quick inspections (quick-linux.ts, quick-windows.ts) on the drive's filesystems, listed once: a drive
 * with an NTFS volume is asked for Windows, any other for Linux. Undefined when the guest is not of the
 * plain shape they know: libguestfs's inspection then decides.
 */
async function quickRoot(s: GuestfishSession, opts: InspectOptions): Promise<FoundRoot | undefined> {
  const qopts = { drive: opts.drive, readonly: opts.readonly, guestDrives: opts.guestDrives, partitions: opts.partitions };
  const listed = await listGuestFilesystems(s, qopts);
  if (listed.types.includes('ntfs')) {
    const w = await quickInspectWindows(s, listed, qopts);
    if ('fallback' in w) return undefined;
    const f = w.facts;
    return {
      root: f.root,
      osType: 'windows',
      distro: 'windows',
      majorVersion: f.majorVersion,
      minorVersion: f.minorVersion,
      productName: f.productName,
      arch: f.arch,
      // Read with the SYSTEM hive, by inspectWindows.
      hostname: '',
      mountpoints: [{ mountpoint: '/', device: f.root }],
      by: 'quick',
      windows: f,
    };
  }
  const l = await quickInspectLinux(s, qopts, listed);
  return 'facts' in l ? { ...l.facts, osType: 'linux', by: 'quick' } : undefined;
}

/**
 * libguestfs's own inspection (`inspect-os` and the inspect-get-* queries): every guest the quick path
 * leaves (Windows, LVM, encryption, RAID, multi-boot, no OS...), with its refusals for the last three.
 */
async function libguestfsRoot(s: GuestfishSession, opts: InspectOptions): Promise<FoundRoot> {
  const all = (opts.roots ? await opts.roots() : lines((await s.exec(['inspect-os'])).output)).filter((r) => !onOwnDrive(r, opts.guestDrives));
  if (opts.drive !== undefined && all.some((r) => driveOf(r) === undefined)) {
    throw new AmbiguousDriveError(`The appliance found OS roots on mapped devices (LVM?): ${all.join(', ')}`);
  }
  const roots = opts.drive === undefined ? all : all.filter((r) => driveOf(r) === opts.drive);
  if (roots.length === 0) {
    const fsList = (await s.exec(['list-filesystems'], { tolerate: true })).output;
    const encrypted = await encryptedVolumes(s);
    if (encrypted.length > 0 || /crypto_LUKS|BitLocker/i.test(fsList)) {
      const which = encrypted.length > 0 ? ` (${encrypted.join(', ')})` : '';
      fail(
        'GUEST_ENCRYPTED',
        `The disk holds an encrypted volume${which} and no operating system Guestprep can read: the system is most likely inside it, and Guestprep cannot unlock it offline.`,
        'Decrypt the disk inside the VM first (LUKS: cryptsetup reencrypt --decrypt; Windows: turn BitLocker off) and prepare it then, ' +
          'or install the ProActive node from inside the running VM. Nothing was written.',
        { detail: [...encrypted, fsList].join('\n') },
      );
    }
    // What the disk does hold tells a data disk (or a wrong disk) apart at a glance.
    const held = lines(fsList).filter((l) => l.startsWith('/dev/') && !onOwnDrive(l.split(':')[0], opts.guestDrives)).map((l) => l.replace(': ', ' '));
    const holds = held.length === 0 ? ' (it holds no filesystem at all)' : ` (it holds ${held.slice(0, 4).join(', ')}${held.length > 4 ? ', ...' : ''})`;
    fail('GUEST_NO_OS', `No operating system was found on this disk${holds}.`,
      'Pick the system disk of the VM (the one it boots from), not a data disk. Nothing was written.', { detail: fsList });
  }
  if (roots.length > 1) {
    // Named the way the user knows them (distribution, version, hostname), so they can tell which disk this is.
    const products = await Promise.all(roots.map(async (r) => {
      const [distro, product, host] = await Promise.all(['inspect-get-distro', 'inspect-get-product-name', 'inspect-get-hostname'].map((c) => one(s, c, r)));
      const name = [distro, product].filter((x) => x && x !== 'unknown').join(' ') || 'unknown system';
      return `${r}: ${name}${host && host !== 'unknown' ? `, hostname ${host}` : ''}`;
    }));
    fail(
      'GUEST_MULTI_BOOT',
      `This disk holds ${roots.length} operating systems (${products.join('; ')}); Guestprep installs into one and cannot tell which one the VM boots.`,
      'Prepare a disk with a single operating system, or install the ProActive node from inside the running system of a multi-boot VM. Nothing was written.',
    );
  }
  const root = roots[0];
  // Pipelined: guestfish runs them in order, we wait once.
  const [osType, distro, major, minor, product, arch, hostname, mps] = await Promise.all([
    one(s, 'inspect-get-type', root),
    one(s, 'inspect-get-distro', root),
    one(s, 'inspect-get-major-version', root),
    one(s, 'inspect-get-minor-version', root),
    one(s, 'inspect-get-product-name', root),
    one(s, 'inspect-get-arch', root),
    one(s, 'inspect-get-hostname', root),
    s.exec(['inspect-get-mountpoints', root]).then((r) => r.output),
  ]);
  // An fstab entry naming a second disk of the VM (`/dev/sdb`) may resolve to one of our own drives: the
  // guest cannot mean it, and without that drive libguestfs would have found nothing there.
  const mountpoints = parseMountpoints(mps).filter((m) => !onOwnDrive(m.device, opts.guestDrives));
  if (opts.drive !== undefined && mountpoints.some((m) => driveOf(m.device) !== opts.drive)) {
    // With several drives, libguestfs resolves the guest's fstab against all of them: `/dev/sda2` in the
    // fstab of the guest on the second drive, or a UUID= shared by clones, lands on another drive. The
    // guest means its own disk: the same partition number on this drive, when it exists.
    const parts = new Set((await s.exec(['list-partitions'])).output.split('\n').map((l) => l.trim()));
    for (const m of mountpoints) {
      if (driveOf(m.device) === opts.drive) continue;
      const own = onDrive(m.device, opts.drive);
      if (!own || !parts.has(own)) throw new AmbiguousDriveError(`The filesystems of ${root} cannot be told apart from another disk's: ${mps}`);
      m.device = own;
    }
  }
  return {
    root,
    osType,
    distro,
    majorVersion: Number(major) || 0,
    minorVersion: Number(minor) || 0,
    productName: product,
    arch,
    hostname: hostname === 'unknown' ? '' : hostname,
    mountpoints,
    by: 'libguestfs',
  };
}

/**
 * The facts that depend on the install folder: free space where it lands, and an earlier Guestprep install
 * in it. Cheap (two queries): a run that reuses an inspection made for another folder asks them again.
 */
export async function installDirFacts(s: GuestfishSession, facts: GuestFacts, installDir: string): Promise<GuestFacts> {
  const out: GuestFacts = { ...facts };
  delete out.existing;
  if (facts.windows) {
    const win = facts.windows;
    out.freeBytes = win.freeBytes;
    out.freeBytesMountpoint = win.systemDrive ? `${win.systemDrive}:` : '/';
    // An earlier Guestprep install: its record sits in <install dir>\guestprep (the default folder unless
    // the user names another); an unreadable or foreign name is simply not looked for here.
    let dir = '';
    try {
      dir = windowsGuestPath(resolveWindowsInstallDir(isWindowsPath(installDir) ? installDir : undefined, win.systemDrive));
    } catch {
      dir = '';
    }
    let existing = dir ? await readInstallRecord(s, dir) : undefined;
    // Not there, but a Guestprep service is registered: its wrapper sits in <install dir>\guestprep.
    const serviceDir = win.existingService ? installDirOfImagePath(win.existingService.imagePath) : undefined;
    if (!existing && serviceDir) {
      existing = await readInstallRecord(s, windowsGuestPath(serviceDir));
      if (existing) dir = windowsGuestPath(serviceDir);
    }
    if (existing) out.existing = existing;
    if (dir) out.dirsPresent = await dirsPresent(s, selfAndParentsOf(dir));
    return out;
  }
  const mounted = facts.mountpoints.filter((m) => !m.device.includes('(not mounted'));
  const mp = coveringMountpoint(installDir, mounted.map((m) => m.mountpoint));
  out.freeBytesMountpoint = mp;
  out.freeBytes = parseStatvfsFree((await s.exec(['statvfs', mp])).output);
  const existing = await readInstallRecord(s, installDir);
  if (existing) out.existing = existing;
  // The record names the install directory an update keeps (inspection was asked for the one the user gave).
  const dirForRecord = existing?.record.installDir ?? installDir;
  if (facts.linux) {
    out.dirsPresent = await dirsPresent(s, [...(dirForRecord.startsWith('/') ? selfAndParentsOf(dirForRecord) : []), ...FLAVOURS[facts.linux.init].createsDirs]);
  }
  return out;
}

/**
 * Remounts an inspected guest read-write by the devices inspection found (a warm session inspected it
 * read-only while the user filled in the wizard): no second inspection.
 */
export async function mountForWriting(s: GuestfishSession, mountpoints: GuestFacts['mountpoints']): Promise<void> {
  await s.exec(['umount-all']);
  const order = [...mountpoints].filter((m) => !m.device.includes('(not mounted')).sort((a, b) => a.mountpoint.length - b.mountpoint.length);
  for (const m of order) await s.exec(['mount', m.device, m.mountpoint], { tolerate: m.mountpoint !== '/' });
}

/** Which of these directories exist (symlinks to directories count: mkdir-p would not create them). */
async function dirsPresent(s: GuestfishSession, paths: string[]): Promise<Record<string, boolean>> {
  const unique = [...new Set(paths)];
  const present = await Promise.all(unique.map((p) => isDir(s, p)));
  return Object.fromEntries(unique.map((p, i) => [p, present[i]]));
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** guestfish prints hashtables as `key: value` lines. Shortest mountpoint first: the order to mount in. */
export function parseMountpoints(text: string): Array<{ mountpoint: string; device: string }> {
  const out: Array<{ mountpoint: string; device: string }> = [];
  for (const l of lines(text)) {
    const i = l.indexOf(': ');
    if (i <= 0) continue;
    out.push({ mountpoint: l.slice(0, i), device: l.slice(i + 2) });
  }
  return out.sort((a, b) => a.mountpoint.length - b.mountpoint.length || a.mountpoint.localeCompare(b.mountpoint));
}

export function coveringMountpoint(path: string, mountpoints: string[]): string {
  let best = '/';
  for (const m of mountpoints) {
    const prefix = m.endsWith('/') ? m : m + '/';
    if ((path === m || path.startsWith(prefix)) && m.length > best.length) best = m;
  }
  return best;
}

export function parseStatvfsFree(text: string): number {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const frsize = field('frsize') || field('bsize');
  const bavail = field('bavail');
  if (!Number.isFinite(frsize) || !Number.isFinite(bavail)) return 0;
  return frsize * bavail;
}

const TOOL_CANDIDATES: Record<keyof LinuxBootFacts['tools'], string[]> = {
  systemdSysusers: ['/usr/bin/systemd-sysusers', '/bin/systemd-sysusers'],
  systemdTmpfiles: ['/usr/bin/systemd-tmpfiles', '/bin/systemd-tmpfiles'],
  useradd: ['/usr/sbin/useradd', '/sbin/useradd'],
  runuser: ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'],
  su: ['/bin/su', '/usr/bin/su'],
  nologin: ['/usr/sbin/nologin', '/sbin/nologin', '/bin/false'],
};

async function isDir(s: GuestfishSession, path: string): Promise<boolean> {
  const r = await s.exec(['is-dir', path, 'followsymlinks:true'], { tolerate: true });
  return r.ok && r.output.trim() === 'true';
}

async function realpath(s: GuestfishSession, path: string): Promise<string | undefined> {
  const r = await s.exec(['realpath', path], { tolerate: true });
  return r.ok ? r.output.trim() : undefined;
}

export async function linuxBootFacts(s: GuestfishSession): Promise<LinuxBootFacts> {
  const [init, systemdBin, usrSystemdBin, inittab, debRc2, debInitd, rhRc3, rhInitd] = await Promise.all([
    realpath(s, '/sbin/init'),
    isFile(s, '/lib/systemd/systemd'),
    isFile(s, '/usr/lib/systemd/systemd'),
    isFile(s, '/etc/inittab'),
    isDir(s, '/etc/rc2.d'),
    isDir(s, '/etc/init.d'),
    isDir(s, '/etc/rc.d/rc3.d'),
    isDir(s, '/etc/rc.d/init.d'),
  ]);
  const tools: LinuxBootFacts['tools'] = {};
  // Every candidate asked at once (pipelined), then the first present one of each tool kept.
  const candidates = Object.entries(TOOL_CANDIDATES) as Array<[keyof LinuxBootFacts['tools'], string[]]>;
  const present = await Promise.all(candidates.map(([, paths]) => Promise.all(paths.map((c) => isFile(s, c)))));
  for (const [i, [key, paths]] of candidates.entries()) {
    const found = paths.find((_, j) => present[i][j]);
    if (found) tools[key] = found;
  }
  const facts: LinuxBootFacts = { init: 'rclocal', tools };
  const [etcRcLocal, rhRcLocal] = await Promise.all([realpath(s, '/etc/rc.local'), realpath(s, '/etc/rc.d/rc.local')]);
  const rcLocal = etcRcLocal ?? rhRcLocal;
  if (rcLocal && (await isFile(s, rcLocal))) {
    facts.rcLocalPath = rcLocal;
    facts.rcLocalText = await readText(s, rcLocal);
    const st = await statOf(s, rcLocal);
    if (st) facts.rcLocalStat = st;
  }
  const [passwd, group] = await Promise.all([readTextIfFile(s, '/etc/passwd'), readTextIfFile(s, '/etc/group')]);
  if (passwd !== undefined && group !== undefined) facts.accounts = { users: accountNames(passwd), groups: accountNames(group) };
  const initIsSystemd = init ? posix.basename(init) === 'systemd' : systemdBin || usrSystemdBin;
  if (initIsSystemd) {
    facts.init = 'systemd';
  } else if (debInitd && debRc2) {
    facts.init = 'sysvinit';
    facts.sysvLayout = 'debian';
    const depend = await insservDepend(s);
    if (depend) facts.insservDepend = depend;
  } else if (rhInitd && rhRc3) {
    facts.init = 'sysvinit';
    facts.sysvLayout = 'redhat';
  } else if (facts.rcLocalPath || inittab) {
    // No runlevel link folders: rc.local is the only hook we can count on (created if missing).
    facts.init = 'rclocal';
  } else {
    fail(
      'GUEST_NO_BOOT_HOOK',
      'This Linux guest has neither systemd, nor sysvinit runlevel folders, nor /etc/rc.local: Guestprep cannot tell how to start a service at boot.',
      'Prepare a guest that boots with systemd or sysvinit, or add an executable /etc/rc.local to it.',
    );
  }
  return facts;
}

/**
 * Debian with insserv boots runlevels through startpar, which starts only the services listed in
 * /etc/init.d/.depend.start: an S99 link alone is ignored there. When those files are in use, the plan
 * must list the service in them, so inspection hands their texts over.
 */
async function insservDepend(s: GuestfishSession): Promise<LinuxBootFacts['insservDepend']> {
  const base = '/etc/init.d/';
  const [boot, start, stop, legacy] = await Promise.all([
    s.exec(['filesize', `${base}.depend.boot`], { tolerate: true }),
    s.exec(['filesize', `${base}.depend.start`], { tolerate: true }),
    s.exec(['filesize', `${base}.depend.stop`], { tolerate: true }),
    isFile(s, `${base}.legacy-bootordering`),
  ]);
  const nonEmpty = (r: { ok: boolean; output: string }) => r.ok && Number(r.output.trim()) > 0;
  if (legacy || !nonEmpty(boot) || !nonEmpty(start) || !nonEmpty(stop)) return undefined;
  return { start: await readText(s, `${base}.depend.start`), stop: await readText(s, `${base}.depend.stop`) };
}

/** "C:\\ProActive\\guestprep\\guestprep-service.exe" (quoted or not, with arguments) -> C:\\ProActive. */
export function installDirOfImagePath(imagePath: string): string | undefined {
  const m = /^\s*"?([A-Za-z]:\\[^"]*?)\\guestprep\\guestprep-service[^\\"]*\.exe/i.exec(imagePath);
  return m ? m[1] : undefined;
}

/** Permission bits and owner of a file (symlinks followed), or undefined when it cannot be read. */
export async function statOf(s: GuestfishSession, path: string): Promise<FileStat | undefined> {
  const r = await s.exec(['statns', path], { tolerate: true });
  const st = r.ok ? parseStat(r.output) : undefined;
  return st ? { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } : undefined;
}

/** The first field of each line of /etc/passwd or /etc/group (comments and blank lines skipped). */
export function accountNames(text: string): string[] {
  return text.split('\n').filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => l.slice(0, l.indexOf(':')));
}

export async function readTextIfFile(s: GuestfishSession, guestPath: string): Promise<string | undefined> {
  return (await isFile(s, guestPath)) ? readText(s, guestPath) : undefined;
}

/** Exact file text (guestfish `cat` cannot tell whether the file ends with a newline; readGuestFile can). */
export async function readText(s: GuestfishSession, guestPath: string): Promise<string> {
  const bytes = await readGuestFile(s, guestPath);
  if (!bytes) fail('STEP_FAILED', `${guestPath} could not be read from the guest.`, 'See the details; the image was not changed.');
  return bytes.toString('utf8');
}

export async function readInstallRecord(s: GuestfishSession, installDir: string): Promise<GuestFacts['existing']> {
  const path = posix.join(installDir, 'guestprep', 'install.json');
  if (!(await isFile(s, path))) return undefined;
  try {
    const record = JSON.parse(await readText(s, path)) as InstallRecord;
    if (record.tool !== 'guestprep') return undefined;
    return { record, path };
  } catch {
    return undefined;
  }
}
