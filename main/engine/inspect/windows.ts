// Inspection of a Windows guest inside an already launched appliance (after `inspect-os` found its root):
// the facts libguestfs inspection gives, cross-checked and completed from the registry with the guestfish
// hivex commands, so a Windows run costs no extra appliance launch.
//
// Why the cross-check: offline there is no CurrentControlSet; the control set that boots is the one
// SYSTEM\Select\Current names. Inspection reports it too, but a plan that writes a service into the wrong
// control set silently does nothing, so we read Select ourselves and trust it when the two disagree.

import { fail } from '../errors';
import type { GuestfishSession } from '../guestfish/session';
import type { WindowsFacts, WindowsServiceInfo } from '../types';
import { parseMountpoints, parseStatvfsFree } from './guest';
import { systemHiveFacts, type QuickWindowsFacts } from './quick-windows';
import { one, realFile } from './queries';
import { child, controlSetName, nodeValues, parseHashtable, parseHivexHandles, REG_DWORD, REG_EXPAND_SZ, REG_SZ, valueDword, valueHandle, valueKey, valueString, valueType } from './hivex';

export { controlSetName } from './hivex';

export interface InspectWindowsOptions {
  /** Mount read-only (inspection) or read-write (a run writing into its overlay). */
  readonly: boolean;
  /** The quick inspection's facts (quick-windows.ts): no inspect-get-* then, the SYSTEM hive read here. */
  quick?: QuickWindowsFacts;
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

/** Values of a key as text (strings as is, DWORDs in decimal); other types are left out. */
async function valuesAsText(s: GuestfishSession, node: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (node === 0) return out;
  for (const v of await nodeValues(s, node)) {
    const [key, type] = await Promise.all([valueKey(s, v), valueType(s, v)]);
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

/** What either inspection says about a Windows root before its SYSTEM hive is read. */
interface WindowsBasics {
  product: string;
  variant: string;
  major: number;
  minor: number;
  arch: string;
  systemRoot: string;
  /** From inspect-get-*: the control set and drive letters libguestfs read (the quick path reads them below). */
  inspected?: { controlSet: string; driveMappings: Record<string, string> };
  mountpoints: Array<{ mountpoint: string; device: string }>;
}

/** The facts of `inspect-os`'s root, asked in one pipelined round. */
async function libguestfsBasics(s: GuestfishSession, root: string): Promise<WindowsBasics> {
  const [osType, product, variant, major, minor, arch, systemRoot, inspectedCcs, drives, mps] = await Promise.all([
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
  ]);
  if (osType !== 'windows') {
    fail('GUEST_UNSUPPORTED_OS', `${root} holds ${product || osType || 'an unknown system'}, not Windows.`, 'This is a bug in Guestprep: Windows inspection was asked for a non-Windows guest.');
  }
  const driveMappings: Record<string, string> = {};
  for (const [letter, device] of parseHashtable(drives)) driveMappings[letter.toUpperCase()] = device;
  return {
    product,
    variant: variant === 'unknown' ? '' : variant,
    major: Number(major) || 0,
    minor: Number(minor) || 0,
    arch,
    systemRoot,
    inspected: { controlSet: inspectedCcs, driveMappings },
    mountpoints: parseMountpoints(mps),
  };
}

/** Windows facts plus the hostname, which the quick path reads with the rest of the SYSTEM hive. */
export interface WindowsInspection extends WindowsFacts {
  /** Services\Tcpip\Parameters\Hostname of the current control set, when the quick path read it. */
  hostname?: string;
}

/**
 * Windows facts of the inspected root `root` (e.g. /dev/sda2): after `inspect-os` found it, or with the
 * quick inspection's facts (quick-windows.ts). Mounts the guest's filesystems (read-only when asked) if
 * they are not mounted yet, and leaves them mounted.
 */
export async function inspectWindows(s: GuestfishSession, root: string, opts: InspectWindowsOptions): Promise<WindowsInspection> {
  const q = opts.quick;
  const basics: WindowsBasics = q
    ? { product: q.productName, variant: q.productVariant, major: q.majorVersion, minor: q.minorVersion, arch: q.arch, systemRoot: q.systemRoot, mountpoints: [{ mountpoint: '/', device: root }] }
    : await libguestfsBasics(s, root);
  const { systemRoot } = basics;
  if (!systemRoot) {
    fail('GUEST_NO_OS', 'libguestfs found Windows but not its system folder (%SystemRoot%).', 'Pick the system disk of the VM; if it is, the Windows folder may be damaged: let Windows check the disk.');
  }

  // Mount what inspection found (shortest mountpoint first), unless the caller already did.
  const mounted = await s.exec(['mountpoints'], { tolerate: true }).then((r) => (r.ok ? r.output : ''));
  const already = new Set(parseHashtable(mounted).map(([device]) => device));
  for (const m of basics.mountpoints) {
    if (already.has(m.device)) continue;
    // Only the system volume must mount; a second volume that fails should not stop inspection.
    await s.exec([opts.readonly ? 'mount-ro' : 'mount', m.device, m.mountpoint], { tolerate: m.device !== root });
  }

  // The quick path has found both hives already.
  const [systemHivePath, softwareHivePath, statvfs] = await Promise.all([
    q ? q.systemHivePath : realFile(s, `${systemRoot}/System32/config/SYSTEM`),
    q ? q.softwareHivePath : realFile(s, `${systemRoot}/System32/config/SOFTWARE`),
    s.exec(['statvfs', '/']).then((r) => r.output),
  ]);
  if (!systemHivePath) {
    fail('GUEST_NO_BOOT_HOOK', `This Windows guest has no SYSTEM registry hive under ${systemRoot}/System32/config.`,
      'Guestprep registers its service in that hive. Pick the system disk of the VM, or repair the Windows installation.');
  }

  // Read Select\Current and the services of that control set through hivex, read-only: writing goes
  // through hivexregedit on the host (the guestfish hivex commands cannot write NUL bytes).
  await s.exec(['hivex-open', systemHivePath]);
  let facts: WindowsInspection;
  try {
    const hiveRoot = Number((await s.exec(['hivex-root'])).output.trim()) || 0;
    // The quick path reads here what inspect-os read from this hive: one opening of it per run.
    const selectCurrent = await valueDword(s, await valueHandle(s, await child(s, hiveRoot, 'Select'), 'Current'));
    const sys = q ? await systemHiveFacts(s, hiveRoot, root, selectCurrent) : undefined;
    const inspected = basics.inspected ?? { controlSet: sys?.controlSet ?? '', driveMappings: sys?.driveMappings ?? {} };
    const { driveMappings } = inspected;
    const systemDrive = Object.keys(driveMappings).sort().find((letter) => driveMappings[letter] === root) ?? '';
    const { controlSet, note } = chooseControlSet(inspected.controlSet, selectCurrent);
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
      productName: basics.product,
      productVariant: basics.variant,
      majorVersion: basics.major,
      minorVersion: basics.minor,
      arch: basics.arch,
      systemRoot,
      currentControlSet: controlSet,
      inspectedControlSet: inspected.controlSet,
      systemDrive,
      driveMappings,
      systemHivePath,
      softwareHivePath,
      freeBytes: parseStatvfsFree(statvfs),
    };
    if (note) facts.controlSetNote = note;
    if (services.length > 0) facts.existingService = services[0];
    if (sys) facts.hostname = sys.hostname;
  } finally {
    await s.exec(['hivex-close'], { tolerate: true });
  }
  return facts;
}
