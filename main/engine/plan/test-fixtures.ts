// Small builders of engine inputs for unit tests (settings, plan, flavours). Each returns a complete,
// realistic value; tests override only what they are about.

import fs from 'node:fs';
import path from 'node:path';
import type { GuestFacts, InstallRecord, JreInfo, LinuxBootFacts, NodeSettings, Plan, ProactiveInfo, WindowsFacts } from '../types';

export function linuxFacts(over: Partial<LinuxBootFacts> = {}): LinuxBootFacts {
  return {
    init: 'systemd',
    tools: {
      systemdSysusers: '/usr/bin/systemd-sysusers',
      systemdTmpfiles: '/usr/bin/systemd-tmpfiles',
      useradd: '/usr/sbin/useradd',
      runuser: '/usr/sbin/runuser',
      su: '/usr/bin/su',
      nologin: '/usr/sbin/nologin',
    },
    ...over,
  };
}

export function guestFacts(over: Partial<GuestFacts> = {}, linux: Partial<LinuxBootFacts> = {}): GuestFacts {
  return {
    root: '/dev/sda1',
    osType: 'linux',
    distro: 'debian',
    majorVersion: 12,
    minorVersion: 5,
    productName: 'Debian GNU/Linux 12 (bookworm)',
    arch: 'x86_64',
    hostname: 'worker-01.lab.example.org',
    mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }],
    freeBytes: 4 * 1024 ** 3,
    freeBytesMountpoint: '/',
    linux: linuxFacts(linux),
    ...over,
  };
}

/** A sysvinit guest (Debian layout unless told otherwise). */
export function sysvGuest(linux: Partial<LinuxBootFacts> = {}, over: Partial<GuestFacts> = {}): GuestFacts {
  return guestFacts(over, {
    init: 'sysvinit',
    sysvLayout: 'debian',
    tools: { useradd: '/usr/sbin/useradd', runuser: '/usr/sbin/runuser', su: '/bin/su', nologin: '/usr/sbin/nologin' },
    ...linux,
  });
}

export function rcLocalGuest(rcLocalText?: string, linux: Partial<LinuxBootFacts> = {}): GuestFacts {
  return guestFacts({}, {
    init: 'rclocal',
    tools: { useradd: '/usr/sbin/useradd', su: '/bin/su', nologin: '/sbin/nologin' },
    ...(rcLocalText !== undefined ? { rcLocalPath: '/etc/rc.d/rc.local', rcLocalText } : {}),
    ...linux,
  });
}

/** A Windows 10 x64 guest booting ControlSet002 (like the win10-x64 sample). */
export function windowsGuest(over: Partial<WindowsFacts> = {}, guest: Partial<GuestFacts> = {}): GuestFacts {
  const windows: WindowsFacts = {
    productName: 'Windows 10 Pro',
    productVariant: 'Client',
    majorVersion: 10,
    minorVersion: 0,
    arch: 'x86_64',
    systemRoot: '/Windows',
    currentControlSet: 'ControlSet002',
    inspectedControlSet: 'ControlSet002',
    systemDrive: 'C',
    driveMappings: { C: '/dev/sda1' },
    systemHivePath: '/Windows/System32/config/SYSTEM',
    softwareHivePath: '/Windows/System32/config/SOFTWARE',
    freeBytes: 20 * 1024 ** 3,
    ...over,
  };
  return {
    root: '/dev/sda1',
    osType: 'windows',
    distro: 'windows',
    majorVersion: windows.majorVersion,
    minorVersion: windows.minorVersion,
    productName: windows.productName,
    arch: windows.arch,
    hostname: 'WIN10-NODE',
    mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }],
    freeBytes: windows.freeBytes,
    freeBytesMountpoint: 'C:',
    windows,
    ...guest,
  };
}

/** Settings as validation makes them for a Windows guest. */
export function windowsSettings(over: Partial<NodeSettings> = {}): NodeSettings {
  return nodeSettings({ installDir: 'C:\\ProActive', serviceUser: 'LocalSystem', nodeName: 'WIN10-NODE', ...over });
}

export function jreInfo(over: Partial<JreInfo> = {}): JreInfo {
  return {
    archivePath: '/home/alice/Downloads/OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9.tar.gz',
    kind: 'tar.gz',
    home: 'jdk-17.0.9+9-jre',
    version: '17.0.9',
    major: 17,
    os: 'linux',
    arch: 'x86_64',
    source: 'release-file',
    unpackedBytes: 130_000_000,
    entryCount: 700,
    ...over,
  };
}

