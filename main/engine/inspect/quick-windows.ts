// A quicker way to find a plain Windows guest than libguestfs's `inspect-os` (about 5 s of a Windows run
// under emulation: it mounts and probes every filesystem, then opens both registry hives). It asks what
// libguestfs's own Windows inspection (daemon/inspect_fs_windows.ml) asks, and nothing else:
//
//   the drive's filesystems (listed once, quick-linux.ts)   -> NTFS only (plus the types no OS lives on);
//                                                               anything else goes back to inspect-os
//   on each NTFS volume, %SystemRoot% among /windows, /winnt,  -> exactly one volume holds Windows: the root
//   /win32, /win, /reactos (any case): system32, its config
//   folder and system32/cmd.exe present
//   file-architecture of cmd.exe                              -> the arch
//   SOFTWARE\Microsoft\Windows NT\CurrentVersion              -> product name, version, InstallationType
//
// The SYSTEM hive facts (control set, hostname, drive letters) are read by the Windows inspection in the
// one session it opens that hive for (windows.ts, with systemHiveFacts below), not here: opening a real
// SYSTEM hive means reading megabytes through ntfs-3g.
//
// Anything outside that shape (a system root named by boot.ini, no or several Windows volumes, a missing
// hive or version) returns a fallback, and the caller runs `inspect-os`, whose answers and refusals then
// apply. The integration test holds the two to the same answers on the sample guests.

import type { GuestfishSession } from '../guestfish/session';
import { child, controlSetName, hiveRoot, keyAt, nodeValues, preadDevice, REG_BINARY, valueBytes, valueDword, valueHandle, valueKey, valueString, valueType } from './hivex';
import { answer, isFile, readGuestFile, realFile } from './queries';
import { SKIPPED_TYPES, mounted, type ListedFilesystems } from './quick-linux';

/** What inspect-get-* would say about the Windows root, found without inspect-os. */
export interface QuickWindowsFacts {
  root: string;
  /** Real-case guest path, e.g. /Windows. */
  systemRoot: string;
  arch: string;
  productName: string;
  /** InstallationType ('' when the registry has none, as libguestfs's "unknown" is reported). */
  productVariant: string;
  majorVersion: number;
  minorVersion: number;
  /** Real-case guest paths of the two hives (both exist, or the quick path gave up). */
  systemHivePath: string;
  softwareHivePath: string;
}

/** The facts, with the root left mounted at / as asked; or why the quick path gave up, with nothing mounted. */
export type QuickWindowsOutcome = { facts: QuickWindowsFacts } | { fallback: string };

/** Where libguestfs looks for %SystemRoot%, in its order. */
const SYSTEM_ROOTS = ['/windows', '/winnt', '/win32', '/win', '/reactos'];

export async function quickInspectWindows(s: GuestfishSession, listed: ListedFilesystems, opts: { readonly?: boolean } = {}): Promise<QuickWindowsOutcome> {
  const readonly = opts.readonly ?? true;
  const ntfs: string[] = [];
  for (const [i, t] of listed.types.entries()) {
    if (t === 'ntfs') ntfs.push(listed.devices[i]);
    else if (!SKIPPED_TYPES.has(t)) return { fallback: `${listed.devices[i]} is ${t}` };
  }
  if (ntfs.length === 0) return { fallback: 'no NTFS volume' };

  // As on Linux: a lone volume is mounted the way the caller wants it at once; several are probed read-only.
  const probeReadonly = ntfs.length === 1 ? readonly : true;
  const roots: Array<{ device: string; systemRoot: string }> = [];
  let mountedRoot: string | undefined;
  for (const dev of ntfs) {
    if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
    mountedRoot = undefined;
    if (!(await mounted(s, dev, probeReadonly))) continue;
    const found = await systemRootOf(s);
    if (found === 'boot.ini') {
      await s.exec(['umount', '/'], { tolerate: true });
      return { fallback: `${dev}: the system folder is named by boot.ini` };
    }
    if (found) {
      roots.push({ device: dev, systemRoot: found });
      mountedRoot = dev;
    } else {
      await s.exec(['umount', '/'], { tolerate: true });
    }
  }
  if (roots.length !== 1) {
    if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
    return { fallback: `${roots.length} Windows system volumes` };
  }
  const { device: root, systemRoot } = roots[0];
  let keepMounted = false;
  try {
    // The root stays mounted only when it was the last volume probed, and as the caller wants it.
    if (mountedRoot !== root || probeReadonly !== readonly) {
      if (mountedRoot) await s.exec(['umount', '/'], { tolerate: true });
      if (!(await mounted(s, root, readonly))) return { fallback: `${root} does not mount` };
    }
    const [cmdExe, software, system] = await Promise.all([
      answer(s, ['case-sensitive-path', `${systemRoot}/system32/cmd.exe`]),
      realFile(s, `${systemRoot}/system32/config/software`),
      realFile(s, `${systemRoot}/system32/config/system`),
    ]);
    const arch = cmdExe ? await architecture(s, cmdExe) : '';
    if (!arch) return { fallback: `${root}: the architecture of cmd.exe is unknown` };
    if (!software || !system) return { fallback: `${root}: a registry hive is missing` };
    const product = await softwareFacts(s, software);
    if ('fallback' in product) return product;
    keepMounted = true;
    return { facts: { root, systemRoot, arch, ...product, systemHivePath: system, softwareHivePath: software } };
  } finally {
    if (!keepMounted) await s.exec(['umount', '/'], { tolerate: true });
  }
}

