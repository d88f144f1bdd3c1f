// A quicker way to find a plain Linux guest than libguestfs's `inspect-os`. Under emulation `inspect-os`
// is the most expensive query of a run (about 6 s on one disk, and it inspects every drive of a batch
// appliance in one go, so about 45 s for eight): it lists every filesystem, mounts each one and probes it
// for a dozen operating systems with augeas. For the guests most users bring (one disk, plain partitions,
// ext2/3/4 or XFS, an /etc/os-release) a handful of small queries give the same answers:
//
//   list-partitions, vfs-type of each one   -> the Linux filesystems of this drive; an LVM physical
//                                              volume, RAID member, LUKS or anything exotic sends it back
//   mount-ro each, look for /etc            -> exactly one of them is a root (fstab + os-release)
//   os-release, hostname, /bin/ls's arch     -> the facts inspect-get-* would give
//   /etc/fstab, by vfs-uuid/label/partition  -> the mountpoints, resolved on this drive only
//
// Anything outside that shape returns undefined and the caller runs `inspect-os` as before, so Windows,
// LVM, LUKS, RAID, btrfs, multi-boot, no-OS and odd fstabs keep libguestfs's own inspection and errors.
// The integration test holds the two to the same answers on every sample guest.
//
// Resolving fstab on this drive only is also what a batch wants: libguestfs resolves `UUID=` and
// `/dev/sda1` against every drive of the appliance, which for clones lands on another image's disk.

import { posix } from 'node:path';
import type { GuestfishSession } from '../guestfish/session';
import { driveOf, onOwnDrive } from './drives';
import { answer, readGuestFile } from './queries';
import type { GuestFacts } from '../types';

/** The OS facts of GuestFacts, found without inspect-os (mountpoints shortest first, as parseMountpoints orders them). */
export type QuickLinuxFacts = Pick<GuestFacts, 'root' | 'distro' | 'majorVersion' | 'minorVersion' | 'productName' | 'arch' | 'hostname' | 'mountpoints'>;

/** Filesystems a Linux root may be on, for this quick path. Others (btrfs subvolumes, ZFS...) go to inspect-os. */
const ROOT_TYPES = new Set(['ext2', 'ext3', 'ext4', 'xfs']);
/** Filesystems that never hold a root and need no look inside. */
export const SKIPPED_TYPES = new Set(['', 'swap', 'vfat', 'msdos', 'iso9660']);

/**
 * The facts, with the root left mounted at / the way the caller asked (read-only or not): or why the quick
 * path gave up (for the debug log), with nothing left mounted.
 */
export type QuickOutcome = { facts: QuickLinuxFacts } | { fallback: string };

export interface QuickOptions {
  /** In an appliance with several drives: the OS on this drive (0-based). */
  drive?: number;
  /** How the root is left mounted (default read-only). */
  readonly?: boolean;
  /** Drives from this index on are not the guest's (archive disks): never looked into. */
  guestDrives?: number;
  /**
   * The appliance's partitions, asked once for all its drives (a batch: list-partitions takes about 0.3 s
   * under emulation, and the answer does not change while the appliance runs).
   */
  partitions?: () => Promise<string[]>;
}

/** The guest's filesystems on the drive inspected, each with its vfs-type ('' when it has none). */
export interface ListedFilesystems {
  devices: string[];
  types: string[];
}

/**
 * The partitions of the inspected drive (or the drive itself when it has no partition table), with their
 * types: what both quick paths start from, asked once.
 */
export async function listGuestFilesystems(s: GuestfishSession, opts: QuickOptions = {}): Promise<ListedFilesystems> {
  const parts = opts.partitions ? await opts.partitions() : await listPartitions(s);
  const onThis = (d: string) =>
    (opts.drive === undefined || driveOf(d) === opts.drive) && !onOwnDrive(d, opts.guestDrives);
  // A disk with no partition table can hold a filesystem (or an LVM physical volume) itself.
  const mine = parts.filter(onThis);
  const devices = mine.length > 0 ? mine : (await listOf(s, 'list-devices')).filter(onThis);
  // LVM physical volumes, RAID members, LUKS and BitLocker show here by their type, and leave the quick paths.
  const types = await Promise.all(devices.map((d) => answer(s, ['vfs-type', d])));
  return { devices, types };
}

