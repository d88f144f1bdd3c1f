// Inspection of a Windows guest inside an already launched appliance (after `inspect-os` found its root):
// the facts libguestfs inspection gives, cross-checked and completed from the registry with the guestfish
// hivex commands, so a Windows run costs no extra appliance launch.
//
// Why the cross-check: offline there is no CurrentControlSet; the control set that boots is the one
// SYSTEM\Select\Current names. Inspection reports it too, but a plan that writes a service into the wrong
// control set silently does nothing, so we read Select ourselves and trust it when the two disagree.
//
// guestfish prints hivex-value-value (a binary buffer) raw, NULs included, and our session decodes
// output as UTF-8, which would mangle bytes >= 0x80. So binary values (DWORDs) are piped through the
// host's `od` (guestfish's `cmd | shell` syntax) and read back as hex.

import { fail } from '../errors';
import type { GuestfishSession } from '../guestfish/session';
import type { WindowsFacts, WindowsServiceInfo } from '../types';
import { parseMountpoints, parseStatvfsFree } from './guest';
import { isFile, one } from './queries';

export interface InspectWindowsOptions {
  /** Mount read-only (inspection) or read-write (a run writing into its overlay). */
  readonly: boolean;
}

// Registry value types (winnt.h).
const REG_SZ = 1;
const REG_EXPAND_SZ = 2;
const REG_DWORD = 4;

/** guestfish prints hivex handle lists as `[0] = {\n  hivex_node_h: 1234\n}`: the handles, in order. */
export function parseHivexHandles(text: string): number[] {
  return [...text.matchAll(/hivex_(?:node|value)_h: (\d+)/g)].map((m) => Number(m[1]));
}

/** guestfish prints hashtables as `key: value` lines (drive mappings `C: /dev/sda2`, mountpoints `/dev/sda2: /`). */
export function parseHashtable(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    const i = l.indexOf(': ');
    if (i > 0) out.push([l.slice(0, i), l.slice(i + 2)]);
  }
  return out;
}

/** `od -An -tx1` output -> bytes. */
export function parseOdBytes(text: string): Buffer {
  const hex = text.match(/\b[0-9a-f]{2}\b/gi) ?? [];
  return Buffer.from(hex.map((h) => parseInt(h, 16)));
}

/** ControlSet%03d, as Windows (and libguestfs) name the set Select\Current points to. */
export function controlSetName(n: number): string {
  return `ControlSet${String(n).padStart(3, '0')}`;
}

/**
 * Does this ImagePath run a Guestprep service wrapper (guestprep-service*.exe)? ImagePath may be quoted,
 * carry arguments, use either slash, and any case (Windows paths are case-insensitive).
 */
