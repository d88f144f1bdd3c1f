// Drive numbers of an appliance with several disks (a batch): /dev/sda is drive 0, /dev/sdb drive 1, and
// a guest's own fstab names (/dev/sda2) mean the same partition on the drive that guest sits on.

/** Which drive of the appliance (0 = the first -a) a device is on; undefined for LVM and other mapped devices. */
export function driveOf(device: string): number | undefined {
  const m = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]+)\d*$/.exec(device);
  if (!m) return undefined;
  let n = 0;
  for (const c of m[1]) n = n * 26 + (c.charCodeAt(0) - 96);
  return n - 1;
}

/** The same partition on another drive: /dev/sda2 on drive 1 is /dev/sdb2 (undefined for mapped devices). */
export function onDrive(device: string, drive: number): string | undefined {
  const m = /^(\/dev\/(?:sd|vd|hd|xvd))([a-z]+)(\d*)$/.exec(device);
  if (!m) return undefined;
  let letters = '';
  for (let n = drive + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(97 + ((n - 1) % 26)) + letters;
  return `${m[1]}${letters}${m[3]}`;
}

/**
 * A device on one of Guestprep's own drives, the ones after the first `guestDrives` guest disks (the archive
 * disks, run/archive-disks.ts): no guest can mean it. Mapped devices (LVM...) are the guest's.
 */
export function onOwnDrive(device: string, guestDrives: number | undefined): boolean {
  const d = driveOf(device);
  return guestDrives !== undefined && d !== undefined && d >= guestDrives;
}