export async function quickInspectLinux(s: GuestfishSession, opts: QuickOptions = {}, listed?: ListedFilesystems): Promise<QuickOutcome> {
  const readonly = opts.readonly ?? true;
  const { devices: candidates, types } = listed ?? (await listGuestFilesystems(s, opts));
  if (candidates.length === 0) return { fallback: 'no disk' };
  const linux: string[] = [];
  for (const [i, t] of types.entries()) {
    if (ROOT_TYPES.has(t)) linux.push(candidates[i]);
    else if (!SKIPPED_TYPES.has(t)) return { fallback: `${candidates[i]} is ${t}` };
  }

  // Each Linux filesystem is looked into; the root stays mounted to read its facts. Several are probed
  // read-only; a lone one is mounted the way the caller wants it at once (a run mounts its root read-write
  // anyway, in its overlay), which saves an unmount and a mount.
  const probeReadonly = linux.length === 1 ? readonly : true;
  const roots: string[] = [];
  let mountedRoot: string | undefined;
  for (const dev of linux) {
    if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
    mountedRoot = undefined;
    const kind = await rootKind(s, dev, probeReadonly);
    if (kind === 'unsure') {
      await s.exec(['umount', '/'], { tolerate: true });
      return { fallback: `${dev} has /etc but no fstab or os-release` };
    }
    if (kind === 'root') {
      roots.push(dev);
      mountedRoot = dev;
    } else if (kind === 'other') {
      await s.exec(['umount', '/'], { tolerate: true });
    }
  }
  if (roots.length !== 1) {
    if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
    return { fallback: `${roots.length} Linux roots` };
  }
  const root = roots[0];
  let keepMounted = false;
  try {
    if (mountedRoot !== root || probeReadonly !== readonly) {
      if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
      if (!(await mounted(s, root, readonly))) return { fallback: `${root} does not mount` };
    }
    const [osRelease, hostname, fstab, arch, debianVersion] = await Promise.all([
      readFirst(s, ['/etc/os-release', '/usr/lib/os-release']),
      readFirst(s, ['/etc/hostname', '/etc/HOSTNAME']),
      readFirst(s, ['/etc/fstab']),
      architecture(s),
      readFirst(s, ['/etc/debian_version']),
    ]);
    if (osRelease === undefined || fstab === undefined) return { fallback: `${root} lacks os-release or fstab` };
    if (!arch) return { fallback: `${root}: architecture unknown` };
    const release = parseOsRelease(osRelease);
    const entries = parseFstab(fstab);
    if (entries === undefined) return { fallback: `${root}: fstab names devices by a scheme this path does not resolve` };
    const drive = opts.drive ?? driveOf(root);
    const mountpoints = await resolveMountpoints(s, entries, root, drive, candidates);
    if (!mountpoints) return { fallback: `${root}: an fstab device is not on this disk` };
    const version = versionOf(release, debianVersion);
    keepMounted = true;
    return {
      facts: {
        root,
        distro: distroOf(release.ID ?? ''),
        majorVersion: version.major,
        minorVersion: version.minor,
        productName: productOf(release, debianVersion),
        arch,
        hostname: hostnameOf(hostname),
        mountpoints,
      },
    };
  } finally {
    if (!keepMounted) await s.exec(['umount', '/'], { tolerate: true });
  }
}

/** Every partition of the appliance's drives. */
export function listPartitions(s: GuestfishSession): Promise<string[]> {
  return listOf(s, 'list-partitions');
}

async function listOf(s: GuestfishSession, cmd: string): Promise<string[]> {
  const r = await s.exec([cmd], { tolerate: true });
  return r.ok ? r.output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/dev/')) : [];
}

export async function mounted(s: GuestfishSession, dev: string, readonly: boolean): Promise<boolean> {
  return (await s.exec([readonly ? 'mount-ro' : 'mount', dev, '/'], { tolerate: true })).ok;
}

/**
 * A Linux root has /etc with fstab and an os-release; /boot, /home and data volumes have no /etc. The
 * filesystem is left mounted at / ('unmounted': it did not mount), for the caller to read or unmount.
 */
async function rootKind(s: GuestfishSession, dev: string, readonly: boolean): Promise<'root' | 'other' | 'unsure' | 'unmounted'> {
  if (!(await mounted(s, dev, readonly))) return 'unmounted';
  const [etc, fstab, etcRelease, usrRelease] = await Promise.all([
    answer(s, ['is-dir', '/etc']),
    answer(s, ['is-file', '/etc/fstab', 'followsymlinks:true']),
    answer(s, ['is-file', '/etc/os-release', 'followsymlinks:true']),
    answer(s, ['is-file', '/usr/lib/os-release', 'followsymlinks:true']),
  ]);
  if (etc !== 'true') return 'other';
  if (fstab === 'true' && (etcRelease === 'true' || usrRelease === 'true')) return 'root';
  return 'unsure';
}

