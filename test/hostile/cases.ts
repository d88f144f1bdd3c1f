// The hostile-input table: every broken or hostile input a user (or an attacker handing them files) can
// give `guestprep prepare`, each with the refusal it must end in. One row per case and per character, so a
// regression names exactly what got through. Two test files run it: the rows refused on the host
// (hostile-input.test.ts, fast) and the rows only inspection can refuse (hostile-input.int.test.ts, one
// appliance launch each).

import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { chmodSync, closeSync, constants, mkdirSync, openSync, symlinkSync, truncateSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeHostileArchive, makeSampleProactive, writeArchive, type HostileCase, type SampleEntry } from '../../main/sample/archives';
import type { SettingsInput } from '../../main/engine/types';
import type { CallName } from '../../main/contract/contract';
import type { Fixtures, HostileRow, RowInput } from './harness';
import type { SpecialDisk } from '../../main/sample/special-disks';

function qemuImg(args: string[]): void {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${r.stderr}`);
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

/**
 * A reader blocked in open() on a FIFO would keep the test process alive forever after a timeout; opening
 * the write side (non-blocking: it fails harmlessly when nobody reads) releases it.
 */
function releaseFifo(path: string): () => void {
  return () => {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      /* nobody was waiting */
    }
  };
}

// ------------------------------------------------------------------------------------------ the image

/** A row whose image is made by `make` in the row's folder; the archives and settings are valid. */
function imageRow(kase: string, name: string, expect: HostileRow['expect'], make: (dir: string, fx: Fixtures) => string | Promise<string>,
  extra: (image: string) => Partial<RowInput> = () => ({})): HostileRow {
  return {
    kase, name, appliance: false, expect,
    build: async (fx) => {
      const image = await make(fx.dir(kase), fx);
      return { image, request: await fx.request(image), ...extra(image) };
    },
  };
}

const imageRows: HostileRow[] = [
  imageRow('not-a-disk', 'an HTML error page saved as disk.vdi is not a disk image',
    { code: 'IMAGE_NOT_A_DISK', message: /is not a disk image: it has no VDI, VMDK, VHD, VHDX or qcow2 header/, fix: /Choose the virtual disk file of the VM/ },
    (dir) => {
      const f = join(dir, 'disk.vdi');
      writeFileSync(f, '<html><head><title>404 Not Found</title></head><body>The requested URL was not found.</body></html>\n');
      return f;
    }),
  imageRow('truncated-vdi', 'a VDI cut short (an interrupted copy) is refused as incomplete',
    { code: 'IMAGE_UNREADABLE', message: /is incomplete: its VDI header says the allocated data reaches byte \d+, but the file has only \d+ bytes/, fix: /cut short.*Copy it again.*qemu-img check -f vdi/ },
    (dir) => {
      const raw = join(dir, 'disk.raw');
      const f = join(dir, 'disk.vdi');
      // 8 MiB of data allocate 8 VDI blocks, so the header promises data that the cut removes.
      writeFileSync(raw, randomFillSync(Buffer.alloc(8 * 1024 * 1024)));
      truncateSync(raw, 64 * 1024 * 1024);
      qemuImg(['convert', '-q', '-f', 'raw', '-O', 'vdi', raw, f]);
      truncateSync(f, Math.floor(statSync(f).size * 0.6));
      return f;
    }),
  imageRow('zero-byte', 'a zero-byte file is not a disk image',
    { code: 'IMAGE_NOT_A_DISK', message: /is empty \(0 bytes\)/, fix: /actual disk file|copy it again/ },
    (dir) => {
      const f = join(dir, 'disk.vdi');
      writeFileSync(f, '');
      return f;
    }),
  imageRow('blank-raw', 'a blank raw disk (all zeros) is refused before any launch: nothing to inspect',
    { code: 'IMAGE_NOT_A_DISK', message: /neither a partition table \(MBR or GPT\) nor a file system/, fix: /cannot find an operating system/ },
    (dir) => {
      const f = join(dir, 'disk.img');
      writeFileSync(f, '');
      truncateSync(f, 64 * 1024 * 1024);
      return f;
    }),
  imageRow('read-only', 'an image on a read-only file (mode 0444)',
    { code: 'IMAGE_READ_ONLY', message: /marked read-only|permission denied/, fix: /chmod u\+w/ },
    (dir, fx) => {
      const f = fx.blankVdi(dir);
      chmodSync(f, 0o444);
      return f;
    }),
  imageRow('directory', 'a directory (the VM folder) instead of its disk, which the fix names',
    { code: 'IMAGE_NOT_A_DISK', message: /is a folder, not a disk image file/, fix: /Choose the virtual disk file inside it: .*lab-vm\.vdi/ },
    (dir, fx) => {
      const vm = join(dir, 'lab-vm');
      mkdirSync(vm);
      fx.blankVdi(vm, 'lab-vm.vdi');
      writeFileSync(join(vm, 'lab-vm.vbox'), '<?xml version="1.0"?>\n<VirtualBox/>\n');
      return vm;
    }),
  imageRow('dangling-symlink', 'a symlink to a missing file names the missing target',
    { code: 'IMAGE_NOT_FOUND', message: /is a symbolic link to .*moved-away\.vdi, which does not exist/, fix: /fix the link/ },
    (dir) => {
      const link = join(dir, 'disk.vdi');
      symlinkSync(join(dir, 'moved-away.vdi'), link);
      return link;
    }),
  imageRow('image-fifo', 'a named pipe given as the image is refused without waiting on it',
    { code: 'IMAGE_NOT_A_DISK', message: /is a named pipe, not a disk image file/, fix: /virtual disk file/ },
    (dir) => {
      const f = join(dir, 'disk.vdi');
      mkfifo(f);
      return f;
    },
    (f) => ({ cleanup: releaseFifo(f) })),
];

// ------------------------------------------------------------ files an image header names (VMDK extents, parents)

/** 8 MiB of someone else's data, in a folder next to the row's VM folder. */
function victimFile(dir: string, name = 'victim.vmdk'): string {
  const other = join(dir, 'some other place');
  mkdirSync(other, { recursive: true });
  const f = join(other, name);
  writeFileSync(f, Buffer.alloc(8 * 1024 * 1024, 0x42));
  return f;
}

/** A monolithicFlat descriptor `disk.vmdk` in `dir`/vm whose one FLAT extent is named `extent`. */
function flatDescriptor(dir: string, extent: string): string {
  const vm = join(dir, 'vm');
  mkdirSync(vm, { recursive: true });
  const f = join(vm, 'disk.vmdk');
  writeFileSync(f, '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\n' +
    `# Extent description\nRW 16384 FLAT "${extent}" 0\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = "ide"\n`);
  return f;
}

