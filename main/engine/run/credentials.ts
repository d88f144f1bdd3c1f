// The credentials file is read on the host before any launch: unreadable or implausibly large files are
// refused with a fix instead of failing half-way through a run.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fail } from '../errors';

/** ProActive credential files are a few KB of encrypted text; anything far larger is the wrong file. */
export const MAX_CREDENTIALS_BYTES = 64 * 1024;

export async function checkCredentialsFile(path: string): Promise<{ hostPath: string; bytes: number }> {
  const hostPath = resolve(path);
  let fh;
  try {
    // O_NONBLOCK: a named pipe given as --credentials would otherwise block the run forever in open()
    // (no effect on regular files); fstat below then refuses it as "not a regular file".
    fh = await open(hostPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      fail('CREDENTIALS_UNREADABLE', `The credentials file ${hostPath} cannot be read: permission denied.`,
        `Make it readable by the user running Guestprep (chmod u+r "${hostPath}", as its owner), or run Guestprep as that owner.`);
    }
    fail(
      'CREDENTIALS_UNREADABLE',
      code === 'ENOENT' ? `The credentials file ${hostPath} does not exist.` : `The credentials file ${hostPath} cannot be read (${code}).`,
      'Create it on the Resource Manager with `proactive-create-cred` (or `create-cred` in 3.x) and pass its path with --credentials.',
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) fail('CREDENTIALS_UNREADABLE', `${hostPath} is not a regular file.`, 'Pass the credentials file itself with --credentials.');
    if (st.size === 0) fail('CREDENTIALS_UNREADABLE', `The credentials file ${hostPath} is empty.`, 'Create it again with `proactive-create-cred` on the Resource Manager.');
    if (st.size > MAX_CREDENTIALS_BYTES) {
      fail('CREDENTIALS_UNREADABLE', `The credentials file ${hostPath} is ${st.size} bytes; credential files are a few KB.`, 'Check that --credentials points at the file made by `proactive-create-cred`.');
    }
    // Read one byte: a file that stats fine may still be unreadable (permissions on some filesystems).
    await fh.read(Buffer.alloc(1), 0, 1, 0);
    return { hostPath, bytes: st.size };
  } finally {
    await fh.close();
  }
}
