// Files people pick by mistake instead of a VM disk, and disk formats Guestprep does not handle.
// Recognising them lets the error say what the file is and what to choose or run instead.

import { DISK_FILES_TEXT } from '../../rules/formats';
import * as path from 'node:path';
import { fail } from '../errors';

function at(head: Buffer, offset: number, magic: string | number[]): boolean {
  const m = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic);
  return head.length >= offset + m.length && head.subarray(offset, offset + m.length).equals(m);
}

const CHOOSE = `Choose the virtual disk file of the VM (${DISK_FILES_TEXT}).`;

/** Throws IMAGE_NOT_A_DISK or IMAGE_FORMAT_UNSUPPORTED when `head` is one of the known look-alikes. */
export function refuseKnownNonDisks(file: string, head: Buffer): void {
  const notDisk = (what: string, fix: string): never => fail('IMAGE_NOT_A_DISK', `${file} is ${what}, not a virtual disk image.`, fix);
  const unsupported = (what: string, fix: string): never => fail('IMAGE_FORMAT_UNSUPPORTED', `${file} is ${what}, which Guestprep cannot prepare.`, fix);

  if (at(head, 0, [0x1f, 0x8b])) notDisk('compressed with gzip', `Decompress it first (gunzip -k "${file}") and choose the result.`);
  if (at(head, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) notDisk('compressed with xz', `Decompress it first (xz -dk "${file}") and choose the result.`);
  if (at(head, 0, [0x28, 0xb5, 0x2f, 0xfd])) notDisk('compressed with zstd', `Decompress it first (zstd -d "${file}") and choose the result.`);
  if (at(head, 0, 'BZh') && head.length > 3 && head[3] >= 0x31 && head[3] <= 0x39) {
    notDisk('compressed with bzip2', `Decompress it first (bunzip2 -k "${file}") and choose the result.`);
  }
  if (at(head, 0, 'PK\x03\x04')) notDisk('a ZIP archive', `Extract the disk image from it (unzip "${file}") and choose that file.`);
  if (at(head, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) notDisk('a 7-Zip archive', `Extract the disk image from it (7z x "${file}") and choose that file.`);
  if (at(head, 257, 'ustar')) {
    if (path.extname(file).toLowerCase() === '.ova') {
      notDisk(
        'an OVA appliance (a tar archive holding the VM description and its disks)',
        'Import it into VirtualBox and prepare the VM\'s disk, or extract it (tar -xf FILE.ova) and convert the .vmdk inside ' +
          '(OVA disks are streamOptimized): qemu-img convert -O vmdk -o subformat=monolithicSparse disk1.vmdk disk.vmdk.',
      );
    }
    notDisk('a tar archive', `Extract the disk image from it (tar -xf "${file}") and choose that file.`);
  }

  const text = head.toString('latin1', 0, Math.min(head.length, 0x10000));
  if (/^\s*(<\?xml|<VirtualBox)/.test(text)) {
    if (text.includes('<VirtualBox')) {
      const disks = [...text.matchAll(/<HardDisk\b[^>]*\blocation="([^"]+)"/g)].map((m) => m[1]);
      notDisk(
        'a VirtualBox VM settings file (.vbox)',
        disks.length > 0 ? `Choose one of the disks it uses: ${disks.join(', ')} (relative paths are inside the VM's folder).` : CHOOSE,
      );
    }
    if (/<Envelope\b/.test(text)) notDisk('an OVF descriptor', 'Choose the disk file it lists (the .vmdk next to it); OVF disks are usually streamOptimized and need converting.');
    notDisk('an XML file', CHOOSE);
  }
  if (/^\s*(\.encoding|config\.version|virtualHW\.version)\s*=/m.test(text.slice(0, 4096)) && !text.includes('\u0000')) {
    const disks = [...text.matchAll(/^\s*[a-z]+\d+:\d+\.fileName\s*=\s*"([^"]+\.vmdk)"/gim)].map((m) => m[1]);
    notDisk('a VMware VM settings file (.vmx)', disks.length > 0 ? `Choose one of the disks it uses: ${disks.join(', ')}.` : CHOOSE);
  }
  if (at(head, 0x8001, 'CD001')) {
    notDisk('a CD/DVD image (ISO 9660)', 'Guestprep prepares an installed system\'s hard disk. Install the guest from this ISO first, then choose the VM\'s disk.');
  }

  if (at(head, 0, 'QED\x00')) unsupported('a QED image', `Convert it to qcow2: qemu-img convert -f qed -O qcow2 "${file}" disk.qcow2`);
  if (at(head, 0, 'COWD')) unsupported('an old VMware (version 3, COWD) sparse disk', `Convert it: qemu-img convert -f vmdk -O vmdk -o subformat=monolithicSparse "${file}" disk.vmdk`);
  if (at(head, 0, 'WithoutFreeSpace') || at(head, 0, 'WithouFreSpacExt')) {
    unsupported('a Parallels disk image', `Convert it to qcow2: qemu-img convert -f parallels -O qcow2 "${file}" disk.qcow2`);
  }
  if (at(head, 0, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])) {
    unsupported('a LUKS-encrypted volume', 'Guestprep cannot open encrypted disks. Prepare an unencrypted disk image of the VM instead.');
  }
}