/**
 * The architecture of cmd.exe: read from its PE header for the two machines Windows guests have (one
 * `pread`, a few ms), else libguestfs's file-architecture (which runs `file`: 180 ms here).
 */
async function architecture(s: GuestfishSession, cmdExe: string): Promise<string> {
  const head = await readGuestFile(s, cmdExe, 4096);
  return (head && peArchitecture(head)) || answer(s, ['file-architecture', cmdExe]);
}

/** i386 or x86_64 from a PE image's header (the names file-architecture gives); undefined for anything else. */
export function peArchitecture(head: Buffer): string | undefined {
  if (head.length < 0x40 || head.toString('latin1', 0, 2) !== 'MZ') return undefined;
  const pe = head.readUInt32LE(0x3c);
  if (pe + 6 > head.length || head.toString('latin1', pe, pe + 4) !== 'PE\0\0') return undefined;
  const machine = head.readUInt16LE(pe + 4);
  return machine === 0x14c ? 'i386' : machine === 0x8664 ? 'x86_64' : undefined;
}

/**
 * %SystemRoot% of the volume mounted at /, in its real case; 'boot.ini' when only that file could name it
 * (libguestfs then reads boot.ini: left to it); undefined when the volume holds no Windows.
 */
async function systemRootOf(s: GuestfishSession): Promise<string | 'boot.ini' | undefined> {
  // Every candidate asked at once (pipelined): the real-case paths first, then what they are.
  const paths = SYSTEM_ROOTS.flatMap((r) => [`${r}/system32`, `${r}/system32/config`, `${r}/system32/cmd.exe`]);
  const real = await Promise.all(paths.map((p) => answer(s, ['case-sensitive-path', p])));
  const kinds = await Promise.all(real.map((p, i) => (p ? answer(s, [i % 3 === 2 ? 'is-file' : 'is-dir', p]) : Promise.resolve(''))));
  for (let k = 0; k < SYSTEM_ROOTS.length; k++) {
    if (kinds.slice(3 * k, 3 * k + 3).every((x) => x === 'true')) return real[3 * k].slice(0, -'/system32'.length);
  }
  const bootIni = await answer(s, ['case-sensitive-path', '/boot.ini']);
  return bootIni && (await isFile(s, bootIni)) ? 'boot.ini' : undefined;
}

