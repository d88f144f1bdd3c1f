// Raw images carry no header of their own, so any file would "be" one. We accept a raw file only
// when its first sectors look like the start of a disk: a partition table or a file system.

/** How many bytes from the start the checks below need (btrfs's superblock is at 64 KiB). */
export const RAW_PROBE_BYTES = 0x10048;

function at(head: Buffer, offset: number, magic: string): boolean {
  return head.length >= offset + magic.length && head.toString('latin1', offset, offset + magic.length) === magic;
}

/** What makes `head` look like a disk (mbr, gpt, ext, ntfs, xfs, btrfs, lvm), or undefined. */
export function rawDiskKind(head: Buffer): string | undefined {
  // GPT first: its protective MBR also ends in 0x55AA. 4096 for disks with 4 KiB sectors.
  if (at(head, 512, 'EFI PART') || at(head, 4096, 'EFI PART')) return 'gpt';
  // NTFS and FAT boot sectors end in 0x55AA too; name the file system when we know it.
  if (at(head, 3, 'NTFS    ')) return 'ntfs';
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) return 'mbr';
  if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) return 'ext';
  if (at(head, 0, 'XFSB')) return 'xfs';
  if (at(head, 0x10040, '_BHRfS_M')) return 'btrfs';
  // LVM physical volume label: "LABELONE" in one of the first four sectors.
  for (let s = 0; s < 4; s++) if (at(head, s * 512, 'LABELONE')) return 'lvm';
  return undefined;
}
