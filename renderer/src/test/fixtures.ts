// Realistic contract values for tests (shapes as the engine produces them).

import type { GuestFacts, InspectReport, JreInfo, PlanPreview, PrepareReport, ProactiveInfo, VboxVm } from '../../../main/contract/contract';

export const guest = (over: Partial<GuestFacts> = {}): GuestFacts => ({
  root: '/dev/sda1',
  osType: 'linux',
  distro: 'debian',
  majorVersion: 12,
  minorVersion: 5,
  productName: 'Debian GNU/Linux 12 (bookworm)',
  arch: 'x86_64',
  hostname: 'worker-07',
  mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }],
  freeBytes: 8 * 1024 ** 3,
  freeBytesMountpoint: '/',
  linux: { init: 'systemd', tools: {} },
  ...over,
});

export const inspectReport = (path = '/images/debian.vdi', g: Partial<GuestFacts> = {}): InspectReport => ({
  image: { path, format: 'vdi', subformat: 'dynamic', virtualSize: 20 * 1024 ** 3, fileSize: 3 * 1024 ** 3 },
  guest: guest(g),
  launches: 1,
  notices: [],
  timings: { launchMs: 9000, inspectMs: 4000, totalMs: 13500 },
});

export const jre = (over: Partial<JreInfo> = {}): JreInfo => ({
  archivePath: '/dl/OpenJDK17U-jre_x64_linux.tar.gz',
  kind: 'tar.gz',
  home: 'jdk-17.0.9+9-jre',
  version: '17.0.9',
  major: 17,
  os: 'linux',
  arch: 'x86_64',
  source: 'release-file',
  unpackedBytes: 130 * 1024 ** 2,
  entryCount: 400,
  ...over,
});

export const proactive = (over: Partial<ProactiveInfo> = {}): ProactiveInfo => ({
  archivePath: '/dl/activeeon_enterprise-node-linux-x64-13.1.0.zip',
  kind: 'zip',
  home: 'activeeon_enterprise-node-linux-x64-13.1.0',
  generation: 'modern',
  version: '13.1.0',
  startScript: 'bin/proactive-node',
  bundledJre: { major: 8, version: '1.8.0_382', os: 'linux', arch: 'x86_64' },
  unpackedBytes: 400 * 1024 ** 2,
  entryCount: 2000,
  ...over,
});

export const plan = (over: Partial<PlanPreview> = {}): PlanPreview => ({
  settings: {
    rm: { protocol: 'pnp', host: 'rm.lab', port: 64738, url: 'pnp://rm.lab:64738' },
    nodeName: 'worker-07',
    nodeSource: 'Default',
    jvmOptions: [],
    installDir: '/opt/proactive',
    serviceName: 'proactive-node',
    serviceUser: 'proactive-node',
  },
  steps: [
    { id: 'upload-jre', title: 'Upload the Java runtime', commands: 3, bytes: 1000 },
    { id: 'upload-proactive', title: 'Upload ProActive', commands: 3, bytes: 4000 },
    { id: 'install-systemd-unit', title: 'Install the systemd unit', commands: 5 },
  ],
  script: '#!/usr/bin/guestfish -f\nmkdir-p /opt/proactive\n',
  requiredBytes: 600 * 1024 ** 2,
  freeBytes: 8 * 1024 ** 3,
  atNextBoot: ['systemd starts proactive-node.service, which joins pnp://rm.lab:64738.'],
  warnings: [],
  ...over,
});

export const prepareReport = (): PrepareReport => {
  const r = inspectReport();
  const p = plan();
  return {
    runId: 'run-1',
    ok: true,
    dryRun: false,
    image: r.image,
    guest: { ...r.guest, init: 'systemd' },
    settings: p.settings,
    jre: jre(),
    proactive: proactive(),
    plan: { steps: p.steps, requiredBytes: p.requiredBytes },
    steps: [],
    verification: { checked: 14, failures: [] },
    atNextBoot: p.atNextBoot,
    warnings: [],
    notices: [],
    launches: 1,
    failedLaunchAttempts: 0,
    timings: { checksMs: 1, launchMs: 1, inspectMs: 1, writeMs: 1, verifyMs: 1, commitMs: 1, totalMs: 42000 },
  };
};

export const vms = (): VboxVm[] => [
  {
    name: 'build-box',
    uuid: 'u-1',
    settingsFile: '/vbox/build-box/build-box.vbox',
    state: 'running',
    disks: [{ path: '/vbox/build-box/build-box.vdi', format: 'VDI', usable: false, reason: 'build-box is running: power it off first.' }],
  },
  {
    name: 'worker',
    uuid: 'u-2',
    settingsFile: '/vbox/worker/worker.vbox',
    state: 'poweroff',
    disks: [{ path: '/vbox/worker/worker.vdi', format: 'VDI', usable: true }],
  },
];
