// The engine's shared vocabulary: what we learn about images, archives and guests, what the user
// asks for, and the plan that joins them. Pure data, no behaviour, so every adapter (CLI, app,
// browser bridge) can pass it around and serialise it as JSON.

// ---------------------------------------------------------------- images (container files)

export type ImageFormat = 'vdi' | 'vmdk' | 'vpc' | 'vhdx' | 'qcow2' | 'raw';

export interface ImageFileInfo {
  path: string;
  /** Format as read from the file header (never from libguestfs probing). */
  format: ImageFormat;
  /**
   * vmdk: createType (monolithicSparse, streamOptimized, ...); vpc: fixed|dynamic|differencing;
   * vdi: dynamic|fixed (differencing|undo for VirtualBox snapshots); vhdx: dynamic|fixed|differencing;
   * qcow2: v2|v3; raw: what made it look like a disk (mbr, gpt, ext, ntfs, xfs, btrfs, lvm).
   */
  subformat?: string;
  virtualSize: number;
  fileSize: number;
  /** VirtualBox differencing VDI: the parent UUID is set. */
  vdiParentUuid?: string;
  /** qcow2/vmdk backing file (vpc/vhdx: parent disk), if any. */
  backingFile?: string;
  /**
   * VMDK text descriptor: absolute paths of the extent files that hold the data (they must exist
   * and be writable too; the descriptor itself is rewritten when the disk changes).
   */
  extentFiles?: string[];
  /** The same extents, named exactly as the descriptor spells them (what the precheck judges). */
  extentNames?: string[];
}

// ---------------------------------------------------------------- guests (what inspection finds)

export type InitSystem = 'systemd' | 'sysvinit' | 'rclocal';
/** Where the sysvinit scripts and runlevel links live. */
export type SysvLayout = 'debian' | 'redhat';

export interface ExistingInstall {
  /** What Guestprep recorded in the guest (install.json), as found. */
  record: InstallRecord;
  path: string;
}

/** Permission bits (no file type) and owner of a guest file. */
export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
}

export interface LinuxBootFacts {
  init: InitSystem;
  /** For sysvinit guests: /etc/init.d + /etc/rcN.d (debian) or /etc/rc.d/init.d + /etc/rc.d/rcN.d (redhat). */
  sysvLayout?: SysvLayout;
  /** Real path of rc.local in the guest (symlinks resolved), if the guest has one. */
  rcLocalPath?: string;
  /** Its text, as found (needed to insert our line purely, before the final `exit 0`). */
  rcLocalText?: string;
  /** Its mode (permission bits) and owner, as found: the install makes it 0755, removal restores these. */
  rcLocalStat?: FileStat;
  /**
   * Debian sysv-rc with insserv: the texts of /etc/init.d/.depend.start and /etc/init.d/.depend.stop,
   * when all three .depend.{boot,start,stop} exist, are non-empty, and /etc/init.d/.legacy-bootordering
   * does not exist. /lib/init/rc then boots through startpar, which starts only the services listed in
   * these files: rc links alone are ignored, so the plan adds the service to both. Absent otherwise.
   */
  insservDepend?: { start: string; stop: string };
  /**
   * Names in /etc/passwd and /etc/group, as found: whether the service user and its group exist before
   * the install (if not, the boot service creates them and `remove` takes them out again).
   */
  accounts?: { users: string[]; groups: string[] };
  /** Absolute guest paths of tools the boot service may use. */
  tools: {
    systemdSysusers?: string;
    systemdTmpfiles?: string;
    useradd?: string;
    runuser?: string;
    su?: string;
    nologin?: string;
  };
}

