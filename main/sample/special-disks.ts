// Disks that only inspection can refuse, for the hostile-input tests: a data disk with no operating system,
// a disk with two Linux roots (multi-boot), a Debian-style encrypted install (/boot plus a LUKS partition),
// a Linux guest whose filesystem is full, a plain Linux guest, a Linux guest whose Guestprep install record
// was tampered with (for `remove`), and a plain Linux guest (for refusals that need a known guest,
// such as a Windows JRE for Linux). They are small, NOT bootable, and built together in ONE appliance
// launch: the builder adds every disk as a drive and partitions, formats and fills them in one session
// (with the engine's KVM -> TCG fallback), where separate virt-make-fs runs would cost a launch each.
//
// Each disk uses a different container format (VMDK, qcow2, VHD, VDI, VHDX), so the tests that refuse
// them also show that a refusal leaves every format byte-identical.
//
// The LUKS header is made on the host by cryptsetup (a dependency of libguestfs itself, so present
// wherever guestfish is): inside the TCG appliance `luks-format` takes tens of seconds (argon2), and
// guestfish reads passphrases from a terminal. The encrypted payload is left unwritten: without the key
// libguestfs never looks inside, which is exactly the situation a user meets.

import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail } from '../engine/errors';
import type { ImageFormat } from '../engine/types';
import { launchAppliance, newLaunchStats } from '../engine/guestfish/launch';
import type { GuestfishSession } from '../engine/guestfish/session';
import { isEnoent, run, type RunResult } from './host-tools';
import { addExtraFiles, sampleGuestTree, writeTar, type SampleTree } from './sample-guest';

export type SpecialDisk = 'data-disk' | 'multi-boot' | 'encrypted-root' | 'full' | 'linux' | 'tampered-record';

export const SPECIAL_DISKS: readonly SpecialDisk[] = ['data-disk', 'multi-boot', 'encrypted-root', 'full', 'linux', 'tampered-record'];

/** Format and size of each disk; the file is `<name>.<extension>`. */
const LAYOUT: Record<SpecialDisk, { format: Exclude<ImageFormat, 'raw'>; ext: string; sizeMb: number }> = {
  'data-disk': { format: 'vmdk', ext: 'vmdk', sizeMb: 32 },
  'multi-boot': { format: 'qcow2', ext: 'qcow2', sizeMb: 96 },
  'encrypted-root': { format: 'vpc', ext: 'vhd', sizeMb: 64 },
  full: { format: 'vdi', ext: 'vdi', sizeMb: 48 },
  linux: { format: 'vhdx', ext: 'vhdx', sizeMb: 64 },
  'tampered-record': { format: 'qcow2', ext: 'qcow2', sizeMb: 64 },
};

/**
 * An install record as someone with the image could change it: service "s", and /etc/shadow and
 * /etc/passwd listed as if the install had made them (whose names contain an "s").
 */
export const TAMPERED_RECORD = {
  tool: 'guestprep', formatVersion: 1, guestprepVersion: '0.1.0', installedAt: '2025-01-01T00:00:00.000Z',
  installDir: '/opt/proactive', serviceName: 's', serviceUser: 'proactive', init: 'systemd',
  rmUrl: 'pnp://rm.example.org:64738', nodeName: 'n', nodeSource: 'Default', jvmOptions: [], hasCredentials: false,
  proactive: { version: '13.0.0', generation: 'modern', archive: 'node.zip', startScript: 'bin/proactive-node' },
  files: ['/opt/proactive', '/opt/proactive/guestprep', '/etc/systemd/system/s.service', '/etc/shadow', '/etc/passwd', '/opt/proactive/guestprep/install.json'],
};

/** The passphrase of the sample LUKS partition (only a test fixture: nothing secret is inside). */
export const SAMPLE_LUKS_PASSPHRASE = 'guestprep-sample';
/** What the full disk keeps free: far below the 32 MiB margin any install needs. */
const FULL_LEAVES_BYTES = 1024 * 1024;
const SECTOR = 512;

export interface SpecialDisksResult {
  paths: Record<SpecialDisk, string>;
  /** Appliance launches the build took (1, plus a failed KVM probe on hosts where KVM is broken). */
  launches: number;
  failedLaunchAttempts: number;
}

