// Re-streams a JRE or ProActive archive as the plain tar that guestfish `tar-in` unpacks into the guest:
// only the entries under the archive's home (with that folder name removed), owned by root, with
// sanitised modes, after the safety checks. Nothing is written to disk on the host: the tar is produced
// on demand, chunk by chunk, as the reader (a FIFO read by guestfish) consumes it.

import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ArchiveKind } from '../types';
import { GuestprepError } from '../errors';
import { readEntries } from './entries';
import { EntryChecker, DEFAULT_MAX_UNPACKED_BYTES } from './safety';
import { TarLayout, encodeHeaders, paddingFor, END_OF_ARCHIVE_BYTES } from './tar-writer';

export { totalTarBytes } from './tar-writer';

export interface RestreamOptions {
  /** The folder inside the archive to send (JreInfo.home / ProactiveInfo.home), '' for everything. */
  stripPrefix: string;
  /** Called with the running total of tar bytes produced so far (cumulative, not a delta). */
  onBytes?: (sent: number) => void;
  /** Aborting destroys the stream with a CANCELLED error and stops reading the archive. */
  signal?: AbortSignal;
  /** Limit of unpacked bytes (default 4 GiB): above it, ARCHIVE_TOO_LARGE. */
  maxBytes?: number;
}

function cancelled(): GuestprepError {
  return new GuestprepError({
    code: 'CANCELLED',
    message: 'Copying the archive was cancelled.',
    fix: 'Start the run again when you are ready.',
  });
}

const ZEROS = Buffer.alloc(512);

async function* produceTar(path: string, kind: ArchiveKind, opts: RestreamOptions): AsyncGenerator<Buffer> {
  const name = basename(path);
  const archiveBytes = (await stat(path)).size;
  const checker = new EntryChecker({
    archiveName: name, root: opts.stripPrefix, archiveBytes, maxBytes: opts.maxBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
  });
  const layout = new TarLayout(opts.stripPrefix, name);
  let sent = 0;
  const count = (b: Buffer): Buffer => {
    sent += b.length;
    opts.onBytes?.(sent);
    return b;
  };
  for await (const e of readEntries(path, kind)) {
    if (opts.signal?.aborted) throw cancelled();
    checker.check(e.info, e.compressedSize);
    const members = layout.map(e.info, e.mtime);
    for (const m of members) {
      yield count(encodeHeaders(m));
      if (m.type !== 'file' || m.name !== layout.relative(e.info.path)) continue;
      let n = 0;
      if (m.size > 0) {
        for await (const chunk of e.open()) {
          const b = chunk as Buffer;
          n += b.length;
          // tar-stream and yauzl (validateEntrySizes) both enforce the declared size; this is the last guard,
          // because a wrong size here would shift every following header of the stream we send.
          if (n > m.size) break;
          yield count(b);
        }
      }
      if (n !== m.size) {
        throw new GuestprepError({
          code: 'ARCHIVE_CORRUPT',
          message: `${name}: the entry "${e.info.path}" holds ${n} bytes instead of the ${m.size} its header declares.`,
          fix: 'Download the archive again and check its checksum against the published one.',
        });
      }
      const pad = paddingFor(m.size);
      if (pad > 0) yield count(ZEROS.subarray(0, pad));
    }
  }
  yield count(Buffer.alloc(END_OF_ARCHIVE_BYTES));
}

/**
 * A Readable producing the sanitised, uncompressed POSIX tar of the entries under `opts.stripPrefix`.
 * Back-pressure is end to end: nothing more is read from the archive than the reader has asked for
 * (plus small buffers). Errors (GuestprepError: ARCHIVE_UNSAFE_ENTRY, ARCHIVE_TOO_LARGE, ARCHIVE_CORRUPT,
 * CANCELLED) are emitted as the stream's 'error'. Destroying the stream stops reading the archive
 * (and kills xz for .tar.xz). Its length is exactly totalTarBytes(entries, stripPrefix).
 */
export function restreamAsTar(path: string, kind: ArchiveKind, opts: RestreamOptions): Readable {
  const out = Readable.from(produceTar(path, kind, opts), { objectMode: false, highWaterMark: 256 * 1024 });
  const signal = opts.signal;
  if (signal) {
    if (signal.aborted) out.destroy(cancelled());
    else {
      const onAbort = (): void => { out.destroy(cancelled()); };
      signal.addEventListener('abort', onAbort, { once: true });
      out.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return out;
}
