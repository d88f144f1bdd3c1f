// The one table of what Guestprep takes: disk image formats and archive kinds, with their file name
// extensions. The engine words its messages and help from it, the page filters drops and pickers with it,
// and adding a format starts here (the header parser in engine/image/ is the other half).
//
// Extensions only ever word messages and filter pickers: the engine decides a file's format from its
// header, never from its name.

import type { ArchiveKind, ImageFormat } from '../engine/types';

export interface DiskFormat {
  /** The name qemu and guestfish use for it (`--format=`). */
  format: ImageFormat;
  /** What a user calls it. */
  label: string;
  /** File name extensions, lower case with the dot, the usual one first. */
  extensions: readonly string[];
  /** VirtualBox's name of the format in its media registry (VirtualBox.xml), when VirtualBox can use it. */
  virtualbox?: string;
}

export const DISK_FORMATS: readonly DiskFormat[] = [
  { format: 'vdi', label: 'VirtualBox VDI', extensions: ['.vdi'], virtualbox: 'vdi' },
  { format: 'vmdk', label: 'VMware VMDK', extensions: ['.vmdk'], virtualbox: 'vmdk' },
  { format: 'vpc', label: 'VHD', extensions: ['.vhd'], virtualbox: 'vhd' },
  { format: 'vhdx', label: 'VHDX', extensions: ['.vhdx'], virtualbox: 'vhdx' },
  { format: 'qcow2', label: 'qcow2', extensions: ['.qcow2'], virtualbox: 'qcow2' },
  { format: 'raw', label: 'raw disk', extensions: ['.img', '.raw'], virtualbox: 'raw' },
];

export interface ArchiveKindInfo {
  kind: ArchiveKind;
  extensions: readonly string[];
}

export const ARCHIVE_KINDS: readonly ArchiveKindInfo[] = [
  { kind: 'tar.gz', extensions: ['.tar.gz', '.tgz'] },
  { kind: 'tar.xz', extensions: ['.tar.xz', '.txz'] },
  { kind: 'tar', extensions: ['.tar'] },
  { kind: 'zip', extensions: ['.zip'] },
];

export const DISK_EXTENSIONS: readonly string[] = DISK_FORMATS.flatMap((f) => f.extensions);
export const ARCHIVE_EXTENSIONS: readonly string[] = ARCHIVE_KINDS.flatMap((k) => k.extensions);

/** "a, b, c or d" */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** ".vdi, .vmdk, .vhd, .vhdx, .qcow2 or a raw .img": for messages that tell the user what to choose. */
export const DISK_FILES_TEXT = orList(DISK_FORMATS.map((f) => (f.format === 'raw' ? `a raw ${f.extensions[0]}` : f.extensions[0]!)));

/** ".tar.gz / .tgz, .tar.xz, .tar or .zip": the archive kinds, the usual extension first. */
export const ARCHIVE_FILES_TEXT = orList(ARCHIVE_KINDS.map((k) => (k.kind === 'tar.xz' ? k.extensions[0]! : k.extensions.join(' / '))));

/** Whether Guestprep opens disks of a format as VirtualBox's registry names it (vdi, vmdk, vhd...). */
export function takesVirtualBoxFormat(name: string): boolean {
  return DISK_FORMATS.some((f) => f.virtualbox === name.toLowerCase());
}

export function hasExtension(name: string, exts: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return exts.some((e) => lower.endsWith(e));
}

export interface Partitioned<T> {
  accepted: T[];
  refused: Array<{ name: string; reason: string }>;
}

/** Splits files into accepted and refused by name, keeping the order the user gave (the first accepted is selected). */
export function partitionByExtension<T extends { name: string }>(files: readonly T[], exts: readonly string[], what: string): Partitioned<T> {
  const out: Partitioned<T> = { accepted: [], refused: [] };
  for (const f of files) {
    if (hasExtension(f.name, exts)) out.accepted.push(f);
    else {
      const dot = f.name.lastIndexOf('.');
      const ext = dot > 0 ? f.name.slice(dot) : '(no extension)';
      out.refused.push({ name: f.name, reason: `${ext} is not ${what} (accepted: ${exts.join(', ')})` });
    }
  }
  return out;
}