const EXTENT_FIX = /Keep the extent files in the same folder as the descriptor/;

/** A row whose descriptor names a victim file outside its folder; the victim must stay byte-identical. */
function extentRow(kase: string, name: string, message: RegExp, make: (dir: string) => { image: string; victims: string[] },
  fix: RegExp = EXTENT_FIX): HostileRow {
  return {
    kase, name, appliance: false, expect: { code: 'IMAGE_EXTENT_OUTSIDE', message, fix },
    build: async (fx) => {
      const { image, victims } = make(fx.dir(kase));
      return { image, victims, request: await fx.request(image) };
    },
  };
}

function readable(f: string): boolean {
  try {
    closeSync(openSync(f, 'r'));
    return true;
  } catch {
    return false;
  }
}

const namedFileRows: HostileRow[] = [
  extentRow('vmdk-extent-absolute', 'a VMDK descriptor whose extent is an absolute path to a file in another folder',
    /disk\.vmdk names ".*some other place\/victim\.vmdk" as a data file \(extent\), which is outside the image's folder/,
    (dir) => {
      const v = victimFile(dir);
      return { image: flatDescriptor(dir, v), victims: [v] };
    }),
  extentRow('vmdk-extent-dotdot', 'a VMDK descriptor whose extent climbs out of its folder with ../',
    /names "\.\.\/some other place\/victim\.vmdk" as a data file \(extent\), which resolves .* outside the image's folder/,
    (dir) => {
      const v = victimFile(dir);
      return { image: flatDescriptor(dir, '../some other place/victim.vmdk'), victims: [v] };
    }),
  extentRow('vmdk-extent-symlink-out', 'a VMDK extent that is a symlink in the folder pointing outside it',
    /names "disk-flat\.vmdk" as a data file \(extent\), which resolves \(through symbolic links or "\.\."\) to .*victim\.vmdk, outside/,
    (dir) => {
      const v = victimFile(dir);
      const image = flatDescriptor(dir, 'disk-flat.vmdk');
      symlinkSync(v, join(dir, 'vm', 'disk-flat.vmdk'));
      return { image, victims: [v] };
    }),
  extentRow('vmdk-extent-etc-shadow', 'a VMDK descriptor with a FLAT "/etc/shadow" extent',
    /names "\/etc\/shadow" as a data file \(extent\), which is outside the image's folder/,
    (dir) => ({ image: flatDescriptor(dir, '/etc/shadow'), victims: readable('/etc/shadow') ? ['/etc/shadow'] : [] })),
  extentRow('vmdk-extent-device', 'a VMDK extent that is a device (/dev/null, through a symlink in the folder)',
    /names "disk-flat\.vmdk" as a data file \(extent\), which resolves .* to \/dev\/null, outside/,
    (dir) => {
      const image = flatDescriptor(dir, 'disk-flat.vmdk');
      symlinkSync('/dev/null', join(dir, 'vm', 'disk-flat.vmdk'));
      return { image, victims: [] };
    }),
  {
    kase: 'vmdk-extent-fifo', name: 'a VMDK extent that is a named pipe in the folder is refused without waiting on it', appliance: false,
    expect: { code: 'IMAGE_EXTENT_OUTSIDE', message: /names "disk-flat\.vmdk" as a data file \(extent\), which is a named pipe, not a regular file/, fix: EXTENT_FIX },
    build: async (fx) => {
      const dir = fx.dir('vmdk-extent-fifo');
      const image = flatDescriptor(dir, 'disk-flat.vmdk');
      const fifo = join(dir, 'vm', 'disk-flat.vmdk');
      mkfifo(fifo);
      return { image, request: await fx.request(image), cleanup: releaseFifo(fifo) };
    },
  },
  extentRow('vmdk-embedded-extent', 'a sparse VMDK of capacity 0 whose embedded descriptor names a file outside (QEMU follows it)',
    /disk\.vmdk names ".*victim\.vmdk" as a data file \(extent\), which is outside/,
    (dir) => {
      const v = victimFile(dir);
      mkdirSync(join(dir, 'vm'));
      const image = join(dir, 'vm', 'disk.vmdk');
      qemuImg(['create', '-q', '-f', 'vmdk', image, '8M']);
      // Sparse header: capacity (offset 12) 0; the embedded descriptor (sector 1) names the victim.
      const text = `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 16384 FLAT "${v}" 0\n`;
      const fd = openSync(image, 'r+');
      try {
        writeSync(fd, Buffer.alloc(8), 0, 8, 12);
        const b = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(512)]);
        writeSync(fd, b, 0, b.length, 512);
      } finally {
        closeSync(fd);
      }
      return { image, victims: [v] };
    }),
  extentRow('qcow2-backing-outside', 'a qcow2 whose backing file is a file in another folder: refused without suggesting to merge it blindly',
    /disk\.qcow2 names ".*victim\.vmdk" as its parent \(backing\) disk, which is outside the image's folder/,
    (dir) => {
      const v = victimFile(dir);
      mkdirSync(join(dir, 'vm'));
      const image = join(dir, 'vm', 'disk.qcow2');
      qemuImg(['create', '-q', '-f', 'qcow2', '-u', '-b', v, '-F', 'raw', image, '8M']);
      return { image, victims: [v] };
    },
    /Otherwise do not merge or convert it/),
];