export function isGuestprepImagePath(imagePath: string): boolean {
  return /(?:^|[\\/"\s])guestprep-service[^\\/"]*\.exe(?:"|\s|$)/i.test(imagePath.trim());
}

/**
 * Picks the control set: SYSTEM\Select\Current when it was read, else what inspection said. Returns
 * a note when they disagree or only one source answered.
 */
export function chooseControlSet(inspected: string, selectCurrent: number | undefined): { controlSet: string; note?: string } {
  if (selectCurrent !== undefined && selectCurrent > 0) {
    const fromSelect = controlSetName(selectCurrent);
    if (inspected === '') return { controlSet: fromSelect, note: `libguestfs inspection did not report a current control set; SYSTEM\\Select\\Current says ${fromSelect}.` };
    if (inspected.toLowerCase() !== fromSelect.toLowerCase()) {
      return { controlSet: fromSelect, note: `libguestfs inspection says ${inspected} but SYSTEM\\Select\\Current says ${fromSelect}; using ${fromSelect}.` };
    }
    return { controlSet: fromSelect };
  }
  if (inspected !== '') return { controlSet: inspected, note: `SYSTEM\\Select\\Current could not be read; using ${inspected} from libguestfs inspection.` };
  return { controlSet: '' };
}

/** hivex-node-get-child: the child's handle, or 0 when there is no such key (hivex returns 0, not an error). */
async function child(s: GuestfishSession, node: number, name: string): Promise<number> {
  if (node === 0) return 0;
  const r = await s.exec(['hivex-node-get-child', String(node), name], { tolerate: true });
  return r.ok ? Number(r.output.trim()) || 0 : 0;
}

/** hivex-node-get-value: the value's handle, or 0 when absent. */
async function valueHandle(s: GuestfishSession, node: number, key: string): Promise<number> {
  if (node === 0) return 0;
  const r = await s.exec(['hivex-node-get-value', String(node), key], { tolerate: true });
  return r.ok ? Number(r.output.trim()) || 0 : 0;
}

async function valueType(s: GuestfishSession, value: number): Promise<number> {
  const r = await s.exec(['hivex-value-type', String(value)], { tolerate: true });
  return r.ok ? Number(r.output.trim()) : -1;
}

/** A DWORD value, or undefined when it is absent or not 4 bytes. */
async function valueDword(s: GuestfishSession, value: number): Promise<number | undefined> {
  if (value === 0) return undefined;
  // The handle is a number we got from hivex, so the line needs no quoting; `| od` runs on the host.
  const r = await s.execRaw(`hivex-value-value ${Math.trunc(value)} | od -An -tx1 -v`, true);
  if (!r.ok) return undefined;
  const bytes = parseOdBytes(r.output);
  return bytes.length === 4 ? bytes.readUInt32LE(0) : undefined;
}

/** A string value (REG_SZ, REG_EXPAND_SZ, ...), or undefined. */
async function valueString(s: GuestfishSession, value: number): Promise<string | undefined> {
  if (value === 0) return undefined;
  const r = await s.exec(['hivex-value-string', String(value)], { tolerate: true });
  return r.ok ? r.output.replace(/\n$/, '') : undefined;
}

/** Values of a key as text (strings as is, DWORDs in decimal); other types are left out. */
async function valuesAsText(s: GuestfishSession, node: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (node === 0) return out;
  const r = await s.exec(['hivex-node-values', String(node)], { tolerate: true });
  if (!r.ok) return out;
  for (const v of parseHivexHandles(r.output)) {
    const [key, type] = await Promise.all([
      s.exec(['hivex-value-key', String(v)], { tolerate: true }).then((x) => (x.ok ? x.output.replace(/\n$/, '') : undefined)),
      valueType(s, v),
    ]);
    if (key === undefined) continue;
    if (type === REG_SZ || type === REG_EXPAND_SZ) {
      const text = await valueString(s, v);
      if (text !== undefined) out[key] = text;
    } else if (type === REG_DWORD) {
      const n = await valueDword(s, v);
      if (n !== undefined) out[key] = String(n);
    }
  }
  return out;
}

/** The real-case guest path of a file, or '' when it does not exist. */
async function realCasePath(s: GuestfishSession, p: string): Promise<string> {
  const r = await s.exec(['case-sensitive-path', p], { tolerate: true });
  if (!r.ok) return '';
  const real = r.output.trim();
  return (await isFile(s, real)) ? real : '';
}

/** Services of the control set whose ImagePath runs guestprep-service*.exe, in registry order. */
async function findGuestprepServices(s: GuestfishSession, services: number): Promise<WindowsServiceInfo[]> {
  if (services === 0) return [];
  const r = await s.exec(['hivex-node-children', String(services)], { tolerate: true });
  if (!r.ok) return [];
  const nodes = parseHivexHandles(r.output);
  // Pipelined over all services (hundreds on a real guest): guestfish answers in order, we wait once per round.
  const imageValues = await Promise.all(nodes.map((n) => valueHandle(s, n, 'ImagePath')));
  const imagePaths = await Promise.all(imageValues.map((v) => valueString(s, v)));
  const found: WindowsServiceInfo[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const imagePath = imagePaths[i];
    if (imagePath === undefined || !isGuestprepImagePath(imagePath)) continue;
    const name = await one(s, 'hivex-node-name', String(nodes[i]));
    const parameters = await valuesAsText(s, await child(s, nodes[i], 'Parameters'));
    found.push({ name, imagePath, parameters });
  }
  return found;
}

/**
 * Windows facts of the inspected root `root` (e.g. /dev/sda2), in a session where `inspect-os` has run.
 * Mounts the guest's filesystems (read-only when asked) if they are not mounted yet, and leaves them mounted.
 */
export async function inspectWindows(s: GuestfishSession, root: string, opts: InspectWindowsOptions): Promise<WindowsFacts> {
  // Pipelined: guestfish runs them in order, we wait once.
  const [osType, product, variant, major, minor, arch, systemRoot, inspectedCcs, drives, mps, mounted] = await Promise.all([
    one(s, 'inspect-get-type', root),
    one(s, 'inspect-get-product-name', root),
    one(s, 'inspect-get-product-variant', root),
    one(s, 'inspect-get-major-version', root),
    one(s, 'inspect-get-minor-version', root),
    one(s, 'inspect-get-arch', root),
    one(s, 'inspect-get-windows-systemroot', root),
    one(s, 'inspect-get-windows-current-control-set', root),
    s.exec(['inspect-get-drive-mappings', root], { tolerate: true }).then((r) => (r.ok ? r.output : '')),
    s.exec(['inspect-get-mountpoints', root], { tolerate: true }).then((r) => (r.ok ? r.output : '')),
    s.exec(['mountpoints'], { tolerate: true }).then((r) => (r.ok ? r.output : '')),
  ]);
  if (osType !== 'windows') {
    fail('GUEST_UNSUPPORTED_OS', `${root} holds ${product || osType || 'an unknown system'}, not Windows.`, 'This is a bug in Guestprep: Windows inspection was asked for a non-Windows guest.');
  }
  if (!systemRoot) {
    fail('GUEST_NO_OS', 'libguestfs found Windows but not its system folder (%SystemRoot%).', 'Pick the system disk of the VM; if it is, the Windows folder may be damaged: let Windows check the disk.');
  }

  // Mount what inspection found (shortest mountpoint first), unless the caller already did.
  const already = new Set(parseHashtable(mounted).map(([device]) => device));
  for (const m of parseMountpoints(mps)) {
    if (already.has(m.device)) continue;
    // Only the system volume must mount; a second volume that fails should not stop inspection.
    await s.exec([opts.readonly ? 'mount-ro' : 'mount', m.device, m.mountpoint], { tolerate: m.device !== root });
  }

  const driveMappings: Record<string, string> = {};
  for (const [letter, device] of parseHashtable(drives)) driveMappings[letter.toUpperCase()] = device;
  const systemDrive = Object.keys(driveMappings).sort().find((letter) => driveMappings[letter] === root) ?? '';

  const [systemHivePath, softwareHivePath, statvfs] = await Promise.all([
    realCasePath(s, `${systemRoot}/System32/config/SYSTEM`),
    realCasePath(s, `${systemRoot}/System32/config/SOFTWARE`),
    s.exec(['statvfs', '/']).then((r) => r.output),
  ]);
  if (!systemHivePath) {
    fail('GUEST_NO_BOOT_HOOK', `This Windows guest has no SYSTEM registry hive under ${systemRoot}/System32/config.`,
      'Guestprep registers its service in that hive. Pick the system disk of the VM, or repair the Windows installation.');
  }

  // Read Select\Current and the services of that control set through hivex, read-only: writing goes
  // through hivexregedit on the host (the guestfish hivex commands cannot write NUL bytes).
  await s.exec(['hivex-open', systemHivePath]);
  let facts: WindowsFacts;
  try {
    const hiveRoot = Number((await s.exec(['hivex-root'])).output.trim()) || 0;
    const selectCurrent = await valueDword(s, await valueHandle(s, await child(s, hiveRoot, 'Select'), 'Current'));
    const { controlSet, note } = chooseControlSet(inspectedCcs, selectCurrent);
    if (!controlSet) {
      fail('GUEST_NO_BOOT_HOOK', 'Neither libguestfs nor SYSTEM\\Select\\Current tells which control set this Windows boots with.',
        'The registry may be damaged: boot the VM once so Windows repairs it, then try again.');
    }
    const ccs = await child(s, hiveRoot, controlSet);
    if (ccs === 0) {
      fail('GUEST_NO_BOOT_HOOK', `The control set this Windows boots with (${controlSet}) is missing from its SYSTEM hive.`,
        'The registry may be damaged: boot the VM once so Windows repairs it, then try again.', { detail: note });
    }
    const services = await findGuestprepServices(s, await child(s, ccs, 'Services'));
    facts = {
      productName: product,
      productVariant: variant === 'unknown' ? '' : variant,
      majorVersion: Number(major) || 0,
      minorVersion: Number(minor) || 0,
      arch,
      systemRoot,
      currentControlSet: controlSet,
      inspectedControlSet: inspectedCcs,
      systemDrive,
      driveMappings,
      systemHivePath,
      softwareHivePath,
      freeBytes: parseStatvfsFree(statvfs),
    };
    if (note) facts.controlSetNote = note;
    if (services.length > 0) facts.existingService = services[0];
  } finally {
    await s.exec(['hivex-close'], { tolerate: true });
  }
  return facts;
}