async function runTool(cmd: string, args: string[], what: string, install: string): Promise<RunResult> {
  let r: RunResult;
  try {
    r = await run(cmd, args);
  } catch (err) {
    if (isEnoent(err)) fail('INTERNAL', `${cmd} is not installed; it is needed to build ${what}.`, `Install it: ${install}.`);
    throw err;
  }
  if (r.code !== 0) fail('INTERNAL', `${cmd} failed while building ${what}.`, 'See the details.', { detail: r.output.trim() });
  return r;
}

function tree(entries: Record<string, string>): SampleTree {
  const t: SampleTree = new Map();
  addExtraFiles(t, entries);
  return t;
}

/** A Debian /boot partition as an encrypted install has it (placeholders: nothing here can boot). */
const BOOT_FILES: Record<string, string> = {
  '/vmlinuz-6.1.0-18-amd64': 'placeholder kernel of a Guestprep sample disk\n',
  '/initrd.img-6.1.0-18-amd64': 'placeholder initramfs (it would ask for the LUKS passphrase)\n',
  '/config-6.1.0-18-amd64': 'CONFIG_DM_CRYPT=m\n',
  '/grub/grub.cfg': 'menuentry "Debian GNU/Linux" {\n  linux /vmlinuz-6.1.0-18-amd64 root=/dev/mapper/sda2_crypt ro quiet\n  initrd /initrd.img-6.1.0-18-amd64\n}\n',
};

/** Files of a data disk: things people keep on a second disk, and nothing that looks like an OS. */
const DATA_FILES: Record<string, string> = {
  '/backups/README.txt': 'Nightly database dumps. This disk is attached as /srv/data.\n',
  '/backups/db-2024-03-01.sql': '-- sample dump\nCREATE TABLE t (id integer);\n',
  '/projects/notes.md': '# Notes\n',
};

/** A LUKS1 header made by cryptsetup, cut to its payload offset: the bytes to write at the start of the partition. */
async function luksHeader(work: string, partitionBytes: number): Promise<string> {
  const file = path.join(work, 'luks.img');
  const key = path.join(work, 'luks.key');
  await fsp.writeFile(file, '');
  await fsp.truncate(file, partitionBytes);
  await fsp.writeFile(key, SAMPLE_LUKS_PASSPHRASE, { mode: 0o600 });
  const install = 'on Debian/Ubuntu `apt-get install cryptsetup-bin` (libguestfs depends on it)';
  // Few PBKDF2 iterations: the header is a fixture, and a real one would be just as opaque without the key.
  await runTool('cryptsetup', ['luksFormat', '--batch-mode', '--type', 'luks1', '--pbkdf-force-iterations', '1000', '--key-file', key, file],
    'the encrypted sample disk', install);
  const dump = (await runTool('cryptsetup', ['luksDump', file], 'the encrypted sample disk', install)).output;
  const m = /Payload offset:\s*(\d+)/.exec(dump);
  if (!m) fail('INTERNAL', 'cryptsetup luksDump did not show the payload offset.', 'See the details.', { detail: dump });
  await fsp.truncate(file, Number(m[1]) * SECTOR);
  return file;
}

/** Sectors of an MBR partition table split in `parts` (MiB sizes; the last one takes the rest). */
function mbrLayout(sizeMb: number, firstMb: number[]): Array<[number, number]> {
  const total = (sizeMb * 1024 * 1024) / SECTOR;
  const out: Array<[number, number]> = [];
  let start = 2048;
  for (const mb of firstMb) {
    const end = start + (mb * 1024 * 1024) / SECTOR - 1;
    out.push([start, end]);
    start = end + 1;
  }
  out.push([start, total - 2048 - 1]);
  return out;
}

async function partition(s: GuestfishSession, dev: string, layout: Array<[number, number]>): Promise<void> {
  await s.exec(['part-init', dev, 'mbr']);
  for (const [a, b] of layout) await s.exec(['part-add', dev, 'p', String(a), String(b)]);
}

async function fillFs(s: GuestfishSession, dev: string, tarPath: string): Promise<void> {
  await s.exec(['mkfs', 'ext4', dev]);
  await s.exec(['mount', dev, '/']);
  await s.exec(['tar-in', tarPath, '/']);
}

