// Errors are data: every failure the user can meet carries a stable code, a message that says what
// happened, and a fix that says what to do. The CLI prints them, the app shows them, JSON carries them.

export type ErrorCode =
  // input files and settings
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_UNREADABLE'
  | 'IMAGE_NOT_A_DISK'
  | 'IMAGE_FORMAT_UNSUPPORTED'
  | 'IMAGE_DIFFERENCING_VDI'
  | 'IMAGE_STREAM_OPTIMIZED_VMDK'
  | 'IMAGE_HAS_BACKING_FILE'
  /** A file the image's header names (VMDK extent, parent disk) is outside the image's folder or not a regular file. */
  | 'IMAGE_EXTENT_OUTSIDE'
  | 'IMAGE_LOCKED'
  | 'IMAGE_READ_ONLY'
  | 'IMAGE_CHANGED_DURING_RUN'
  /** Another run (in this process or another: the app, the CLI, `guestprep serve`) is working on the same image. */
  | 'IMAGE_BUSY'
  /** A run on the image was interrupted and its recovery has not succeeded yet. */
  | 'RECOVERY_PENDING'
  /** A VirtualBox VM that uses the disk is running (or saved). */
  | 'IMAGE_IN_USE_BY_VM'
  | 'ARCHIVE_NOT_FOUND'
  | 'ARCHIVE_UNREADABLE'
  | 'ARCHIVE_FORMAT_UNSUPPORTED'
  | 'ARCHIVE_CORRUPT'
  | 'ARCHIVE_UNSAFE_ENTRY'
  | 'ARCHIVE_TOO_LARGE'
  | 'ARCHIVE_DISK_FAILED'
  | 'JRE_NOT_FOUND'
  | 'JRE_WRONG_OS'
  | 'JRE_WRONG_ARCH'
  | 'PROACTIVE_NOT_FOUND'
  | 'SETTING_INVALID'
  | 'CREDENTIALS_UNREADABLE'
  // guest
  | 'GUEST_NO_OS'
  | 'GUEST_MULTI_BOOT'
  /** No readable OS, but an encrypted (LUKS, BitLocker) volume: the system is inside and cannot be opened offline. */
  | 'GUEST_ENCRYPTED'
  | 'GUEST_UNSUPPORTED_OS'
  | 'GUEST_NO_BOOT_HOOK'
  | 'GUEST_NO_SPACE'
  /** retarget/remove: the image has no Guestprep install (no install.json where it was looked for). */
  | 'GUEST_NOT_PREPARED'
  // appliance and execution
  | 'LIBGUESTFS_MISSING'
  | 'QEMU_IMG_MISSING'
  /** The appliance had to be killed after writing (it did not finish `quit`): its writes may not be in the overlay. */
  | 'APPLIANCE_SHUTDOWN_FAILED'
  | 'APPLIANCE_LAUNCH_FAILED'
  | 'APPLIANCE_CACHE_BROKEN'
  | 'STEP_FAILED'
  | 'VERIFY_FAILED'
  | 'COMMIT_FAILED'
  // desktop app and browser bridge
  | 'RUN_NOT_FOUND'
  | 'BRIDGE_DISCONNECTED'
  | 'CANCELLED'
  // local storage (presets and run history)
  | 'STORE_TOO_NEW'
  | 'STORE_UNREADABLE'
  | 'INTERNAL';

export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** What the user should do about it. Always present: an error without a fix is a bug. */
  fix: string;
  /** The plan step that failed, when the failure happened while running a plan. */
  step?: string;
  /** Raw tool output worth showing under "details". */
  detail?: string;
  /**
   * The field of a request or a setting at fault, as a dotted path (e.g. `settings.nodeName`, `limit`), so
   * a form can show the error under that field.
   */
  field?: string;
}

export class GuestprepError extends Error {
  readonly code: ErrorCode;
  readonly fix: string;
  readonly step?: string;
  readonly detail?: string;
  readonly field?: string;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'GuestprepError';
    this.code = data.code;
    this.fix = data.fix;
    this.step = data.step;
    this.detail = data.detail;
    this.field = data.field;
  }

  toData(): ErrorData {
    const d: ErrorData = { code: this.code, message: this.message, fix: this.fix };
    if (this.step !== undefined) d.step = this.step;
    if (this.detail !== undefined) d.detail = this.detail;
    if (this.field !== undefined) d.field = this.field;
    return d;
  }
}

export function fail(code: ErrorCode, message: string, fix: string, extra: Partial<ErrorData> = {}): never {
  throw new GuestprepError({ code, message, fix, ...extra });
}

/** Turns anything thrown into error data; unknown exceptions become INTERNAL with the stack as detail. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof GuestprepError) return err.toData();
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    code: 'INTERNAL',
    message: e.message,
    fix: 'This is a bug in Guestprep. Please report it with the details below.',
    detail: e.stack,
  };
}