export interface GuestFacts {
  /** libguestfs root device, e.g. /dev/sda1. */
  root: string;
  osType: 'linux' | 'windows' | string;
  distro: string;
  majorVersion: number;
  minorVersion: number;
  productName: string;
  /** As libguestfs reports it: x86_64, i386, aarch64, ... */
  arch: string;
  hostname: string;
  /** Mountpoints from inspection, shortest first (the order to mount them in). */
  mountpoints: Array<{ mountpoint: string; device: string }>;
  /** Free bytes on the filesystem that receives the install directory. */
  freeBytes: number;
  /** Which mountpoint that filesystem is mounted on in the guest. */
  freeBytesMountpoint: string;
  linux?: LinuxBootFacts;
  existing?: ExistingInstall;
  /**
   * Directories a plan may create, by guest path: whether each exists (the install directory and its
   * parents, the directories the init flavour writes into). A plan records those it creates, so `remove`
   * takes out exactly those. A path left out is taken as present (nothing recorded).
   */
  dirsPresent?: Record<string, boolean>;
  /** Windows guests only: what the Windows plan needs (see WindowsFacts). */
  windows?: WindowsFacts;
  /**
   * Which inspection found the root: 'quick' (a plain Linux disk read with a few targeted queries) or
   * 'libguestfs' (its `inspect-os`, for everything else). Reported, so a slow inspection can be explained.
   */
  inspectedBy?: 'quick' | 'libguestfs';
}

/** A Windows service (a Services subkey of the current control set) that runs a Guestprep service wrapper. */
export interface WindowsServiceInfo {
  /** Key name under Services, e.g. ProActiveNode (also the service name `sc` knows). */
  name: string;
  /** Its ImagePath as stored (REG_SZ or REG_EXPAND_SZ, unexpanded). */
  imagePath: string;
  /** Values of its Parameters subkey, by value name: strings as text, DWORDs as decimal text. */
  parameters: Record<string, string>;
}

/**
 * What inspection learns about a Windows guest, read inside the launched appliance. Registry paths are
 * given without the HKLM\SYSTEM prefix; control sets as their key names (ControlSet001 ...), because
 * offline there is no CurrentControlSet link: SYSTEM\Select\Current says which one boots.
 */
export interface WindowsFacts {
  /** e.g. "Windows 10 Pro" (SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName). */
  productName: string;
  /** InstallationType as libguestfs reports it: "Client", "Server", "Server Core", or "" when unknown. */
  productVariant: string;
  /** 6.1 = Windows 7 / Server 2008 R2, 10.0 = Windows 10 and 11 / Server 2016+. */
  majorVersion: number;
  minorVersion: number;
  /** From the PE header of cmd.exe: i386 or x86_64 (or what libguestfs says for other machines). */
  arch: string;
  /** Guest path of %SystemRoot% with its real case, e.g. /Windows. */
  systemRoot: string;
  /** The control set that boots, e.g. ControlSet002: from SYSTEM\Select\Current when it could be read. */
  currentControlSet: string;
  /** What libguestfs inspection said about it (inspect-get-windows-current-control-set), '' if nothing. */
  inspectedControlSet: string;
  /** Set when inspection and SYSTEM\Select\Current disagree (Select was trusted) or Select could not be read. */
  controlSetNote?: string;
  /** Drive letter of the system volume (the inspected root), e.g. "C"; '' when MountedDevices does not say. */
  systemDrive: string;
  /** All drive mappings inspection found: letter -> libguestfs device. */
  driveMappings: Record<string, string>;
  /** Guest path of the SYSTEM hive with its real case (e.g. /Windows/System32/config/SYSTEM). */
  systemHivePath: string;
  /** Guest path of the SOFTWARE hive with its real case, '' if the guest has none. */
  softwareHivePath: string;
  /** Free bytes on the system volume (statvfs of the mounted root). */
  freeBytes: number;
  /** A service in the current control set whose ImagePath runs guestprep-service*.exe, if there is one. */
  existingService?: WindowsServiceInfo;
}

// ---------------------------------------------------------------- archives

export type ArchiveKind = 'tar.gz' | 'tar.xz' | 'tar' | 'zip';

