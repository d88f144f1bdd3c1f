// Host-side streams handed to guestfish through named pipes: guestfish `tar-in`/`upload` take a host file
// name, and a FIFO lets us feed them a sanitised tar we produce on the fly, counting bytes for progress,
// without writing a second copy of the archives to disk.

import { spawnSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fail } from '../errors';

export function makeFifo(path: string): void {
  // Node has no mkfifo(); coreutils' mkfifo is on every Linux host that has libguestfs.
  const r = spawnSync('mkfifo', ['-m', '0600', path], { encoding: 'utf8' });
  if (r.status !== 0) fail('INTERNAL', `Could not create a pipe at ${path}: ${r.stderr || r.error}`, 'Check that the temporary folder is writable.');
}

export interface FifoFeed {
  /** Resolves with the bytes written once the reader has consumed everything; rejects on stream errors. */
  done: Promise<number>;
  /** Unblocks and stops the writer when the reader will never come (guestfish failed before opening it). */
  abandon(): void;
}

export function feedFifo(path: string, source: Readable, onBytes?: (n: number) => void): FifoFeed {
  let sent = 0;
  let abandoned = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      onBytes?.(sent);
      cb(null, chunk);
    },
  });
  // Opening a FIFO for writing blocks (in libuv's thread pool) until a reader opens it.
  const out = createWriteStream(path);
  const done = pipeline(source, counter, out).then(
    () => sent,
    (err: unknown) => {
      if (abandoned) return sent;
      throw err;
    },
  );
  // The reader may fail first (guestfish reports it); the feed's own rejection is read later, if at all.
  done.catch(() => undefined);
  return {
    done,
    abandon() {
      if (abandoned) return;
      abandoned = true;
      source.destroy();
      // Release a writer stuck in open(): become a reader for a moment, then go away (EPIPE ends it).
      try {
        closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      } catch {
        /* already gone */
      }
      out.destroy();
    },
  };
}
