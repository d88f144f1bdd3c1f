// Every program on the host the engine may run, in one table: which Debian package has it, whether runs
// cannot do without it, and what needs it. `guestprep doctor` checks each one from here, so a tool the
// engine starts calling is checked as soon as it has its row.

export interface HostTool {
  /** The command, looked up on PATH. */
  command: string;
  /** The Debian package that installs it. */
  debianPackage: string;
  /** required: some runs fail without it; optional: a run works without it, slower or with less. */
  need: 'required' | 'optional';
  /** What needs it, for the user. */
  usedFor: string;
}

export const HOST_TOOLS: readonly HostTool[] = [
  { command: 'guestfish', debianPackage: 'libguestfs-tools', need: 'required', usedFor: 'every run: inspects and writes the guest in the appliance' },
  { command: 'qemu-img', debianPackage: 'qemu-utils', need: 'required', usedFor: 'every run: the overlay, its commit into the image, the lock check' },
  { command: 'hivexregedit', debianPackage: 'libwin-hivex-perl', need: 'required', usedFor: 'Windows guests: registering the service in the SYSTEM hive' },
  { command: 'xz', debianPackage: 'xz-utils', need: 'required', usedFor: '.tar.xz archives (the JRE or the node)' },
  { command: 'mkfifo', debianPackage: 'coreutils', need: 'required', usedFor: 'every run: streaming the archives into the appliance' },
  { command: 'sh', debianPackage: 'dash', need: 'required', usedFor: 'every run: starting guestfish' },
  { command: 'sqfstar', debianPackage: 'squashfs-tools', need: 'optional', usedFor: 'fast copies: archives unpacked into squashfs disks (without it they are streamed with tar-in, slower)' },
  { command: 'VBoxManage', debianPackage: 'virtualbox', need: 'optional', usedFor: 'refusing the disk of a running VirtualBox VM (without it, VirtualBox\'s config files are read)' },
];

/** The install command for a tool's package, as doctor and error fixes say it. */
export function installCommand(tool: Pick<HostTool, 'debianPackage'>): string {
  return `sudo apt-get install ${tool.debianPackage}`;
}
