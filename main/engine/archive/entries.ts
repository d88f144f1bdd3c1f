// Streams the entries of an archive, one at a time, without extracting anything to disk and with
// bounded memory: tar.gz through node's gunzip, tar.xz through the host's `xz -dc` (xz-utils is part
// of every Debian/Ubuntu base system, and node has no xz decoder), plain tar directly, zip through
// yauzl (random access to the central directory, so skipped zip entries cost nothing).

import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable, PassThrough, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yauzl from 'yauzl';
import type { ArchiveEntryInfo, ArchiveKind } from '../types';
import { GuestprepError, type ErrorData } from '../errors';
import { ACCEPTED_ARCHIVES } from './kind';
import { normaliseEntryPath } from './safety';

export interface ArchiveEntry {
  info: ArchiveEntryInfo;
  /** Modification time, seconds since the epoch (0 when unknown). */
  mtime: number;
  /** Compressed bytes of this entry (zip only; tar streams are compressed as a whole). */
  compressedSize?: number;
  /**
   * The entry's content. Valid only until the next entry is pulled from the generator: whatever was
   * not read by then is skipped (tar) or discarded (zip). Call at most once.
   */
  open(): Readable;
}

/** Longest symlink target read from a zip (Linux PATH_MAX). */
const MAX_ZIP_SYMLINK_TARGET = 4096;

function corrupt(name: string, why: string, detail?: string): GuestprepError {
  const data: ErrorData = {
    code: 'ARCHIVE_CORRUPT',
    message: `${name} is damaged or incomplete: ${why}.`,
    fix: 'Download the archive again (an interrupted download gives exactly this) and check its checksum ' +
      'against the one published next to it.',
  };
  if (detail) data.detail = detail;
  return new GuestprepError(data);
}

/** Streams the entries of an archive of a known kind (see detectArchiveKind). */
export function readEntries(path: string, kind: ArchiveKind): AsyncGenerator<ArchiveEntry> {
  return kind === 'zip' ? readZipEntries(path) : readTarEntries(path, kind);
}

// ------------------------------------------------------------------------------------------ tar