function freeBytes(statvfs: string): number {
  const field = (n: string) => Number(new RegExp(`^${n}: (\\d+)$`, 'm').exec(statvfs)?.[1] ?? NaN);
  return field('frsize') * field('bavail');
}

/**
 * Builds the special disks in `outDir` (all five unless `which` says otherwise) and returns their paths.
 * One appliance launch in all.
 */
export async function buildSpecialDisks(outDir: string, which: readonly SpecialDisk[] = SPECIAL_DISKS): Promise<SpecialDisksResult> {
  await fsp.mkdir(outDir, { recursive: true });
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'guestprep-special-'));
  const stats = newLaunchStats();
  const paths = {} as Record<SpecialDisk, string>;
  try {
    const tars: Record<string, SampleTree> = {
      'data-disk': tree(DATA_FILES),
      boot: tree(BOOT_FILES),
      'root-a': sampleGuestTree('systemd', 'multi-a'),
      'root-b': (() => {
        const t = sampleGuestTree('sysvinit', 'multi-b');
        addExtraFiles(t, { '/etc/fstab': '/dev/sda2 / ext4 defaults 0 1\n' });
        return t;
      })(),
      full: sampleGuestTree('systemd', 'full-disk'),
      linux: sampleGuestTree('systemd', 'plain-linux'),
      'tampered-record': (() => {
        const t = sampleGuestTree('systemd', 'tampered');
        addExtraFiles(t, {
          '/etc/shadow': 'root:*:19800:0:99999:7:::\n',
          '/etc/systemd/system/s.service': '[Service]\nExecStart=/bin/true\n',
          '/opt/proactive/guestprep/install.json': JSON.stringify(TAMPERED_RECORD, null, 2) + '\n',
        });
        return t;
      })(),
    };
    const tarPath = (name: string) => path.join(work, `${name}.tar`);
    await Promise.all(Object.entries(tars).map(([name, t]) => writeTar(t, tarPath(name))));

    for (const d of which) {
      const { format, ext, sizeMb } = LAYOUT[d];
      paths[d] = path.resolve(outDir, `${d}.${ext}`);
      await fsp.rm(paths[d], { force: true });
      await runTool('qemu-img', ['create', '-q', '-f', format, paths[d], `${sizeMb}M`], `the sample disk ${d}`, 'on Debian/Ubuntu `apt-get install qemu-utils`');
    }
    const encryptedLayout = mbrLayout(LAYOUT['encrypted-root'].sizeMb, [16]);
    const luks = which.includes('encrypted-root')
      ? await luksHeader(work, (encryptedLayout[1][1] - encryptedLayout[1][0] + 1) * SECTOR)
      : undefined;

    const s = await launchAppliance({ drives: which.map((d) => ({ path: paths[d], format: LAYOUT[d].format })), readonly: false, stats });
    try {
      for (const [i, d] of which.entries()) {
        const dev = `/dev/sd${String.fromCharCode(97 + i)}`;
        if (d === 'multi-boot') {
          await partition(s, dev, mbrLayout(LAYOUT[d].sizeMb, [46]));
          await fillFs(s, `${dev}1`, tarPath('root-a'));
          await s.exec(['umount', '/']);
          await fillFs(s, `${dev}2`, tarPath('root-b'));
        } else if (d === 'encrypted-root') {
          await partition(s, dev, encryptedLayout);
          await fillFs(s, `${dev}1`, tarPath('boot'));
          await s.exec(['upload', luks!, `${dev}2`]);
        } else {
          await s.exec(['part-disk', dev, 'mbr']);
          await fillFs(s, `${dev}1`, tarPath(d));
          if (d === 'full') {
            const free = freeBytes((await s.exec(['statvfs', '/'])).output);
            await s.exec(['fallocate64', '/var/cache/filler', String(Math.max(0, free - FULL_LEAVES_BYTES))]);
          }
        }
        await s.exec(['umount-all']);
      }
      await s.close();
    } finally {
      s.kill();
      await s.waitExit();
    }
    return { paths, launches: stats.launches, failedLaunchAttempts: stats.failedAttempts };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