/** The first of these files that exists, read inside the guest (symlinks resolved in the guest, not the appliance). */
async function readFirst(s: GuestfishSession, paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const real = await answer(s, ['realpath', p]);
    if (!real || (await answer(s, ['is-file', real])) !== 'true') continue;
    const bytes = await readGuestFile(s, real);
    if (bytes) return bytes.toString('utf8');
  }
  return undefined;
}

/** The architecture of the guest's own binaries, as inspect-get-arch finds it. */
async function architecture(s: GuestfishSession): Promise<string> {
  for (const p of ['/bin/ls', '/bin/sh', '/usr/bin/ls']) {
    const real = await answer(s, ['realpath', p]);
    if (!real) continue;
    // The ELF header answers for the common machines in one pread; file-architecture runs `file` (about
    // 180 ms under emulation) and stays for the rest.
    const head = await readGuestFile(s, real, 64);
    const arch = (head && elfArchitecture(head)) || (await answer(s, ['file-architecture', real]));
    if (arch) return arch;
  }
  return '';
}

/** ELF machines by e_machine, named as file-architecture names them; others are left to it. */
const ELF_MACHINES: Record<number, string> = { 3: 'i386', 62: 'x86_64', 183: 'aarch64' };

/** The architecture in an ELF header (little-endian files only), or undefined. */
export function elfArchitecture(head: Buffer): string | undefined {
  if (head.length < 20 || head.toString('latin1', 0, 4) !== '\x7fELF' || head[5] !== 1) return undefined;
  const machine = ELF_MACHINES[head.readUInt16LE(18)];
  // A 64-bit machine in a 32-bit file (x32) is not what file-architecture calls x86_64.
  if (machine === 'x86_64' || machine === 'aarch64') return head[4] === 2 ? machine : undefined;
  return head[4] === 1 ? machine : undefined;
}

/** KEY=value lines, values unquoted (os-release(5)). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    out[m[1]] = v;
  }
  return out;
}

/** libguestfs's names for the distributions whose os-release ID differs from them. */
const DISTRO_NAMES: Record<string, string> = {
  arch: 'archlinux',
  alpine: 'alpinelinux',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  'sles_sap': 'sles',
  ol: 'oraclelinux',
  almalinux: 'alma',
  rocky: 'rocky',
  kali: 'kalilinux',
  altlinux: 'altlinux',
  neokylin: 'neokylin',
  voidlinux: 'voidlinux',
  void: 'voidlinux',
};

export function distroOf(id: string): string {
  const lower = id.toLowerCase();
  return DISTRO_NAMES[lower] ?? (lower || 'unknown');
}

/**
 * VERSION_ID as major.minor. Debian's os-release gives only the major; like libguestfs, the minor then
 * comes from /etc/debian_version (12.5 -> 12, 5).
 */
export function versionOf(release: Record<string, string>, debianVersion?: string): { major: number; minor: number } {
  const m = /^(\d+)(?:\.(\d+))?/.exec(release.VERSION_ID ?? '');
  let major = m ? Number(m[1]) : 0;
  let minor = m?.[2] ? Number(m[2]) : 0;
  if (release.ID === 'debian' && debianVersion) {
    const d = /^(\d+)\.(\d+)/.exec(debianVersion.trim());
    if (d && (!m || Number(d[1]) === major)) {
      major = Number(d[1]);
      minor = Number(d[2]);
    }
  }
  return { major, minor };
}

/**
 * PRETTY_NAME, except on Debian: libguestfs reads Debian's version from /etc/debian_version (os-release
 * has no minor version there) and reports that file's text as the product name (12.5).
 */
export function productOf(release: Record<string, string>, debianVersion?: string): string {
  const d = debianVersion?.trim();
  if (release.ID === 'debian' && d && /^\d+\.\d+/.test(d)) return d;
  return release.PRETTY_NAME ?? release.NAME ?? 'unknown';
}