// ------------------------------------------------------------------------------ guests (appliance rows)

function guestRow(kase: string, name: string, disk: SpecialDisk,
  expect: HostileRow['expect'], windowsJre = false, operation: RowInput['operation'] = 'prepare'): HostileRow {
  return {
    kase, name, appliance: true, expect,
    build: async (fx) => {
      if (!fx.special) throw new Error('this row needs the special disks (hostile-input.int.test.ts)');
      const image = (await fx.special())[disk];
      return { image, operation, request: await fx.request(image, windowsJre ? { jre: await fx.windowsJre() } : {}) };
    },
  };
}

const guestRows: HostileRow[] = [
  guestRow('no-os', 'an image with no OS (a data disk) is refused after inspection', 'data-disk',
    { code: 'GUEST_NO_OS', message: /No operating system was found on this disk \(it holds \/dev\/sda1 ext4\)/, fix: /system disk of the VM.*not a data disk/ }),
  guestRow('multi-boot', 'a multi-boot image (two Linux roots) names both systems', 'multi-boot',
    { code: 'GUEST_MULTI_BOOT', message: /holds 2 operating systems \(\/dev\/sda1: .*multi-a; \/dev\/sda2: .*multi-b\)/, fix: /single operating system/ }),
  guestRow('encrypted-root', 'an encrypted root (/boot plus a LUKS partition) says it cannot be unlocked offline', 'encrypted-root',
    { code: 'GUEST_ENCRYPTED', message: /encrypted volume \(\/dev\/sda2: LUKS\)/, fix: /Decrypt the disk inside the VM.*or install the ProActive node from inside/ }),
  guestRow('disk-full', 'a guest whose disk is full is refused before any write', 'full',
    { code: 'GUEST_NO_SPACE', message: /The guest has [\d.]+ [KMG]iB free on \/, and the install needs about [\d.]+ MiB/, fix: /Free at least [\d.]+ [KMG]iB.*Nothing was written/ }),
  guestRow('windows-jre-linux-guest', 'a Windows JRE for a Linux guest', 'linux',
    { code: 'JRE_WRONG_OS', message: /built for Windows, but the guest runs Linux/, fix: /Pick the Linux build of the Java runtime/ }, true),
  // A node distribution for Windows only is a fine archive: it is refused for a Linux guest once the guest is known.
  {
    kase: 'proactive-windows-only', name: 'a ProActive archive with only the Windows start script, for a Linux guest', appliance: true,
    expect: { code: 'PROACTIVE_NOT_FOUND', message: /is the ProActive node distribution for Windows: it has bin\\proactive-node\.bat but not bin\/proactive-node, the start script the node needs in this Linux guest/, fix: /Pick the Linux node distribution \(e\.g\. activeeon_enterprise-node-linux-x64-/ },
    build: async (fx) => {
      if (!fx.special) throw new Error('this row needs the special disks (hostile-input.int.test.ts)');
      const image = (await fx.special()).linux;
      const proactive = await proactiveArchive(fx.dir('proactive-windows-only'), [{ path: 'bin', type: 'directory' }, { path: 'bin/proactive-node.bat', content: '@echo off\r\n' }]);
      return { image, request: await fx.request(image, { proactive }) };
    },
  },
  // remove: a record changed to list /etc/shadow for the service "s" is refused whole; the image stays as it was.
  guestRow('record-tampered', 'remove refuses an install record that lists /etc/shadow and /etc/passwd for the service "s"', 'tampered-record',
    { code: 'GUEST_NOT_PREPARED', message: /install\.json is damaged or was not written by Guestprep: it lists "\/etc\/shadow" \(in files\), which is not a path Guestprep creates for the service s.*nothing was removed/, fix: /Remove or change the node by hand/ },
    false, 'remove'),
];

// ------------------------------------------------------------------------------------------ archives

const UNSAFE_FIX = /Download the archive again from its official site/;

/** A row whose JRE (or ProActive) archive is made by `make`; the image is a valid blank VDI. */
function archiveRow(kase: string, name: string, role: 'jre' | 'proactive', expect: HostileRow['expect'],
  make: (dir: string, fx: Fixtures) => Promise<string>, fifo = false): HostileRow {
  return {
    kase, name, appliance: false, expect,
    build: async (fx) => {
      const dir = fx.dir(kase);
      const archive = await make(dir, fx);
      const image = fx.blankVdi(dir);
      return { image, request: await fx.request(image, { [role]: archive }), ...(fifo ? { cleanup: releaseFifo(archive) } : {}) };
    },
  };
}

function hostileJre(kase: string, name: string, which: HostileCase, message: RegExp, code: HostileRow['expect']['code'] = 'ARCHIVE_UNSAFE_ENTRY',
  fix: RegExp = UNSAFE_FIX): HostileRow {
  return archiveRow(kase, name, 'jre', { code, message, fix }, (dir) => makeHostileArchive(dir, which));
}

const PA_TOP = 'activeeon_enterprise-node-linux-x64-13.0.0';

/** The smallest ProActive-shaped archive: the top folder plus `entries` (paths relative to it). */
async function proactiveArchive(dir: string, entries: SampleEntry[]): Promise<string> {
  const file = join(dir, `${PA_TOP}.zip`);
  await writeArchive(file, 'zip', [{ path: PA_TOP, type: 'directory' }, ...entries.map((e) => ({ ...e, path: `${PA_TOP}/${e.path}` }))]);
  return file;
}

const START = { path: 'bin/proactive-node', mode: 0o755, content: '#!/bin/sh\nexec java -cp "lib/*" RMNodeStarter "$@"\n' };

const archiveRows: HostileRow[] = [
  archiveRow('jre-not-a-jre', 'a JRE archive that is not a JRE (a zip of documents)', 'jre',
    { code: 'JRE_NOT_FOUND', message: /contains no bin\/java: it is not a Java runtime/, fix: /Pick the archive of a Java runtime \(it contains bin\/java\)/ },
    async (dir) => {
      const f = join(dir, 'OpenJDK17U-jre_x64_linux.zip');
      await writeArchive(f, 'zip', [{ path: 'docs', type: 'directory' }, { path: 'docs/README.txt', content: 'Release notes\n' }]);
      return f;
    }),
  archiveRow('jre-is-proactive', 'the ProActive archive given as the JRE: the fix says to swap them', 'jre',
    { code: 'JRE_NOT_FOUND', message: /is a ProActive node distribution, not a Java runtime/, fix: /give this archive as the ProActive node distribution/ },
    (dir) => makeSampleProactive(dir, { generation: 'modern', kind: 'zip' })),
  hostileJre('corrupt-targz', 'a corrupt .tar.gz (cut like an interrupted download)', 'corrupt-gz',
    /hostile-corrupt-gz\.tar\.gz is damaged or incomplete: its gzip data ends early or is damaged/, 'ARCHIVE_CORRUPT', /Download the archive again.*checksum/),
  hostileJre('zip-bomb', 'a zip bomb (150 MiB of zeros in 150 KiB) is refused before unpacking', 'zip-bomb',
    /unpacks .* into 150\.0 MiB \(a zip bomb\)/, 'ARCHIVE_TOO_LARGE', /Use the official archive/),
  hostileJre('archive-dotdot', 'an archive with a `../` entry', 'dotdot', /the entry ".*\/\.\.\/\.\.\/\.\.\/etc\/cron\.d\/guestprep-evil" climbs out of its folder with '\.\.'/),
  hostileJre('archive-absolute', 'an archive with an absolute path', 'absolute', /the entry "\/etc\/cron\.d\/guestprep-evil" has an absolute path/),
  hostileJre('archive-symlink-out', 'an archive with a symlink climbing out of the archive', 'symlink-out',
    /is a symlink to "\.\.\/\.\.\/\.\.\/\.\.\/etc", which points outside the archive/),
  hostileJre('archive-symlink-absolute', 'an archive with a symlink to an absolute path', 'symlink-abs', /is a symlink to the absolute path "\/etc\/shadow"/),
  hostileJre('archive-hardlink-out', 'an archive with a hard link to a file outside it', 'hardlink-out', /is a hard link to "\/etc\/shadow", outside the archive/),
  hostileJre('archive-device', 'an archive with a device node', 'device', /is a device, FIFO or other special file/),
  archiveRow('archive-symlink-out-of-install-dir', 'a ProActive archive whose symlink stays in the archive but leaves the installed folder', 'proactive',
    { code: 'ARCHIVE_UNSAFE_ENTRY', message: new RegExp(`is a symlink to "\\.\\./\\.\\./etc", which points outside "${PA_TOP}"`), fix: UNSAFE_FIX },
    (dir) => proactiveArchive(dir, [{ path: 'bin', type: 'directory' }, START, { path: 'lib', type: 'directory' }, { path: 'lib/conf', type: 'symlink', target: '../../etc' }])),
  archiveRow('proactive-no-start-script', 'a ProActive archive without a start script', 'proactive',
    { code: 'PROACTIVE_NOT_FOUND', message: /has no start script of a ProActive node: neither bin\/proactive-node nor bin\/proactive-node\.bat \(6\.2\+\), nor bin\/unix\/rm-start-node nor bin\/windows\/rm-start-node\.bat \(3\.x\)/, fix: /Pick the ProActive node distribution/ },
    (dir) => proactiveArchive(dir, [{ path: 'lib', type: 'directory' }, { path: 'lib/rm-node-13.0.0.jar', content: 'PK' }])),
  archiveRow('jre-fifo', 'a named pipe given as the JRE is refused without waiting on it', 'jre',
    { code: 'ARCHIVE_UNREADABLE', message: /jre\.tar\.gz is a named pipe, not an archive/, fix: /Pick the archive file itself/ },
    async (dir) => {
      const f = join(dir, 'jre.tar.gz');
      mkfifo(f);
      return f;
    }, true),
];

// ------------------------------------------------------------------------------------------ settings

/** A row refused by the settings checks, which run before anything else. */
function settingRow(kase: string, name: string, settings: Partial<SettingsInput>, expect: HostileRow['expect']): HostileRow {
  return {
    kase, name, appliance: false, expect,
    build: async (fx) => {
      const image = fx.blankVdi(fx.dir(kase));
      return { image, request: await fx.request(image, { settings }) };
    },
  };
}

const urlRows: HostileRow[] = [
  settingRow('rm-url-invalid', 'an invalid manager URL (no scheme)', { rmUrl: 'rm.example.org:64738' },
    { code: 'SETTING_INVALID', message: /"rm\.example\.org:64738" is not a URL \(expected SCHEME:\/\/HOST:PORT\)/, fix: /Check --rm-url: use pnp:\/\/HOST:64738/ }),
  settingRow('rm-url-http', 'an http:// manager URL (the web portal)', { rmUrl: 'http://rm.example.org:8080/rest' },
    { code: 'SETTING_INVALID', message: /that is the web portal, not the Resource Manager URL/, fix: /use pnp:\/\/HOST:64738/ }),
  settingRow('rm-url-shell', 'a manager URL with shell syntax in the host', { rmUrl: 'pnp://rm$(reboot)' },
    { code: 'SETTING_INVALID', message: /"rm\$\(reboot\)" is not a valid host name/, fix: /Check --rm-url: use a DNS name/ }),
];

/** The characters the issue lists, each with a value that carries it and what the refusal says about it. */
const SPECIALS: Array<{ id: string; what: string; insert: string; says: RegExp; jvmSays: RegExp }> = [
  { id: 'space', what: 'a space', insert: ' ', says: /it contains a space/, jvmSays: /contains a space/ },
  { id: 'double-quote', what: 'a double quote', insert: '"', says: /it contains "\\""/, jvmSays: /contains "\\""/ },
  { id: 'single-quote', what: 'a single quote', insert: "'", says: /it contains "'"/, jvmSays: /contains "'"/ },
  { id: 'dollar-paren', what: '$( )', insert: '$(reboot)', says: /it contains "\$"/, jvmSays: /contains "\$"/ },
  { id: 'backticks', what: 'backticks', insert: '`id`', says: /it contains "`"/, jvmSays: /contains "`"/ },
  { id: 'semicolon', what: ';', insert: ';reboot', says: /it contains ";"/, jvmSays: /contains ";"/ },
  { id: 'percent', what: '%', insert: '%PATH%', says: /it contains "%"/, jvmSays: /contains "%"/ },
  { id: 'newline', what: 'a newline', insert: '\nExecStartPre=/bin/sh', says: /it contains a line break/, jvmSays: /contains a line break/ },
  { id: 'non-ASCII', what: 'non-ASCII', insert: 'é', says: /it contains "é", which is not a plain ASCII character/, jvmSays: /contains "é"/ },
];

const nameRows: HostileRow[] = SPECIALS.flatMap((c) => [
  settingRow(`node-name-${c.id}`, `a node name with ${c.what}`, { nodeName: `lab${c.insert}node` },
    { code: 'SETTING_INVALID', message: new RegExp(`the node name .* is not valid: ${c.says.source}`), fix: /--node-name NAME with 1 to 63 letters, digits, dots, dashes or underscores/ }),
  settingRow(`node-source-${c.id}`, `a node source with ${c.what}`, { nodeSource: `Lab${c.insert}Source` },
    { code: 'SETTING_INVALID', message: new RegExp(`the node source .* is not valid: ${c.says.source}`), fix: /--node-source NAME with letters, digits, dots, dashes or underscores/ }),
  settingRow(`jvm-option-${c.id}`, `a JVM option with ${c.what}`, { jvmOptions: ['-Xmx2g', `-Dlab.owner=x${c.insert}y`] },
    { code: 'SETTING_INVALID', message: new RegExp(`the JVM option .* ${c.jvmSays.source}`), fix: /--jvm-option .*only letters, digits/ }),
]);

// ------------------------------------------------------------------------------------------ credentials

function credentialsRow(kase: string, name: string, expect: HostileRow['expect'], make: (dir: string) => string,
  extra: (file: string) => Partial<RowInput> = () => ({})): HostileRow {
  return {
    kase, name, appliance: false, expect,
    build: async (fx) => {
      const dir = fx.dir(kase);
      const creds = make(dir);
      const image = fx.blankVdi(dir);
      return { image, request: await fx.request(image, { settings: { credentialsFile: creds } }), ...extra(creds) };
    },
  };
}

const credentialsRows: HostileRow[] = [
  credentialsRow('credentials-huge', 'a credentials file that is huge (1 MiB)',
    { code: 'CREDENTIALS_UNREADABLE', message: /is 1048576 bytes; credential files are a few KB/, fix: /proactive-create-cred/ },
    (dir) => {
      const f = join(dir, 'rm.cred');
      writeFileSync(f, Buffer.alloc(1024 * 1024, 'A'));
      return f;
    }),
  credentialsRow('credentials-unreadable', 'a credentials file that is unreadable (mode 000; checked as an ordinary user)',
    { code: 'CREDENTIALS_UNREADABLE', message: /cannot be read: permission denied/, fix: /chmod u\+r/ },
    (dir) => {
      const f = join(dir, 'rm.cred');
      writeFileSync(f, 'c2VjcmV0IGNyZWRlbnRpYWxz\n');
      chmodSync(f, 0o000);
      return f;
    },
    () => ({ unprivileged: true })),
  credentialsRow('credentials-fifo', 'a named pipe given as the credentials file is refused without waiting on it',
    { code: 'CREDENTIALS_UNREADABLE', message: /is not a regular file/, fix: /credentials file itself/ },
    (dir) => {
      const f = join(dir, 'rm.cred');
      mkfifo(f);
      return f;
    },
    (f) => ({ cleanup: releaseFifo(f) })),
];

// ------------------------------------------------------------------------------------------ install dir

const installRows: HostileRow[] = [
  settingRow('install-dir-outside', 'an install directory outside /opt and /usr/local', { installDir: '/etc/proactive' },
    { code: 'SETTING_INVALID', message: /the install directory "\/etc\/proactive" is not inside \/opt\/ or \/usr\/local\//, fix: /--install-dir with an absolute path under \/opt\/ or \/usr\/local\// }),
  settingRow('install-dir-dotdot', 'an install directory with `..`', { installDir: '/opt/../etc/proactive' },
    { code: 'SETTING_INVALID', message: /has "\." or "\.\." components/, fix: /--install-dir with an absolute path under \/opt\/ or \/usr\/local\// }),
];

// ------------------------------------------------------------------------------ requests from a page

/**
 * A request a page sends to the backend (app or `guestprep serve`), refused at the backend's door: no run,
 * nothing stored, no stack sent back. `make` gets a valid blank image and the valid archives.
 */
function pageRow(kase: string, name: string, call: CallName, expect: HostileRow['expect'],
  make: (ok: { image: string; jre: string; proactive: string }) => unknown): HostileRow {
  return {
    kase, name, appliance: false, expect,
    build: async (fx) => {
      const image = fx.blankVdi(fx.dir(kase));
      const request = await fx.request(image);
      return { image, request, call: { name: call, req: make({ image, jre: request.jre!, proactive: request.proactive }) } };
    },
  };
}

const RELOAD_FIX = /reload the page/;
const MIB = 1024 * 1024;

const pageRows: HostileRow[] = [
  pageRow('page-history-limit-huge', 'history.list with a limit of 1e300 names the limit (no SqliteError stack)', 'history.list',
    { code: 'SETTING_INVALID', message: /^history\.list: limit must be at most 1000\.$/, fix: RELOAD_FIX },
    () => ({ limit: 1e300 })),
  pageRow('page-plan-guest-empty', 'plan.preview with empty guest facts names the missing field (no TypeError)', 'plan.preview',
    { code: 'SETTING_INVALID', message: /^plan\.preview: guest\.root is missing/, fix: RELOAD_FIX },
    ({ image, proactive }) => ({ image, guest: {}, imageInfo: { path: image, format: 'vdi', virtualSize: 1, fileSize: 1 },
      proactive: { archivePath: proactive }, settings: { rmUrl: 'pnp://rm.example.org' } })),
  pageRow('page-run-preset-1mib', 'run.start with a 1 MiB preset name starts nothing and stores nothing', 'run.start',
    { code: 'SETTING_INVALID', message: /^run\.start: preset is longer than 64 characters\.$/, fix: RELOAD_FIX },
    ({ image, jre, proactive }) => ({ image, jre, proactive, settings: { rmUrl: 'pnp://rm.example.org' }, preset: 'p'.repeat(MIB) })),
  pageRow('page-preset-path-1mib', 'presets.save with a 1 MiB archive path saves nothing', 'presets.save',
    { code: 'SETTING_INVALID', message: /^presets\.save: data\.jre is longer than 4096 characters\.$/, fix: RELOAD_FIX },
    () => ({ name: 'Lab', data: { jre: `/${'j'.repeat(MIB)}`, settings: { rmUrl: 'pnp://rm.example.org' } } })),
  pageRow('page-preset-refused-settings', 'presets.save with settings every run refuses (the web portal URL) saves nothing', 'presets.save',
    { code: 'SETTING_INVALID', message: /^presets\.save: the preset's settings: .*that is the web portal, not the Resource Manager URL/, fix: /use pnp:\/\/HOST:64738/ },
    () => ({ name: 'Lab', data: { settings: { rmUrl: 'http://rm.example.org:8080/rest' } } })),
];

export const HOSTILE_ROWS: readonly HostileRow[] = [
  ...imageRows, ...namedFileRows, ...guestRows, ...archiveRows, ...urlRows, ...nameRows, ...credentialsRows, ...installRows, ...pageRows,
];

/** The cases of the issue, each of which must have at least one row (the coverage test checks it). */
export const ISSUE_CASES: readonly string[] = [
  'not-a-disk', 'truncated-vdi', 'zero-byte', 'no-os', 'multi-boot', 'encrypted-root', 'read-only', 'directory', 'dangling-symlink',
  'disk-full', 'jre-not-a-jre', 'corrupt-targz', 'zip-bomb', 'archive-dotdot', 'archive-absolute', 'archive-symlink-out',
  'archive-symlink-out-of-install-dir', 'proactive-no-start-script', 'windows-jre-linux-guest', 'rm-url-invalid', 'rm-url-http',
  ...['space', 'double-quote', 'single-quote', 'dollar-paren', 'backticks', 'semicolon', 'percent', 'newline', 'non-ASCII']
    .flatMap((c) => [`node-name-${c}`, `node-source-${c}`, `jvm-option-${c}`]),
  'credentials-huge', 'credentials-unreadable', 'install-dir-outside', 'install-dir-dotdot', 'record-tampered',
  // Files an image header names must stay in the image's folder (a descriptor could otherwise make prepare write anywhere).
  'vmdk-extent-absolute', 'vmdk-extent-dotdot', 'vmdk-extent-symlink-out', 'vmdk-extent-etc-shadow', 'vmdk-extent-device', 'vmdk-extent-fifo',
  'vmdk-embedded-extent',
  // Requests from the page (app or `guestprep serve`), refused at the backend's door.
  'page-history-limit-huge', 'page-plan-guest-empty', 'page-run-preset-1mib', 'page-preset-path-1mib', 'page-preset-refused-settings',
];
