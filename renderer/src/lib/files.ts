// Which dropped/selected files we accept, decided by name only: the page cannot (and should not) read
// disk images; the backend checks the real header when it inspects.

export const IMAGE_EXTENSIONS = ['.vdi', '.vmdk', '.vhd', '.vhdx', '.qcow2', '.img', '.raw'] as const;
export const ARCHIVE_EXTENSIONS = ['.tar.gz', '.tgz', '.tar.xz', '.txz', '.tar', '.zip'] as const;

export function hasExtension(name: string, exts: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return exts.some((e) => lower.endsWith(e));
}

export interface Partitioned<T> {
  accepted: T[];
  refused: Array<{ name: string; reason: string }>;
}

/** Splits files into accepted and refused, keeping the order the user gave (the first accepted is selected). */
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