/** Product name, version and InstallationType from SOFTWARE\Microsoft\Windows NT\CurrentVersion. */
async function softwareFacts(s: GuestfishSession, hive: string): Promise<Omit<QuickWindowsFacts, 'root' | 'systemRoot' | 'arch' | 'systemHivePath' | 'softwareHivePath'> | { fallback: string }> {
  if (!(await s.exec(['hivex-open', hive], { tolerate: true })).ok) return { fallback: `${hive} does not open` };
  try {
    const node = await keyAt(s, await hiveRoot(s), ['Microsoft', 'Windows NT', 'CurrentVersion']);
    if (node === 0) return { fallback: 'no Microsoft\\Windows NT\\CurrentVersion key' };
    const [name, major, minor, current, variant] = await Promise.all(
      ['ProductName', 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber', 'CurrentVersion', 'InstallationType'].map((k) => valueHandle(s, node, k)),
    );
    const [productName, majorN, minorN, currentText, productVariant] = await Promise.all([
      valueString(s, name),
      valueDword(s, major),
      valueDword(s, minor),
      valueString(s, current),
      valueString(s, variant),
    ]);
    if (!productName) return { fallback: 'no ProductName' };
    const version = windowsVersion(majorN, minorN, currentText);
    if (!version) return { fallback: `version not understood (${currentText ?? 'none'})` };
    return { productName, productVariant: productVariant ?? '', majorVersion: version.major, minorVersion: version.minor };
  } finally {
    await s.exec(['hivex-close'], { tolerate: true });
  }
}

/**
 * As libguestfs: CurrentMajorVersionNumber and CurrentMinorVersionNumber (Windows 10 on) when both are
 * there, else CurrentVersion ("6.1").
 */
export function windowsVersion(major: number | undefined, minor: number | undefined, current: string | undefined): { major: number; minor: number } | undefined {
  if (major !== undefined && minor !== undefined) return { major, minor };
  const m = /^(\d+)\.(\d+)$/.exec((current ?? '').trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

// ---------------------------------------------------------------- facts of the SYSTEM hive

/** What inspect-os would have read from the SYSTEM hive, for the quick path (read by windows.ts, hive open). */
export interface SystemHiveFacts {
  /** ControlSet%03d of Select\Current, '' when unreadable. */
  controlSet: string;
  /** Services\Tcpip\Parameters\Hostname of that control set, '' when absent. */
  hostname: string;
  /** Drive letter -> device, from MountedDevices, resolved on the root's own drive. */
  driveMappings: Record<string, string>;
}

/**
 * The control set (from Select\Current's value `current`, read by the caller), hostname and drive letters
 * of the open SYSTEM hive (root key `hiveRootNode`),
 * as libguestfs reads them, except that drive letters are resolved on the disk of `root` only: with clones
 * in one appliance every disk carries the same signature, and the guest means its own.
 */
export async function systemHiveFacts(s: GuestfishSession, hiveRootNode: number, root: string, current: number | undefined): Promise<SystemHiveFacts> {
  const controlSet = current !== undefined ? controlSetName(current) : '';
  const hostname = controlSet
    ? (await valueString(s, await valueHandle(s, await keyAt(s, hiveRootNode, [controlSet, 'Services', 'Tcpip', 'Parameters']), 'Hostname'))) ?? ''
    : '';
  const letters = await mountedDevices(s, await child(s, hiveRootNode, 'MountedDevices'));
  const disk = /^(\/dev\/(?:sd|vd|hd|xvd)[a-z]+)\d+$/.exec(root)?.[1];
  const table = disk && letters.length > 0 ? await partitionTable(s, disk) : undefined;
  const driveMappings: Record<string, string> = {};
  for (const { letter, blob } of letters) {
    const device = disk && table ? await deviceOfBlob(s, blob, disk, table) : undefined;
    if (device) driveMappings[letter.toUpperCase()] = device;
  }
  return { controlSet, hostname, driveMappings };
}

/** The \DosDevices\X: values of MountedDevices that are binary: the letter and its blob. */
async function mountedDevices(s: GuestfishSession, node: number): Promise<Array<{ letter: string; blob: Buffer }>> {
  const values = await nodeValues(s, node);
  // A real guest lists every volume it ever saw here: names first (pipelined), data only for drive letters.
  const keys = await Promise.all(values.map((v) => valueKey(s, v)));
  const out: Array<{ letter: string; blob: Buffer }> = [];
  for (const [i, key] of keys.entries()) {
    const letter = dosDeviceLetter(key ?? '');
    if (!letter) continue;
    if ((await valueType(s, values[i])) !== REG_BINARY) continue;
    const blob = await valueBytes(s, values[i]);
    if (blob) out.push({ letter, blob });
  }
  return out;
}

/** `\DosDevices\C:` -> 'C' (any case of the prefix, as libguestfs accepts it); undefined for other names. */
export function dosDeviceLetter(key: string): string | undefined {
  if (key.length < 14 || key.slice(0, 12).toLowerCase() !== '\\dosdevices\\' || key[13] !== ':' || !/[A-Za-z]/.test(key[12])) return undefined;
  return key[12];
}

/** A MountedDevices blob: an MBR disk signature and partition byte offset, or a GPT partition GUID. */
export type VolumeBlob = { mbr: { signature: Buffer; offset: bigint } } | { gpt: string } | undefined;

export function parseVolumeBlob(blob: Buffer): VolumeBlob {
  if (blob.length >= 24 && blob.subarray(0, 8).toString('latin1') === 'DMIO:ID:') {
    // A GUID as Windows stores it: the first three fields little-endian, the last eight bytes as they are.
    return { gpt: guidText(blob.subarray(8, 24)) };
  }
  if (blob.length === 12) return { mbr: { signature: blob.subarray(0, 4), offset: blob.readBigUInt64LE(4) } };
  return undefined;
}

/** part-list output -> partition numbers and byte offsets. */
export function parsePartList(text: string): Array<{ num: number; start: bigint }> {
  const out: Array<{ num: number; start: bigint }> = [];
  for (const block of text.split(/\[\d+\] = \{/).slice(1)) {
    const num = /part_num: (\d+)/.exec(block);
    const start = /part_start: (\d+)/.exec(block);
    if (num && start) out.push({ num: Number(num[1]), start: BigInt(start[1]) });
  }
  return out;
}

/** A disk's partition table as far as MountedDevices needs it: its type, MBR signature, partitions. */
export interface PartitionTable {
  type: 'msdos' | 'gpt';
  /** The 4 bytes at 0x1b8 of an MBR disk. */
  signature?: Buffer;
  /** Partition number, byte offset, and (GPT) unique GUID in lower case. */
  partitions: Array<{ num: number; start: bigint; guid?: string }>;
  /** false when the table could not be read whole (logical partitions): part-list then answers. */
  complete: boolean;
}

/** Sectors read from the start of the disk: the MBR, the GPT header and 128 entries of 128 bytes. */
const TABLE_BYTES = 512 * 34;

/**
 * The disk's partition table, parsed from its first sectors (one pread-device: 70 ms here, where
 * part-get-parttype and part-list run parted, about 500 ms each under emulation). Undefined when it is
 * neither a plain MBR nor a GPT this parser reads.
 */
async function partitionTable(s: GuestfishSession, disk: string): Promise<PartitionTable | undefined> {
  const head = await preadDevice(s, disk, TABLE_BYTES, 0);
  return head ? parsePartitionTable(head) : undefined;
}

/** GUID text of 16 bytes stored the Windows way: the first three fields little-endian. */
function guidText(g: Buffer): string {
  const hex = (b: Buffer) => b.toString('hex');
  const le = (b: Buffer) => hex(Buffer.from(b).reverse());
  return `${le(g.subarray(0, 4))}-${le(g.subarray(4, 6))}-${le(g.subarray(6, 8))}-${hex(g.subarray(8, 10))}-${hex(g.subarray(10, 16))}`;
}

/** An MBR (512-byte sectors, as virtual disks have) or a GPT behind its protective MBR. */
export function parsePartitionTable(head: Buffer): PartitionTable | undefined {
  if (head.length < 512 || head[510] !== 0x55 || head[511] !== 0xaa) return undefined;
  const entries = [0, 1, 2, 3].map((i) => {
    const e = head.subarray(0x1be + 16 * i, 0x1be + 16 * (i + 1));
    return { num: i + 1, type: e[4], lba: e.readUInt32LE(8) };
  });
  if (entries.some((e) => e.type === 0xee)) {
    if (head.length < 1024 || head.toString('latin1', 512, 520) !== 'EFI PART') return undefined;
    const entriesLba = head.readBigUInt64LE(512 + 72);
    const count = head.readUInt32LE(512 + 80);
    const size = head.readUInt32LE(512 + 84);
    if (size < 128) return undefined;
    const first = Number(entriesLba) * 512;
    const partitions: PartitionTable['partitions'] = [];
    let complete = true;
    for (let i = 0; i < count; i++) {
      const at = first + i * size;
      if (at + 48 > head.length) {
        complete = false;
        break;
      }
      const e = head.subarray(at, at + size);
      // An all-zero type GUID is an unused slot; Linux numbers partitions by slot.
      if (e.subarray(0, 16).every((b) => b === 0)) continue;
      partitions.push({ num: i + 1, start: e.readBigUInt64LE(32) * 512n, guid: guidText(e.subarray(16, 32)) });
    }
    return { type: 'gpt', partitions, complete };
  }
  const used = entries.filter((e) => e.type !== 0);
  const extended = used.some((e) => e.type === 0x05 || e.type === 0x0f || e.type === 0x85);
  return {
    type: 'msdos',
    signature: head.subarray(0x1b8, 0x1bc),
    partitions: used.map((e) => ({ num: e.num, start: BigInt(e.lba) * 512n })),
    complete: !extended,
  };
}

/** The device a blob names on `disk`, or undefined. */
async function deviceOfBlob(s: GuestfishSession, raw: Buffer, disk: string, table: PartitionTable): Promise<string | undefined> {
  const blob = parseVolumeBlob(raw);
  if (!blob) return undefined;
  if ('mbr' in blob) {
    if (table.type !== 'msdos' || !table.signature?.equals(blob.mbr.signature)) return undefined;
    const part = table.partitions.find((p) => p.start === blob.mbr.offset);
    if (part) return `${disk}${part.num}`;
    // A logical partition: parted lists it.
    if (table.complete) return undefined;
    const listed = parsePartList(await answer(s, ['part-list', disk])).find((p) => p.start === blob.mbr.offset);
    return listed ? `${disk}${listed.num}` : undefined;
  }
  if (table.type !== 'gpt') return undefined;
  const part = table.partitions.find((p) => p.guid === blob.gpt);
  if (part || table.complete) return part ? `${disk}${part.num}` : undefined;
  const parts = parsePartList(await answer(s, ['part-list', disk]));
  const guids = await Promise.all(parts.map((p) => answer(s, ['part-get-gpt-guid', disk, String(p.num)])));
  const i = guids.findIndex((g) => g.toLowerCase() === blob.gpt);
  return i >= 0 ? `${disk}${parts[i].num}` : undefined;
}
