// A small, NON-bootable Debian-12-like guest image for the demo, quick integration tests and
// failure tests. It is built in seconds without debootstrap: an in-memory tree with exactly what
// libguestfs inspection needs to say "linux / debian 12 / x86_64 / <hostname>", plus the files
// that decide which boot hook Guestprep picks (systemd, Debian sysvinit, or rc.local only).
//
// The tree is packed as a tar (uid/gid 0 whoever runs us) and handed to `virt-make-fs`, which
// makes an MBR disk whose /dev/sda1 is an ext4 root; `qemu-img convert` gives the wanted format.
//
// What inspection needs was found by experiment (libguestfs 1.48): /etc plus /bin (a symlink to
// usr/bin is fine) plus /etc/fstab mark a Linux root; /etc/os-release ID=debian and VERSION_ID
// give distro and version; /etc/hostname the hostname; the architecture comes from running
// `file` on /bin/bash, /bin/ls, /bin/sh ... so those are real (tiny) x86-64 ELF executables.
// The systemd flavour has /etc/init.d and /etc/rc?.d like real Debian 12 (rc2.d-rc5.d empty),
// so only /sbin/init -> /lib/systemd/systemd says it is systemd.
// Nothing in the guest can run: there is no libc. Tools like useradd are placeholder scripts that
// are only there so a "does the guest have useradd?" check sees them.

import { isEnoent, run, virtMakeFs, type RunResult } from './host-tools';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { fail } from '../engine/errors';

export type SampleFlavour = 'systemd' | 'sysvinit' | 'rclocal';
export type SampleFile = string | { content: string; mode: number };

export interface SampleGuestOptions {
  flavour?: SampleFlavour;
  /** Default: gp-sample-<flavour>. */
  hostname?: string;
  /** Size of the disk (and of its one ext4 partition, nearly). Default 64. */
  sizeMb?: number;
  format?: 'vdi' | 'raw';
  /**
   * Extra files by absolute guest path (string content gets mode 0644). Parent directories are
   * created; an entry replaces whatever the sample had at that path (even a whole directory),
   * so tests can break a guest on purpose, e.g. `{ '/opt/proactive': 'not a directory' }`.
   */
  extraFiles?: Record<string, SampleFile>;
}

export type TreeEntry =
  | { type: 'dir'; mode: number }
  | { type: 'file'; mode: number; content: Buffer; gid?: number }
  | { type: 'symlink'; target: string };

/** Guest path (absolute, no trailing slash) -> entry. */
export type SampleTree = Map<string, TreeEntry>;

const DEBIAN_VERSION = '12.5';
const SHADOW_GID = 42;

/**
 * A minimal static x86-64 Linux executable (ELF header, one PT_LOAD segment, and
 * `mov eax, 60; xor edi, edi; syscall`, i.e. exit(0)). `file` calls it "ELF 64-bit LSB
 * executable, x86-64", which is what inspection reads the architecture from. Built here rather
 * than copied from the host so the sample is the same on any build machine (even an arm64 one).
 */
export function tinyX8664Elf(): Buffer {
  const code = Buffer.from([0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]);
  const size = 64 + 56 + code.length;
  const b = Buffer.alloc(size);
  const base = 0x400000n;
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little-endian
  b[6] = 1; // EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(0x3e, 18); // EM_X86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(base + 120n, 24); // entry: the code right after the headers
  b.writeBigUInt64LE(64n, 32); // program headers right after the ELF header
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(1, 56);
  b.writeUInt16LE(64, 58);
  const ph = 64;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(5, ph + 4); // R+X
  b.writeBigUInt64LE(base, ph + 16);
  b.writeBigUInt64LE(base, ph + 24);
  b.writeBigUInt64LE(BigInt(size), ph + 32);
  b.writeBigUInt64LE(BigInt(size), ph + 40);
  b.writeBigUInt64LE(0x1000n, ph + 48);
  code.copy(b, 120);
  return b;
}

function placeholder(tool: string): string {
  return `#!/bin/sh\n# Placeholder ${tool} of a Guestprep sample guest (non-bootable; nothing here can run).\necho "${tool}: sample guest placeholder" >&2\nexit 1\n`;
}

const DEBIAN_INITTAB_HEAD = `# /etc/inittab: init(8) configuration.
id:2:initdefault:
si::sysinit:/etc/init.d/rcS
~~:S:wait:/sbin/sulogin --force
l0:0:wait:/etc/init.d/rc 0
l1:1:wait:/etc/init.d/rc 1
`;
const DEBIAN_INITTAB_TAIL = `l6:6:wait:/etc/init.d/rc 6
z6:6:respawn:/sbin/sulogin --force
ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now
1:2345:respawn:/sbin/getty 38400 tty1
`;