/** The part of tar-stream's (streamx) entry stream that is used here. */
interface EntrySource {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  once(event: 'end' | 'close', fn: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

interface PendingTarEntry {
  header: tar.Header;
  stream: EntrySource;
  next: (err?: Error | null) => void;
}

function tarType(header: tar.Header, rawName: string): ArchiveEntryInfo['type'] {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return rawName.endsWith('/') ? 'directory' : 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/**
 * Wraps one tar-stream entry: hands a node Readable to the consumer (with back-pressure) and drains
 * what the consumer left, because tar-stream only moves on once an entry's data was read. Never
 * destroys the entry stream itself: tar-stream then destroys the whole extraction.
 */
class TarEntryContent {
  private out?: Readable;
  private detached = false;
  private ended = false;
  private closed = false;

  constructor(private readonly src: EntrySource, private readonly failure: () => Promise<Error>) {
    src.on('error', () => { /* reported through the extractor's own 'error' */ });
    src.once('end', () => { this.ended = true; });
    src.once('close', () => { this.closed = true; });
  }

  open(): Readable {
    if (this.out || this.detached) throw new Error('open() may be called once, before the next entry is pulled');
    const src = this.src;
    const out = new Readable({
      highWaterMark: 64 * 1024,
      read: () => { src.resume(); },
      destroy: (err, cb) => { this.detached = true; cb(err); },
    });
    src.on('data', (chunk: Buffer) => {
      if (this.detached) return;
      if (!out.push(chunk)) src.pause();
    });
    src.once('end', () => { if (!this.detached) out.push(null); });
    src.once('close', () => {
      if (!this.detached && !this.ended) void this.failure().then((err) => out.destroy(err));
    });
    this.out = out;
    return out;
  }

  /** Skips the rest of the entry's data. */
  async drain(): Promise<void> {
    this.detached = true;
    if (this.ended || this.closed) return;
    await new Promise<void>((resolve) => {
      this.src.once('end', resolve);
      this.src.once('close', resolve);
      this.src.on('data', () => { /* discarded */ });
      this.src.resume();
    });
  }
}

async function* readTarEntries(path: string, kind: ArchiveKind): AsyncGenerator<ArchiveEntry> {
  const name = basename(path);
  const extract = tar.extract();
  const pending: PendingTarEntry[] = [];
  let failure: GuestprepError | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const poke = (): void => { const w = wake; wake = undefined; w?.(); };
  let xzFailure: GuestprepError | undefined;
  const setFailure = (err: GuestprepError): void => {
    if (!failure) failure = err;
    // Unblock whoever waits on the current entry's data: destroying the extractor closes it.
    extract.destroy();
    poke();
  };
  const currentFailure = (): GuestprepError => xzFailure ?? failure ?? corrupt(name, 'the archive data stopped early');
  let childExit: Promise<number | null> | undefined;
  /** The failure, once xz (if any) had a moment to exit and say why the stream stopped. */
  const settledFailure = async (): Promise<GuestprepError> => {
    if (childExit) await Promise.race([childExit, new Promise((r) => setTimeout(r, 2000))]);
    return currentFailure();
  };

  extract.on('entry', (header, stream, next) => {
    pending.push({ header, stream: stream as unknown as EntrySource, next });
    poke();
  });
  extract.on('finish', () => { finished = true; poke(); });
  extract.on('error', (err: Error) => {
    setFailure(corrupt(name, kind === 'tar' ? 'it is not a valid tar archive' : 'the unpacked data is not a valid tar archive', err.message));
  });

  // xz reads the file itself; the other kinds are read here.
  const file = kind === 'tar.xz' ? undefined : createReadStream(path, { highWaterMark: 256 * 1024 });
  file?.on('error', (err) => setFailure(new GuestprepError({
    code: 'ARCHIVE_UNREADABLE', message: `${name} cannot be read: ${err.message}.`,
    fix: 'Check that the file is still there and readable, then try again.',
  })));

  let child: ChildProcess | undefined;
  let childStderr = '';
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  const sink = extract as unknown as Writable;

  if (kind === 'tar.gz') {
    gunzip = createGunzip();
    gunzip.on('error', (err) => setFailure(corrupt(name, 'its gzip data ends early or is damaged', err.message)));
    file!.pipe(gunzip).pipe(sink);
  } else if (kind === 'tar.xz') {
    const proc = spawn('xz', ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (s: string) => { if (childStderr.length < 4096) childStderr += s; });
    childExit = new Promise((resolve) => {
      proc.once('error', (err: NodeJS.ErrnoException) => {
        setFailure(new GuestprepError({
          code: 'ARCHIVE_UNREADABLE',
          message: err.code === 'ENOENT'
            ? `${name} is xz-compressed, and the xz program is not installed on this computer.`
            : `${name}: could not run xz: ${err.message}.`,
          fix: `Install xz (Debian/Ubuntu: apt-get install xz-utils), or use the archive as ${ACCEPTED_ARCHIVES.replace('.tar.xz, ', '')}.`,
        }));
        resolve(null);
      });
      proc.once('close', (code) => {
        if (code !== 0) {
          // xz's own message ("Unexpected end of input") is the cause; the tar parser's comes second.
          xzFailure = corrupt(name, 'its xz data ends early or is damaged', childStderr.trim() || `xz exited with ${code}`);
          setFailure(xzFailure);
        }
        resolve(code);
      });
    });
    proc.stdout.pipe(sink);
  } else {
    file!.pipe(sink);
  }

  const waitForProgress = (): Promise<void> => new Promise((resolve) => {
    if (failure || pending.length > 0 || finished) resolve();
    else wake = resolve;
  });

  try {
    for (;;) {
      await waitForProgress();
      if (failure) throw await settledFailure();
      const item = pending.shift();
      if (item) {
        const rawName = item.header.name;
        const path = normaliseEntryPath(rawName);
        const type = tarType(item.header, rawName);
        const content = new TarEntryContent(item.stream, settledFailure);
        if (path !== '') {
          const info: ArchiveEntryInfo = {
            path,
            type,
            size: type === 'file' ? item.header.size ?? 0 : 0,
            mode: (item.header.mode ?? 0) & 0o7777,
          };
          if ((type === 'symlink' || type === 'hardlink') && item.header.linkname) info.linkTarget = item.header.linkname;
          const mtime = item.header.mtime ? Math.floor(item.header.mtime.getTime() / 1000) : 0;
          yield { info, mtime, open: () => content.open() };
        }
        await content.drain();
        item.next();
        continue;
      }
      if (finished) {
        if (childExit && (await childExit) !== 0) throw currentFailure();
        return;
      }
    }
  } finally {
    file?.destroy();
    gunzip?.destroy();
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    extract.destroy();
  }
}

// ------------------------------------------------------------------------------------------ zip

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

function zipInfo(entry: yauzl.Entry, path: string, rawName: string): ArchiveEntryInfo {
  const unix = entry.externalFileAttributes >>> 16;
  const fmt = unix & S_IFMT;
  const dosDir = (entry.externalFileAttributes & 0x10) !== 0;
  let type: ArchiveEntryInfo['type'];
  if (rawName.endsWith('/') || fmt === S_IFDIR || (fmt === 0 && dosDir)) type = 'directory';
  else if (fmt === S_IFLNK) type = 'symlink';
  else if (fmt === 0 || fmt === S_IFREG) type = 'file';
  else type = 'other';
  // Zips made on Windows carry no unix mode: use the usual defaults.
  const perm = unix & 0o7777;
  const mode = perm !== 0 ? perm : type === 'directory' ? 0o755 : 0o644;
  return { path, type, size: type === 'file' ? entry.uncompressedSize : 0, mode };
}

function nextZipEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry): void => { cleanup(); resolve(e); };
    const onEnd = (): void => { cleanup(); resolve(undefined); };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const cleanup = (): void => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openZipStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, rs) => (err ? reject(err) : resolve(rs)));
  });
}

