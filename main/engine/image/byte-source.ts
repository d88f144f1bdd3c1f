// Random access to the first and last bytes of an image. Header parsers only ever need a few
// kilobytes at known offsets, so they read through this interface instead of streaming the file;
// tests feed hand-crafted buffers through the same interface.

import { promises as fsp } from 'node:fs';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter (possibly empty) when the range passes the end. */
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    async read(offset, length) {
      if (offset >= buf.length || length <= 0) return Buffer.alloc(0);
      return Buffer.from(buf.subarray(offset, Math.min(buf.length, offset + length)));
    },
  };
}

export function fileSource(handle: fsp.FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      if (offset >= size || length <= 0) return Buffer.alloc(0);
      const n = Math.min(length, size - offset);
      const buf = Buffer.alloc(n);
      let got = 0;
      // read() may return fewer bytes than asked (pipes, network filesystems): loop until done or EOF.
      while (got < n) {
        const { bytesRead } = await handle.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
  };
}

/** Reads bytes that must all be there; `null` when the source ends first (the caller reports truncation). */
export async function readExact(src: ByteSource, offset: number, length: number): Promise<Buffer | null> {
  const b = await src.read(offset, length);
  return b.length === length ? b : null;
}