export interface ArchiveEntryInfo {
  /** Path inside the archive, '/'-separated, no leading './'. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  size: number;
  mode: number;
  linkTarget?: string;
}

export type JavaOs = 'linux' | 'windows' | 'macos' | 'unknown';
/** Normalised CPU arch names: x86_64, i386, aarch64, arm, ppc64le, s390x, unknown. */
export type CpuArch = string;

export interface JreInfo {
  archivePath: string;
  kind: ArchiveKind;
  /** Directory inside the archive that holds bin/java ('' when at the root). */
  home: string;
  /** e.g. "17.0.9", "1.8.0_392" */
  version: string;
  /** Feature release: 8, 11, 17, 21 ... */
  major: number;
  os: JavaOs;
  arch: CpuArch;
  /** Where version/os/arch came from. */
  source: 'release-file' | 'inferred';
  /** Bytes once unpacked (sum of file sizes). */
  unpackedBytes: number;
  entryCount: number;
  /** Exact length of the sanitised tar that restreamAsTar sends for `home` (for byte progress). */
  tarBytes?: number;
}

export type ProactiveGeneration = 'legacy' | 'modern';

/**
 * The start scripts a node distribution ships, relative to its home, '/'-separated: at least one. Node
 * distributions are made per OS (a Windows one may carry only bin/proactive-node.bat), so which one a run
 * needs is decided against the inspected guest (checkProactiveForGuest), not when the archive is picked.
 */
export type ProactiveStartScripts =
  | {
      /** POSIX start script: bin/proactive-node (6.2+) or bin/unix/rm-start-node (3.x). */
      startScript: string;
      /** Windows start script: bin/proactive-node.bat (6.2+) or bin/windows/rm-start-node.bat (3.x). */
      windowsStartScript?: string;
    }
  | { startScript?: undefined; windowsStartScript: string };

export type ProactiveInfo = ProactiveStartScripts & {
  archivePath: string;
  kind: ArchiveKind;
  /** Directory inside the archive that is the distribution's home ('' when at the root). */
  home: string;
  /** legacy = 3.x (bin/unix/rm-start-node), modern = 6.2+ (bin/proactive-node). */
  generation: ProactiveGeneration;
  version: string;
  /** The distribution ships jre/ (the modern start script prefers it over JAVA_HOME). */
  bundledJre?: { major: number; version: string; os: JavaOs; arch: CpuArch };
  unpackedBytes: number;
  entryCount: number;
  /** Exact length of the sanitised tar that restreamAsTar sends for `home` (for byte progress). */
  tarBytes?: number;
};

// ---------------------------------------------------------------- settings (what the user asks)

export type RmProtocol = 'pnp' | 'pnps' | 'pamr' | 'rmi';

export interface RmUrl {
  protocol: RmProtocol;
  host: string;
  port: number;
  /** Normalised URL with the default port filled in, e.g. pnp://rm.example.org:64738 */
  url: string;
  /** Something the user should know about this kind of URL (pamr: how to give the router). */
  note?: string;
}

/** Raw settings as typed by a user (CLI flags, app form, preset). Validated into NodeSettings. */
export interface SettingsInput {
  rmUrl: string;
  nodeName?: string;
  nodeSource?: string;
  workers?: number | string;
  /** Host path of a credentials file to install (mode 0600). */
  credentialsFile?: string;
  /** Extra JVM options, one per array element (no shell splitting). */
  jvmOptions?: string[];
  /** Set false to not add -XX:+IgnoreUnrecognizedVMOptions for Java 17+ with a 6.x+ node. */
  ignoreUnrecognizedVmOptions?: boolean;
  installDir?: string;
  serviceName?: string;
  /** 'root' only when explicitly asked. Default: a dedicated system user named like the service. */
  serviceUser?: string;
}

/** What `retarget` may change: the manager settings. Everything else comes from the install record. */
/** Every field is optional: what a retarget does not give stays as the install record says (a rename keeps the URL). */
export type RetargetSettingsInput = Partial<Pick<SettingsInput, 'rmUrl' | 'nodeName' | 'nodeSource' | 'workers' | 'credentialsFile'>>;

export interface NodeSettings {
  rm: RmUrl;
  nodeName: string;
  nodeSource: string;
  workers?: number;
  credentials?: { hostPath: string; bytes: number };
  /** Final JVM options, including the ones Guestprep adds. */
  jvmOptions: string[];
  installDir: string;
  serviceName: string;
  serviceUser: string;
}

// ---------------------------------------------------------------- what Guestprep leaves in the guest

export interface InstallRecord {
  tool: 'guestprep';
  formatVersion: 1;
  guestprepVersion: string;
  /** When the node was first installed in this image (kept by later updates and retargets). */
  installedAt: string;
  /** When a later run (prepare again, retarget) last rewrote the install; absent after the first install. */
  updatedAt?: string;
  installDir: string;
  serviceName: string;
  serviceUser: string;
  /** How the node starts at boot: a Linux init system, or a Windows service (registered in the SYSTEM hive). */
  init: InitSystem | 'windows-service';
  rmUrl: string;
  nodeName: string;
  nodeSource: string;
  workers?: number;
  jvmOptions: string[];
  hasCredentials: boolean;
  jre?: { version: string; arch: string; archive: string };
  /**
   * startScript / windowsStartScript: the distribution's start scripts (relative to node/), so a retarget
   * can write the launcher again without the archive. Absent in records of older versions.
   */
  proactive: { version: string; generation: ProactiveGeneration; archive: string; startScript?: string; windowsStartScript?: string };
  /** Files, links and directories Guestprep created (guest paths), for verification, updates and removal. */
  files: string[];
  /**
   * Directories outside the install directory that the guest did not have and the install created (parents
   * of the install directory, /etc/sysusers.d, ...): `remove` deletes them again when they are empty.
   */
  createdDirs?: string[];
  /**
   * rc.local edited: its path and the exact line we inserted. `previous`: its mode and owner before the
   * first install (the install makes it 0755), and its text when it was blank (the install then replaced it
   * with a fresh script), so `remove` can restore both exactly.
   */
  rcLocal?: { path: string; line: string; previous?: FileStat & { text?: string } };
  /**
   * Debian insserv makefiles (/etc/init.d/.depend.start|stop) the service was added to as a target, and
   * whether a newline had to be added before it (the file did not end with one): `remove` undoes exactly that.
   */
  insserv?: Array<{ path: string; target: string; newlineAdded: boolean }>;
  /**
   * Linux: whether the service user and its group existed before the first install. The ones that did not
   * are created at first boot (systemd-sysusers, or the init script's useradd), and `remove` takes their
   * lines out of /etc/passwd, /etc/shadow, /etc/group and /etc/gshadow. Absent: unknown (older records, or a
   * user of root): accounts are then left alone.
   */
  serviceAccount?: { user: string; userExisted: boolean; groupExisted: boolean };
  /** Windows guests: where the service was registered (control set name and the key under it). */
  windowsService?: { controlSet: string; key: string };
}

// ---------------------------------------------------------------- plans

/**
 * A guestfish command as an argv. Arguments are quoted for guestfish when rendered; an argument
 * may be a reference to a host-side stream that the executor provides (a FIFO) and that the
 * dry-run script replaces by a file it writes next to the script.
 */
export type GfArg = string | { upload: UploadRef };

export interface UploadRef {
  /** Which archive (or file) is streamed: 'jre', 'proactive', 'credentials', 'wrapper', 'service-reg', 'system-hive'. */
  id: string;
  /**
   * 'file': a host file used as is (credentials, the service wrapper). 'tar': an archive re-streamed as a
   * plain, sanitised tar (through a FIFO). 'content': `content` written to a host temp file before the
   * command runs (a dry run writes it next to the script, so it can be read and reused). 'scratch': a host
   * temp file the executor allocates once per id and keeps for the whole run, so one command can
   * `download` into it, a local program change it, and another command `upload` it back.
   */
  kind: 'file' | 'tar' | 'content' | 'scratch';
  /** Host path of the source (the archive or the file); '' for 'content' and 'scratch'. */
  source: string;
  /** Bytes the executor will send for it (for progress). */
  bytes: number;
  /** 'content' only: the exact text to write. */
  content?: string;
  /** 'content' and 'scratch': the file name suffix the dry run uses next to the script (e.g. 'service.reg'). */
  fileName?: string;
}

export interface GfCommand {
  argv: [string, ...GfArg[]];
  /**
   * A HOST program instead of a guestfish command: argv is the program and its arguments (refs resolved
   * to host paths). The executor runs it without a shell and fails the step on a non-zero exit; scripts
   * render it as a guestfish `!` line, so a dry-run script stays runnable with `guestfish -f`.
   */
  local?: true;
}

/** What verification must find in the overlay after the plan ran. */
export type Expectation =
  /**
   * `lacks`: a text the file must no longer hold (a line Guestprep took out). `sha256`: the exact content, by
   * its hash (files Guestprep restores, such as /etc/shadow, whose text must not be kept in the journal).
   */
  | { kind: 'file'; path: string; mode: number; uid: number; gid: number; contains?: string; lacks?: string; sha256?: string }
  | { kind: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'absent'; path: string }
  /** NTFS (Windows guests): modes and owners mean nothing there, so only the type (and a text) is checked. */
  | { kind: 'present'; path: string; type: 'file' | 'dir'; contains?: string }
  /**
   * A registry key in a hive file of the guest, read back on the host with `hivexregedit --export`:
   * every listed value must be there with exactly this type and data.
   */
  | { kind: 'registry'; hivePath: string; prefix: string; key: string; values: Record<string, RegistryValue> }
  /** A registry key that must not exist in a hive file of the guest (a service Guestprep took out). */
  | { kind: 'registry-absent'; hivePath: string; prefix: string; key: string };

/** A registry value as Guestprep writes and verifies it. */
export interface RegistryValue {
  type: 'dword' | 'sz' | 'expand_sz';
  data: string | number;
}

export interface PlanStep {
  /** Stable id, kebab-case: 'upload-jre', 'install-systemd-unit', ... */
  id: string;
  /** Human title, shown in progress and errors: 'Upload the Java runtime'. */
  title: string;
  commands: GfCommand[];
  /** Bytes this step streams to the appliance (archive steps), for progress. */
  bytes?: number;
}

export interface Plan {
  steps: PlanStep[];
  expectations: Expectation[];
  /** Bytes the install needs in the guest (unpacked archives plus a margin). */
  requiredBytes: number;
  /** Sentences for the report: what will happen at next boot. */
  atNextBoot: string[];
  record: InstallRecord;
  warnings: string[];
}

// ---------------------------------------------------------------- events (progress)

export type RunPhase = 'checks' | 'overlay' | 'launch' | 'inspect' | 'write' | 'verify' | 'commit' | 'done';

export type RunEvent =
  | { type: 'phase'; phase: RunPhase; message: string }
  | { type: 'step'; stepId: string; title: string; status: 'running' | 'done' | 'failed'; index: number; total: number }
  | { type: 'bytes'; stepId: string; sent: number; total: number }
  | { type: 'progress'; percent: number }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string };

// ---------------------------------------------------------------- VirtualBox (who uses a disk)

export interface VboxDisk {
  path: string;
  format: string;
  /** Disks attached to a running VM cannot be chosen: the reason says why. */
  usable: boolean;
  /** For a snapshot (differencing) layer: the disks under it, nearest first, down to the base. */
  layers?: string[];
  reason?: string;
}

export interface VboxVm {
  name: string;
  uuid: string;
  settingsFile: string;
  state: 'running' | 'poweroff' | 'saved' | 'unknown';
  disks: VboxDisk[];
}