const DEBIAN_INITSCRIPTS_RC_LOCAL = `#!/bin/sh -e
#
# rc.local
#
# This script is executed at the end of each multiuser runlevel.
# Make sure that the script will "exit 0" on success or any other
# value on error.
#
# In order to enable or disable this script just change the execution
# bits.

if test -d /etc/boot.d ; then
\trun-parts /etc/boot.d
fi
`;

function lsbScript(name: string, start: string, stop: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:
# Required-Stop:
# Default-Start:     ${start}
# Default-Stop:      ${stop}
# Short-Description: ${name} (Guestprep sample guest placeholder)
### END INIT INFO
exit 0
`;
}

/** The sample's file tree, before extraFiles. Pure; exported for unit tests. */
export function sampleGuestTree(flavour: SampleFlavour, hostname: string): SampleTree {
  const t: SampleTree = new Map();
  // Missing parent directories are added (0755) so the tar never relies on implicit ones.
  const parents = (p: string) => {
    for (let d = path.posix.dirname(p); d !== '/' && !t.has(d); d = path.posix.dirname(d)) t.set(d, { type: 'dir', mode: 0o755 });
  };
  const dir = (p: string, mode = 0o755) => { parents(p); t.set(p, { type: 'dir', mode }); };
  const file = (p: string, content: string | Buffer, mode = 0o644, gid?: number) => {
    parents(p);
    t.set(p, { type: 'file', mode, content: Buffer.isBuffer(content) ? content : Buffer.from(content), ...(gid !== undefined ? { gid } : {}) });
  };
  const link = (p: string, target: string) => { parents(p); t.set(p, { type: 'symlink', target }); };
  const elf = tinyX8664Elf();

  for (const d of ['/boot', '/dev', '/etc', '/home', '/media', '/mnt', '/opt', '/proc', '/run', '/srv', '/sys', '/usr', '/var']) dir(d);
  dir('/root', 0o700);
  dir('/tmp', 0o1777);
  for (const d of ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64', '/usr/share', '/usr/local', '/usr/local/bin', '/usr/local/sbin',
    '/var/lib', '/var/log', '/var/cache', '/var/spool']) dir(d);
  dir('/var/tmp', 0o1777);
  // Debian 12 has a merged /usr.
  link('/bin', 'usr/bin');
  link('/sbin', 'usr/sbin');
  link('/lib', 'usr/lib');
  link('/lib64', 'usr/lib64');

  file('/usr/lib/os-release', [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'NAME="Debian GNU/Linux"', 'VERSION_ID="12"', 'VERSION="12 (bookworm)"',
    'VERSION_CODENAME=bookworm', 'ID=debian', 'HOME_URL="https://www.debian.org/"', '',
  ].join('\n'));
  link('/etc/os-release', '../usr/lib/os-release');
  file('/etc/debian_version', `${DEBIAN_VERSION}\n`);
  file('/etc/hostname', `${hostname}\n`);
  file('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n`);
  file('/etc/fstab', '/dev/sda1 / ext4 defaults 0 1\n');
  file('/etc/passwd', [
    'root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
    'sys:x:3:3:sys:/dev:/usr/sbin/nologin', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', '',
  ].join('\n'));
  file('/etc/group', ['root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'shadow:x:42:', 'users:x:100:', 'nogroup:x:65534:', ''].join('\n'));
  file('/etc/shadow', ['root:*:19800:0:99999:7:::', 'daemon:*:19800:0:99999:7:::', 'bin:*:19800:0:99999:7:::',
    'sys:*:19800:0:99999:7:::', 'nobody:*:19800:0:99999:7:::', ''].join('\n'), 0o640, SHADOW_GID);
  file('/etc/gshadow', ['root:*::', 'daemon:*::', 'bin:*::', 'sys:*::', 'adm:*::', 'shadow:*::', 'users:*::', 'nogroup:*::', ''].join('\n'), 0o640, SHADOW_GID);
  file('/etc/login.defs', 'UID_MIN 1000\nUID_MAX 60000\nSYS_UID_MIN 100\nSYS_UID_MAX 999\nGID_MIN 1000\nGID_MAX 60000\nSYS_GID_MIN 100\nSYS_GID_MAX 999\n');
  file('/etc/shells', '/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n');

  // Real x86-64 executables: inspection reads the architecture from these.
  file('/usr/bin/bash', elf, 0o755);
  file('/usr/bin/dash', elf, 0o755);
  link('/usr/bin/sh', 'dash');
  file('/usr/bin/ls', elf, 0o755);
  file('/usr/bin/echo', elf, 0o755);
  for (const tool of ['/usr/sbin/useradd', '/usr/sbin/groupadd', '/usr/sbin/runuser', '/usr/bin/su']) file(tool, placeholder(path.posix.basename(tool)), 0o755);
  file('/usr/sbin/nologin', placeholder('nologin'), 0o755);

  if (flavour === 'systemd') {
    file('/usr/lib/systemd/systemd', elf, 0o755);
    link('/usr/sbin/init', '/lib/systemd/systemd');
    for (const tool of ['systemctl', 'systemd-sysusers', 'systemd-tmpfiles']) file(`/usr/bin/${tool}`, placeholder(tool), 0o755);
    for (const d of ['/usr/lib/systemd/system', '/usr/lib/sysusers.d', '/usr/lib/tmpfiles.d', '/etc/systemd', '/etc/systemd/system',
      '/etc/systemd/system/multi-user.target.wants', '/etc/sysusers.d', '/etc/tmpfiles.d']) dir(d);
    // Like a real Debian 12 systemd system: a few packages still ship init scripts, so
    // /etc/init.d and /etc/rc?.d exist (rc2.d-rc5.d empty). Only /sbin/init tells the init apart.
    for (const s of ['hwclock.sh', 'kmod', 'procps', 'udev']) file(`/etc/init.d/${s}`, lsbScript(s, 'S', s === 'hwclock.sh' || s === 'udev' ? '0 6' : ''), 0o755);
    for (const n of ['0', '1', '2', '3', '4', '5', '6', 'S']) dir(`/etc/rc${n}.d`);
    for (const s of ['hwclock.sh', 'kmod', 'procps', 'udev']) link(`/etc/rcS.d/S01${s}`, `../init.d/${s}`);
    for (const n of ['0', '6']) for (const s of ['hwclock.sh', 'udev']) link(`/etc/rc${n}.d/K01${s}`, `../init.d/${s}`);
    file('/usr/lib/systemd/system/multi-user.target', '[Unit]\nDescription=Multi-User System\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n');
    link('/usr/lib/systemd/system/default.target', 'multi-user.target');
  } else {
    // Debian sysvinit: /sbin/init is the sysvinit binary (a file, not a link to systemd).
    file('/usr/sbin/init', elf, 0o755);
    file('/usr/sbin/update-rc.d', placeholder('update-rc.d'), 0o755);
    dir('/etc/init.d');
    file('/etc/init.d/rc', lsbScript('rc', '', ''), 0o755);
    file('/etc/init.d/rcS', lsbScript('rcS', '', ''), 0o755);
    file('/etc/init.d/mountall.sh', lsbScript('mountall', 'S', ''), 0o755);
    file('/etc/init.d/halt', lsbScript('halt', '', '0'), 0o755);
    file('/etc/init.d/reboot', lsbScript('reboot', '', '6'), 0o755);
    dir('/etc/rcS.d');
    link('/etc/rcS.d/S01mountall.sh', '../init.d/mountall.sh');
    for (const n of [0, 1, 6]) dir(`/etc/rc${n}.d`);
    link('/etc/rc0.d/K01halt', '../init.d/halt');
    link('/etc/rc6.d/K01reboot', '../init.d/reboot');
    if (flavour === 'sysvinit') {
      file('/etc/init.d/rc.local', lsbScript('rc.local', '2 3 4 5', ''), 0o755);
      // Debian's initscripts package ships this /etc/rc.local (note: no `exit 0` line at all).
      file('/etc/rc.local', DEBIAN_INITSCRIPTS_RC_LOCAL, 0o755);
      for (const n of [2, 3, 4, 5]) {
        dir(`/etc/rc${n}.d`);
        link(`/etc/rc${n}.d/S01rc.local`, '../init.d/rc.local');
      }
      file('/etc/inittab', `${DEBIAN_INITTAB_HEAD}${[2, 3, 4, 5].map((n) => `l${n}:${n}:wait:/etc/init.d/rc ${n}\n`).join('')}${DEBIAN_INITTAB_TAIL}`);
    } else {
      // rc.local only: no runlevel directories 2-5; those runlevels run /etc/rc.local itself.
      file('/etc/inittab', `${DEBIAN_INITTAB_HEAD}${[2, 3, 4, 5].map((n) => `l${n}:${n}:wait:/etc/rc.local\n`).join('')}${DEBIAN_INITTAB_TAIL}`);
      // `exit 0` is deliberately not the last line: Guestprep must insert before it.
      file('/etc/rc.local', '#!/bin/sh -e\n# rc.local: runs at the end of each multi-user runlevel (the only boot hook here).\nexit 0\n# (a trailing comment after exit 0)\n', 0o755);
    }
  }
  return t;
}

function normaliseGuestPath(p: string): string {
  if (!p.startsWith('/')) throw new Error(`extraFiles: guest path must be absolute: ${p}`);
  if (p.split('/').includes('..')) throw new Error(`extraFiles: bad guest path: ${p}`);
  const n = path.posix.normalize(p).replace(/\/+$/, '');
  if (n === '') throw new Error(`extraFiles: bad guest path: ${p}`);
  return n;
}

/** Adds extraFiles to a tree: creates missing parents, replaces what was at the path (and below it). */
export function addExtraFiles(tree: SampleTree, extra: Record<string, SampleFile>): void {
  for (const [raw, spec] of Object.entries(extra)) {
    const p = normaliseGuestPath(raw);
    for (const k of [...tree.keys()]) if (k === p || k.startsWith(`${p}/`)) tree.delete(k);
    const parts = p.split('/').slice(1, -1);
    for (let i = 1; i <= parts.length; i++) {
      const parent = `/${parts.slice(0, i).join('/')}`;
      const existing = tree.get(parent);
      if (existing === undefined) tree.set(parent, { type: 'dir', mode: 0o755 });
      else if (existing.type !== 'dir') throw new Error(`extraFiles: ${p}: parent ${parent} is not a directory in the sample`);
    }
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    tree.set(p, { type: 'file', mode, content: Buffer.from(content) });
  }
}

/** Writes the tree as a tar, parents before children, everything owned by root. */
export async function writeTar(tree: SampleTree, tarPath: string): Promise<void> {
  const pack = tar.pack();
  const mtime = new Date();
  const out = pipeline(pack, fs.createWriteStream(tarPath));
  // Sorting by path puts every directory before its contents.
  for (const p of [...tree.keys()].sort()) {
    const e = tree.get(p)!;
    const name = `.${p}`;
    const common = { name, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
    if (e.type === 'dir') pack.entry({ ...common, type: 'directory', mode: e.mode });
    else if (e.type === 'symlink') pack.entry({ ...common, type: 'symlink', linkname: e.target, mode: 0o777 });
    else pack.entry({ ...common, type: 'file', mode: e.mode, ...(e.gid !== undefined ? { gid: e.gid, gname: '' } : {}) }, e.content);
  }
  pack.finalize();
  await out;
}



async function qemuImgConvert(raw: string, out: string, format: 'vdi'): Promise<void> {
  let r: RunResult;
  try {
    r = await run('qemu-img', ['convert', '-f', 'raw', '-O', format, raw, out], process.env);
  } catch (err) {
    if (isEnoent(err)) fail('QEMU_IMG_MISSING', 'qemu-img is not installed.', 'Install it: on Debian/Ubuntu `apt-get install qemu-utils`.');
    throw err;
  }
  if (r.code !== 0) fail('INTERNAL', `qemu-img convert to ${format} failed.`, 'Check free space in the output folder.', { detail: r.output.trim() });
}

/**
 * Builds a small, non-bootable Debian-12-like guest image in outDir and returns its path
 * (`sample-<flavour>.vdi` or `.raw`). libguestfs inspection recognises it as linux/debian 12/x86_64.
 */
export async function buildSampleGuest(outDir: string, opts: SampleGuestOptions = {}): Promise<string> {
  const flavour = opts.flavour ?? 'systemd';
  const hostname = opts.hostname ?? `gp-sample-${flavour}`;
  const sizeMb = opts.sizeMb ?? 64;
  const format = opts.format ?? 'vdi';
  if (!['systemd', 'sysvinit', 'rclocal'].includes(flavour)) throw new Error(`unknown sample flavour: ${String(flavour)}`);
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(hostname)) throw new Error(`bad sample hostname: ${hostname}`);
  if (!Number.isInteger(sizeMb) || sizeMb < 16) throw new Error(`sample sizeMb must be an integer >= 16, got ${sizeMb}`);
  if (format !== 'vdi' && format !== 'raw') throw new Error(`unknown sample format: ${String(format)}`);

  const tree = sampleGuestTree(flavour, hostname);
  if (opts.extraFiles) addExtraFiles(tree, opts.extraFiles);

  await fsp.mkdir(outDir, { recursive: true });
  const out = path.resolve(outDir, `sample-${flavour}.${format}`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'guestprep-sample-'));
  try {
    const tarPath = path.join(work, 'tree.tar');
    await writeTar(tree, tarPath);
    // A raw result is written next to its final name and renamed, so it stays sparse.
    const raw = format === 'raw' ? `${out}.${process.pid}.partial` : path.join(work, 'disk.raw');
    try {
      await virtMakeFs(['--partition=mbr', '--type=ext4', `--size=${sizeMb}M`, '--format=raw', tarPath, raw], 'the sample guest image');
      await fsp.rm(out, { force: true });
      if (format === 'raw') await fsp.rename(raw, out);
      else await qemuImgConvert(raw, out, 'vdi');
    } finally {
      await fsp.rm(raw, { force: true });
    }
    return out;
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