/** The first line of /etc/hostname, short of comments, as inspect-get-hostname reports it. */
export function hostnameOf(text: string | undefined): string {
  const line = (text ?? '').split('\n').map((l) => l.replace(/#.*/, '').trim()).find((l) => l.length > 0);
  return line ?? '';
}

export interface FstabEntry {
  spec: string;
  mountpoint: string;
  type: string;
}

/** Filesystem types in fstab that are not on a disk of the guest. */
const VIRTUAL_TYPES = new Set(['swap', 'proc', 'sysfs', 'tmpfs', 'devpts', 'devtmpfs', 'none', 'nfs', 'nfs4', 'cifs', 'smbfs', 'fuse', 'securityfs', 'debugfs', 'cgroup', 'cgroup2', 'bind', 'mqueue', 'hugetlbfs', 'binfmt_misc', 'efivarfs', 'autofs', 'sshfs', '9p', 'virtiofs']);

/**
 * The entries of /etc/fstab that are disk filesystems. Undefined when one names its device in a way this
 * quick path does not resolve (LVM and mapper paths, PARTUUID, PARTLABEL, bind mounts of paths...).
 */
export function parseFstab(text: string): FstabEntry[] | undefined {
  const out: FstabEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [spec, mountpoint, type = 'auto', options = ''] = line.split(/\s+/);
    if (!spec || !mountpoint) continue;
    if (VIRTUAL_TYPES.has(type) || mountpoint === 'none' || mountpoint === 'swap' || !mountpoint.startsWith('/')) continue;
    if (/(^|,)bind(,|$)/.test(options)) continue;
    if (!/^(UUID|LABEL)=./.test(spec) && !/^\/dev\/(?:sd|vd|hd|xvd)[a-z]+\d*$/.test(spec) && !/^\/dev\/disk\/by-(uuid|label)\/./.test(spec)) return undefined;
    out.push({ spec, mountpoint: posix.normalize(mountpoint).replace(/(.)\/$/, '$1'), type });
  }
  return out;
}

/**
 * The device of each fstab entry, looked for among this drive's partitions only. A root not listed in its
 * own fstab is still mounted at /. Undefined when an entry's device is not on this drive.
 */
async function resolveMountpoints(
  s: GuestfishSession,
  entries: FstabEntry[],
  root: string,
  drive: number | undefined,
  parts: string[],
): Promise<QuickLinuxFacts['mountpoints'] | undefined> {
  const needsIds = entries.some((e) => !e.spec.startsWith('/dev/sd') && !e.spec.startsWith('/dev/vd') && !e.spec.startsWith('/dev/hd') && !e.spec.startsWith('/dev/xvd'));
  const devices = parts.length > 0 ? parts : [root];
  const ids = needsIds
    ? await Promise.all(devices.map(async (d) => ({ d, uuid: await answer(s, ['vfs-uuid', d]), label: await answer(s, ['vfs-label', d]) })))
    : [];
  const out = new Map<string, string>();
  for (const e of entries) {
    const dev = resolveSpec(e.spec, drive, devices, ids);
    if (!dev) return undefined;
    if (!out.has(e.mountpoint)) out.set(e.mountpoint, dev);
  }
  if (!out.has('/')) out.set('/', root);
  if (out.get('/') !== root) return undefined;
  return [...out.entries()]
    .map(([mountpoint, device]) => ({ mountpoint, device }))
    .sort((a, b) => a.mountpoint.length - b.mountpoint.length || a.mountpoint.localeCompare(b.mountpoint));
}

export function resolveSpec(
  spec: string,
  drive: number | undefined,
  devices: string[],
  ids: Array<{ d: string; uuid: string; label: string }>,
): string | undefined {
  const byId = (key: 'uuid' | 'label', value: string) => {
    const hits = ids.filter((x) => x[key] !== '' && x[key].toLowerCase() === value.toLowerCase());
    return hits.length === 1 ? hits[0].d : undefined;
  };
  let m = /^UUID=(.+)$/.exec(spec) ?? /^\/dev\/disk\/by-uuid\/(.+)$/.exec(spec);
  if (m) return byId('uuid', m[1].replace(/^"|"$/g, ''));
  m = /^LABEL=(.+)$/.exec(spec) ?? /^\/dev\/disk\/by-label\/(.+)$/.exec(spec);
  if (m) return byId('label', m[1].replace(/^"|"$/g, '').replace(/\\x20/g, ' '));
  // /dev/sda2 (or vda2, hda2, xvda2: the name depends on the VM's disk controller) in the guest's fstab is
  // the second partition of its own first disk: here, that partition of the drive it sits on. Another
  // disk of the VM (sdb1) is not in this image.
  m = /^\/dev\/(?:sd|vd|hd|xvd)a(\d*)$/.exec(spec);
  if (!m || drive === undefined) return undefined;
  const partNo = m[1];
  return devices.find((d) => driveOf(d) === drive && /^\/dev\/(?:sd|vd|hd|xvd)[a-z]+(\d*)$/.exec(d)?.[1] === partNo);
}