/**
 * Lets a yauzl stream run to its end, unread. Never destroy a yauzl stream that may have a read
 * queued (even a fresh one: yauzl pipes into its inflater at once): the queued fs.read then
 * dereferences a cleared fd and throws outside any handler (yauzl 3.4 fd-slicer), killing the process.
 */
function discardZipStream(rs: Readable): void {
  if (rs.readableEnded || rs.destroyed) return;
  rs.on('data', () => { /* discarded */ });
  rs.resume();
}

/** Reads a whole (small) zip entry. Never breaks out early: see the note on destroying yauzl streams. */
async function readAll(rs: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of rs) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function* readZipEntries(path: string): AsyncGenerator<ArchiveEntry> {
  const name = basename(path);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, {
      lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true,
    });
  } catch (err) {
    throw corrupt(name, 'its zip directory cannot be read', (err as Error).message);
  }
  let open: Readable | undefined;
  try {
    for (;;) {
      let entry: yauzl.Entry | undefined;
      try {
        entry = await nextZipEntry(zip);
      } catch (err) {
        throw corrupt(name, 'its zip directory is damaged', (err as Error).message);
      }
      if (!entry) return;
      // decodeStrings is off so that yauzl does not reject '..' and absolute names itself: the
      // safety checks must see them to name the entry in a clear ARCHIVE_UNSAFE_ENTRY error.
      const rawName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const path = normaliseEntryPath(rawName);
      if (path === '') continue;
      const info = zipInfo(entry, path, rawName);
      if (entry.isEncrypted()) {
        throw new GuestprepError({
          code: 'ARCHIVE_FORMAT_UNSUPPORTED',
          message: `${name} is password-protected (the entry "${path}" is encrypted).`,
          fix: 'Use the archive as published by its vendor, or re-create it without a password.',
        });
      }
      if (info.type !== 'directory' && !entry.canDecodeFileData()) {
        throw new GuestprepError({
          code: 'ARCHIVE_FORMAT_UNSUPPORTED',
          message: `${name} uses a zip compression method Guestprep cannot read (method ${entry.compressionMethod}, entry "${path}").`,
          fix: `Re-create the archive with standard compression (deflate), or use ${ACCEPTED_ARCHIVES}.`,
        });
      }
      if (info.type === 'symlink') {
        try {
          if (entry.uncompressedSize > MAX_ZIP_SYMLINK_TARGET) throw new Error(`target longer than ${MAX_ZIP_SYMLINK_TARGET} bytes`);
          info.linkTarget = (await readAll(await openZipStream(zip, entry))).toString('utf8');
        } catch (err) {
          throw corrupt(name, `the symlink "${path}" cannot be read`, (err as Error).message);
        }
      }
      const current = entry;
      const mtime = Math.floor(entry.getLastModDate().getTime() / 1000);
      yield {
        info,
        mtime,
        compressedSize: entry.compressedSize,
        open: () => {
          if (open) throw new Error('open() may be called once per entry');
          const pt = new PassThrough({ highWaterMark: 64 * 1024 });
          open = pt;
          if (info.type === 'symlink') {
            pt.end(Buffer.from(info.linkTarget ?? '', 'utf8'));
            return pt;
          }
          if (info.type !== 'file') { pt.end(); return pt; }
          openZipStream(zip, current).then((rs) => {
            rs.on('error', (err) => pt.destroy(corrupt(name, `the entry "${path}" cannot be unpacked`, err.message)));
            if (pt.destroyed) { discardZipStream(rs); return; }
            pt.on('close', () => { rs.unpipe(pt); discardZipStream(rs); });
            rs.pipe(pt);
          }, (err: Error) => pt.destroy(corrupt(name, `the entry "${path}" cannot be unpacked`, err.message)));
          return pt;
        },
      };
      open?.destroy();
      open = undefined;
    }
  } finally {
    open?.destroy();
    zip.close();
  }
}