export function modernProactive(over: Partial<ProactiveInfo> = {}): ProactiveInfo {
  return {
    archivePath: '/home/alice/Downloads/activeeon_enterprise-node-linux-x64-13.0.0.zip',
    kind: 'zip',
    home: 'activeeon_enterprise-node-linux-x64-13.0.0',
    generation: 'modern',
    version: '13.0.0',
    startScript: 'bin/proactive-node',
    windowsStartScript: 'bin/proactive-node.bat',
    unpackedBytes: 250_000_000,
    entryCount: 900,
    ...over,
  };
}

export function legacyProactive(over: Partial<ProactiveInfo> = {}): ProactiveInfo {
  return {
    archivePath: '/home/alice/Downloads/ProActiveScheduling-3.3.2_bin.tar.gz',
    kind: 'tar.gz',
    home: 'ProActiveScheduling-3.3.2_bin',
    generation: 'legacy',
    version: '3.3.2',
    startScript: 'bin/unix/rm-start-node',
    windowsStartScript: 'bin/windows/rm-start-node.bat',
    unpackedBytes: 90_000_000,
    entryCount: 400,
    ...over,
  };
}

export function nodeSettings(over: Partial<NodeSettings> = {}): NodeSettings {
  return {
    rm: { protocol: 'pnp', host: 'rm.example.org', port: 64738, url: 'pnp://rm.example.org:64738' },
    nodeName: 'worker-01',
    nodeSource: 'Default',
    jvmOptions: ['-XX:+IgnoreUnrecognizedVMOptions', '-Xmx1g'],
    installDir: '/opt/proactive',
    serviceName: 'proactive-node',
    serviceUser: 'proactive',
    ...over,
  };
}

export function installRecord(over: Partial<InstallRecord> = {}): InstallRecord {
  return {
    tool: 'guestprep',
    formatVersion: 1,
    guestprepVersion: '0.0.9',
    installedAt: '2024-01-01T00:00:00.000Z',
    installDir: '/opt/proactive',
    serviceName: 'proactive-node',
    serviceUser: 'proactive',
    init: 'systemd',
    rmUrl: 'pnp://old-rm:64738',
    nodeName: 'worker-01',
    nodeSource: 'Default',
    jvmOptions: [],
    hasCredentials: false,
    proactive: { version: '12.0.0', generation: 'modern', archive: 'old.zip' },
    files: [],
    ...over,
  };
}

export const NOW = '2025-03-04T05:06:07.000Z';
export const VERSION = '0.1.0';

// ---------------------------------------------------------------- golden files

/**
 * Compares a generated text with a golden file kept in the source tree next to the tests
 * (main/engine/plan/golden/NAME). Run with GUESTPREP_UPDATE_GOLDEN=1 to (re)write them, then review the
 * diff: that is how an intended change to generated scripts is accepted.
 */
export function matchGolden(name: string, actual: string): { expected: string; actual: string } {
  const file = path.join(sourceRoot(), 'main', 'engine', 'plan', 'golden', name);
  if (process.env.GUESTPREP_UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    if (process.env.GUESTPREP_UPDATE_GOLDEN !== '1') throw new Error(`golden file ${file} is missing: run the tests with GUESTPREP_UPDATE_GOLDEN=1 and review it`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  return { expected: fs.readFileSync(file, 'utf8'), actual };
}

/** The repository root: the nearest ancestor of this (compiled) file that has a package.json. */
function sourceRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** The texts a plan writes, rebuilt from its `write` / `write-append` commands, by guest path. */
export function writtenFiles(plan: Plan): Map<string, string> {
  const files = new Map<string, string>();
  for (const step of plan.steps) for (const { argv } of step.commands) {
    const [name, p, text] = argv;
    if ((name === 'write' || name === 'write-append') && typeof p === 'string' && typeof text === 'string') {
      files.set(p, (name === 'write' ? '' : files.get(p) ?? '') + text);
    }
  }
  return files;
}

/** Every command of a plan as a flat argv list (uploads shown as `<upload:id>`). */
export function planArgvs(plan: Plan): string[][] {
  return plan.steps.flatMap((s) => s.commands.map((c) => c.argv.map((a) => (typeof a === 'string' ? a : `<upload:${a.upload.id}>`))));
}
