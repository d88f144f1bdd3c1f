// Everything about the image file that must be refused before the (slow) appliance starts, each
// refusal with a message that says what to do instead. What the guest inside contains is
// inspection's business, not ours.

import { promises as fsp } from 'node:fs';
import { fail } from '../errors';
import type { ImageFileInfo } from '../types';
import { readImageHeader } from './header';
import { checkWritable, fsError } from './image-file';
import { checkNamedFiles, type NamedFile } from './named-files';
import { differencingFix, qemuImgInfo } from './qemu-img';
import { virtualBoxUsersOf, type VboxListOptions } from './virtualbox';

const LAYER_KIND: Record<string, string> = {
  qcow2: 'a qcow2 overlay (external snapshot or linked clone)',
  vmdk: 'a VMware snapshot (delta) disk',
  vpc: 'a differencing VHD',
  vhdx: 'a differencing VHDX',
};

/**
 * Checks the image at `file` and returns what its header says. Refuses: missing or dangling
 * paths, non-regular files, unreadable or read-only files (and folders), non-disks, unsupported
 * formats and variants, VirtualBox differencing disks, streamOptimized VMDKs, images with a
 * backing file, missing VMDK extents, and images another process (a running VM) holds open.
 */
export async function precheckImage(file: string, opts: { vbox?: VboxListOptions } = {}): Promise<ImageFileInfo> {
  const info = await readImageHeader(file);
  // Before anything else looks at them (the layer refusal's fix would have the user convert the image,
  // reading its parent): every file the header names must be a regular file in the image's folder.
  const extents = await checkNamedFiles(file, namedFiles(info));
  refuseVariants(info);
  for (const extent of extents) await checkReadable(extent);
  await checkWritable(file);
  for (const extent of extents) await checkWritable(extent);
  await refuseLiveVirtualBoxVm(file, opts.vbox);
  // Last, because it starts a process: the lock check, and QEMU's own opinion of the image. On the real
  // path, as the run opens it: QEMU resolves relative extent names from the folder of the path it is given.
  const q = await qemuImgInfo(file, info.format, await realPath(file));
  if (q.backingFilename !== undefined && info.backingFile === undefined) {
    refuseLayer({ ...info, backingFile: q.backingFilename });
  }
  // The size the guest will see is QEMU's (libguestfs runs QEMU), e.g. CHS rounding of VHDs.
  return { ...info, virtualSize: q.virtualSize };
}

/**
 * VirtualBox takes no QEMU lock on its disks, so QEMU's lock check below cannot see a running VirtualBox
 * VM: its configuration (and VBoxManage, or the VM processes' open files) can. A saved VM is refused
 * too: its saved state describes the disk as it was, and resuming over a changed disk corrupts it.
 */
async function refuseLiveVirtualBoxVm(file: string, vbox?: VboxListOptions): Promise<void> {
  let users;
  try {
    users = await virtualBoxUsersOf(file, vbox);
  } catch {
    // Unreadable VirtualBox settings must not block images that have nothing to do with VirtualBox.
    return;
  }
  const disk = (u: (typeof users)[number]) => (u.disk.path === file ? 'this disk' : `this disk (under its snapshot layer ${u.disk.path})`);
  const running = users.find((u) => u.vm.state === 'running');
  if (running) {
    fail(
      'IMAGE_IN_USE_BY_VM',
      `The VirtualBox VM "${running.vm.name}" uses ${disk(running)} and is running.`,
      `Shut the VM down first (in VirtualBox: Machine > ACPI Shutdown, or \`VBoxManage controlvm "${running.vm.name}" acpipowerbutton\`), then try again.`,
    );
  }
  const held = users.find((u) => /VirtualBox process .* has this disk open/.test(u.disk.reason ?? ''));
  if (held) fail('IMAGE_IN_USE_BY_VM', `${held.disk.reason?.replace(/: shut down.*$/, '')} (VM "${held.vm.name}").`, 'Shut down the VM that uses it, then try again.');
  const saved = users.find((u) => u.vm.state === 'saved');
  if (saved) {
    fail(
      'IMAGE_IN_USE_BY_VM',
      `The VirtualBox VM "${saved.vm.name}" uses ${disk(saved)} and is in a saved state: changing the disk would corrupt that state.`,
      'Start the VM and shut it down properly, or discard its saved state (VBoxManage discardstate), then try again.',
    );
  }
}

function refuseVariants(info: ImageFileInfo): void {
  const file = info.path;
  if (info.format === 'vdi' && (info.vdiParentUuid !== undefined || info.subformat === 'differencing' || info.subformat === 'undo')) {
    fail(
      'IMAGE_DIFFERENCING_VDI',
      `${file} is a snapshot (differencing) disk of a VirtualBox VM` +
        (info.vdiParentUuid !== undefined ? ` (its parent disk has UUID ${info.vdiParentUuid}).` : '.') +
        ' It holds only the changes since the snapshot, so it cannot be prepared on its own.',
      differencingFix(file) +
        ' Preparing the base disk is safe only once the VM has no snapshots left (delete them in VirtualBox, which merges them), ' +
        'because a snapshot stops matching a base disk that changed under it.',
    );
  }
  if (info.format === 'vmdk' && info.subformat === 'streamOptimized') {
    fail(
      'IMAGE_STREAM_OPTIMIZED_VMDK',
      `${file} is a streamOptimized VMDK (compressed, as in OVA exports): it cannot be written in place.`,
      `Convert it to an ordinary VMDK and prepare the copy: qemu-img convert -f vmdk -O vmdk -o subformat=monolithicSparse "${file}" prepared.vmdk ` +
        '(or import the OVA into VirtualBox, which converts its disks, and prepare the imported disk).',
    );
  }
  if (info.backingFile !== undefined) refuseLayer(info);
}

function refuseLayer(info: ImageFileInfo): never {
  const file = info.path;
  const fmt = info.format;
  return fail(
    'IMAGE_HAS_BACKING_FILE',
    `${file} is ${LAYER_KIND[info.format] ?? 'a layer'} on top of ${info.backingFile}. Guestprep would commit its changes into this top ` +
      'layer only, while the guest\'s files are spread over both: the node would vanish as soon as the snapshot is discarded ' +
      'or a VM boots from the base disk, and a base disk shared by several VMs is never updated.',
    `Merge the layers into one full disk first and prepare that: qemu-img convert -f ${fmt} -O ${fmt} "${file}" merged.${info.format === 'vpc' ? 'vhd' : info.format} ` +
      '(or delete the VM\'s snapshots in its hypervisor, or make a full clone instead of a linked one).',
  );
}

/** What the header names: VMDK extents, and the parent of a layered image (when it is a name, not a UUID). */
function namedFiles(info: ImageFileInfo): NamedFile[] {
  const named: NamedFile[] = (info.extentNames ?? []).map((name) => ({ role: 'extent', name }));
  if (info.backingFile !== undefined && !/^\(.*\)$/.test(info.backingFile)) named.push({ role: 'parent', name: info.backingFile });
  return named;
}

async function checkReadable(extent: string): Promise<void> {
  try {
    await (await fsp.open(extent, 'r')).close();
  } catch (err) {
    await fsError(extent, err, 'read');
  }
}

async function realPath(file: string): Promise<string> {
  try {
    return await fsp.realpath(file);
  } catch (err) {
    return fsError(file, err, 'read');
  }
}
