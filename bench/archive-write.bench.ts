// `npm run bench:archives`: how should archives get into the guest? In ONE appliance launch (Guestprep's own
// launchAppliance and GuestfishSession, so KVM or TCG is chosen as in a run) on a scratch qcow2 disk holding a
// blank ext4 and a blank NTFS filesystem, each round writes the same archives with each method into an empty
// folder (rm-rf between writes), in an order rotated every round, and times each write until `sync` is done
// (host-side preparation included: unzipping, gunzipping, re-streaming):
//
//   .tar.gz  tgz-in                 the archive as is; gunzip runs inside the (emulated) appliance
//            tar-in compress:gzip   the same through tar-in's optional argument (when this guestfish has it)
//            restream -> tar-in     Guestprep's way: restreamAsTar (gunzip + checks + sanitising on the host)
//                                   into a FIFO that tar-in reads
//            gunzip -> tar-in       reference: plain host gunzip into the FIFO, without the checks
//   .zip     restream -> tar-in     Guestprep's way
//            unzip + tar + tar-in   naive: unzip into a host temp folder, tar it into a temp file, tar-in
//            unzip + copy-in        naive: unzip into a host temp folder, guestfish copy-in
//
// Inputs: the benchmark archives of bench/fixtures.ts (45 MB JRE .tar.gz, 55 MB ProActive .zip and the same
// node as .tgz, of incompressible filler like the jars of a real node) plus a JRE-like .tar.gz whose content
// compresses about 3:1 like a real JRE's. With it, host-side gunzip sends ~3x more bytes through the
// appliance's channel while tgz-in sends the compressed bytes but inflates them under emulation: that is the
// real trade-off, which incompressible filler hides.
// Env: BENCH_RUNS (rounds, default 3), BENCH_FS (default "ext4,ntfs").

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { restreamAsTar } from '../main/engine/archive/restream';
import type { ArchiveKind } from '../main/engine/types';
import { feedFifo, makeFifo } from '../main/engine/execute/fifo';
import { launchAppliance, newLaunchStats } from '../main/engine/guestfish/launch';
import type { GuestfishSession } from '../main/engine/guestfish/session';
import { benchRuns, describeFailure, log, markdownTable, MB, median, megabytes, runProcess, seconds } from './common';
import { JRE_FILLER_BYTES, makeBenchArchives, PROACTIVE_FILLER_BYTES } from './fixtures';

type FsName = 'ext4' | 'ntfs';

interface Archive {
  /** Short name in the tables. */
  label: string;
  path: string;
  kind: ArchiveKind;
  /** The archive's top folder (restreamAsTar strips it, the other methods keep it). */
  top: string;
  /** A big file inside `top` and its size: checked after every write, so a method that lost data shows. */
  bigFile: string;
  bigBytes: number;
}

interface WriteContext {
  s: GuestfishSession;
  /** A private host folder for FIFOs and temp files, emptied after each write. */
  scratch: string;
}

interface Method {
  name: string;
  kinds: ArchiveKind[];
  /** Whether the top folder ends up under the destination. */
  keepsTop: boolean;
  /** Writes `a` into `dest` (an existing, empty folder); returns the bytes that entered the appliance. */
  write(ctx: WriteContext, a: Archive, dest: string): Promise<number>;
}

// ------------------------------------------------------------------------------------------ methods

/** Feeds `source` through a FIFO to `tar-in`, the way the executor does; returns the bytes fed. */
async function tarInFromStream(ctx: WriteContext, source: Readable, dest: string): Promise<number> {
  const pipe = join(ctx.scratch, 'upload.pipe');
  makeFifo(pipe);
  const feed = feedFifo(pipe, source);
  try {
    await ctx.s.exec(['tar-in', pipe, dest]);
    return await feed.done;
  } catch (err) {
    feed.abandon();
    throw err;
  }
}

async function unzipToHost(a: Archive, into: string): Promise<void> {
  const r = await runProcess('unzip', ['-q', a.path, '-d', into]);
  if (r.code !== 0) throw describeFailure('unzip', r);
}

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

const METHODS: Method[] = [
  {
    name: 'tgz-in',
    kinds: ['tar.gz'],
    keepsTop: true,
    async write(ctx, a, dest) {
      await ctx.s.exec(['tgz-in', a.path, dest]);
      return statSync(a.path).size;
    },
  },
  {
    name: 'tar-in compress:gzip',
    kinds: ['tar.gz'],
    keepsTop: true,
    async write(ctx, a, dest) {
      await ctx.s.exec(['tar-in', a.path, dest, 'compress:gzip']);
      return statSync(a.path).size;
    },
  },
  {
    name: 'restream -> tar-in',
    kinds: ['tar.gz', 'zip'],
    keepsTop: false,
    write: (ctx, a, dest) => tarInFromStream(ctx, restreamAsTar(a.path, a.kind, { stripPrefix: a.top }), dest),
  },
  {
    name: 'gunzip -> tar-in',
    kinds: ['tar.gz'],
    keepsTop: true,
    write: (ctx, a, dest) => tarInFromStream(ctx, createReadStream(a.path).pipe(createGunzip()), dest),
  },
  {
    name: 'unzip + tar + tar-in',
    kinds: ['zip'],
    keepsTop: true,
    async write(ctx, a, dest) {
      const tree = join(ctx.scratch, 'tree');
      const tarFile = join(ctx.scratch, 'tree.tar');
      await unzipToHost(a, tree);
      const t = await runProcess('tar', ['-C', tree, '--owner=0', '--group=0', '--numeric-owner', '-cf', tarFile, ...readdirSync(tree).sort()]);
      if (t.code !== 0) throw describeFailure('tar -cf', t);
      await ctx.s.exec(['tar-in', tarFile, dest]);
      return statSync(tarFile).size;
    },
  },
  {
    name: 'unzip + copy-in',
    kinds: ['zip'],
    keepsTop: true,
    async write(ctx, a, dest) {
      const tree = join(ctx.scratch, 'tree');
      await unzipToHost(a, tree);
      await ctx.s.exec(['copy-in', join(tree, a.top), dest]);
      return treeBytes(tree);
    },
  },
];

// ------------------------------------------------------------------------------------------ inputs

/**
 * Content that gzip compresses about 3:1 (a real JRE's lib/modules does about that): random picks from a
 * vocabulary of 512 random tokens of 3 to 12 bytes.
 */
function* compressibleChunks(total: number): Generator<Buffer> {
  const vocabulary = Array.from({ length: 512 }, () => randomBytes(3 + (randomBytes(1)[0] % 10)));
  for (let left = total; left > 0;) {
    const size = Math.min(MB, left);
    const b = Buffer.allocUnsafe(size);
    const picks = randomBytes(size);
    for (let o = 0, k = 0; o < size; k += 2) {
      const token = vocabulary[picks.readUInt16LE(k % Math.max(1, size - 1)) & 511];
      o += token.copy(b, o, 0, Math.min(token.length, size - o));
    }
    left -= size;
    yield b;
  }
}

async function writeEntry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0], chunks: Iterable<Buffer>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const w = pack.entry(header, (err) => (err ? reject(err) : resolve())) as unknown as Writable;
    void (async () => {
      for (const c of chunks) if (!w.write(c)) await once(w, 'drain');
      w.end();
    })().catch(reject);
  });
}

/** A JRE-shaped .tar.gz whose 120 MB lib/modules compresses about 3:1. */
async function makeCompressibleJre(dir: string): Promise<Archive> {
  const top = 'jdk-compressible-jre';
  const path = join(dir, 'OpenJDK8U-jre_compressible_linux.tar.gz');
  const bigBytes = 120 * MB;
  const pack = tar.pack();
  const out = createWriteStream(path);
  const gz = createGzip();
  pack.pipe(gz as unknown as Writable);
  gz.pipe(out);
  const done = once(out, 'finish');
  const mtime = new Date('2023-10-17T12:00:00Z');
  const base = { mtime, uname: 'root', gname: 'root', uid: 0, gid: 0 };
  for (const d of [top, `${top}/bin`, `${top}/lib`]) pack.entry({ ...base, name: d, type: 'directory', mode: 0o755 });
  pack.entry({ ...base, name: `${top}/release`, mode: 0o644 }, 'JAVA_VERSION="1.8.0_392"\nOS_NAME="Linux"\nOS_ARCH="amd64"\n');
  pack.entry({ ...base, name: `${top}/bin/java`, mode: 0o755 }, '#!/bin/sh\nexit 0\n');
  await writeEntry(pack, { ...base, name: `${top}/lib/modules`, mode: 0o644, size: bigBytes }, compressibleChunks(bigBytes));
  pack.finalize();
  await done;
  return { label: 'JRE-like .tar.gz (compresses ~3:1)', path, kind: 'tar.gz', top, bigFile: 'lib/modules', bigBytes };
}

// ------------------------------------------------------------------------------------------ the run

interface Sample {
  fs: FsName;
  archive: string;
  method: string;
  ms: number;
  bytes: number;
}

async function setUpDisk(s: GuestfishSession, filesystems: FsName[]): Promise<Record<FsName, string>> {
  await s.exec(['part-init', '/dev/sda', 'mbr']);
  // 2 GiB each: sda1 (ext4, mounted on /), sda2 (NTFS, mounted on /ntfs).
  await s.exec(['part-add', '/dev/sda', 'p', '2048', String(2048 + 4 * 1024 * 1024 - 1)]);
  await s.exec(['part-add', '/dev/sda', 'p', String(2048 + 4 * 1024 * 1024), '-2048']);
  await s.exec(['mkfs', 'ext4', '/dev/sda1']);
  await s.exec(['mount', '/dev/sda1', '/']);
  const roots: Record<FsName, string> = { ext4: '/bench', ntfs: '/ntfs/bench' };
  if (filesystems.includes('ntfs')) {
    await s.exec(['mkfs', 'ntfs', '/dev/sda2']);
    await s.exec(['mkdir', '/ntfs']);
    await s.exec(['mount', '/dev/sda2', '/ntfs']);
  }
  return roots;
}

/** Whether this guestfish's tar-in takes the optional compress argument (tried on a tiny .tar.gz). */
async function tarInCompressWorks(s: GuestfishSession, work: string): Promise<boolean> {
  const tiny = join(work, 'probe.tar.gz');
  const pack = tar.pack();
  const out = createWriteStream(tiny);
  pack.pipe(createGzip() as unknown as Writable).pipe(out);
  pack.entry({ name: 'probe.txt' }, 'probe\n');
  pack.finalize();
  await once(out, 'finish');
  await s.exec(['mkdir-p', '/probe']);
  const r = await s.exec(['tar-in', tiny, '/probe', 'compress:gzip'], { tolerate: true });
  const ok = r.ok && (await s.exec(['is-file', '/probe/probe.txt'])).output.trim() === 'true';
  await s.exec(['rm-rf', '/probe']);
  return ok;
}

async function main(): Promise<void> {
  const runs = benchRuns();
  const filesystems = (process.env.BENCH_FS ?? 'ext4,ntfs').split(',').map((x) => x.trim()).filter(Boolean) as FsName[];
  for (const f of filesystems) if (f !== 'ext4' && f !== 'ntfs') throw new Error(`BENCH_FS: unknown filesystem ${f} (ext4, ntfs)`);
  const root = mkdtempSync(join(tmpdir(), 'guestprep-bench-archives-'));
  let session: GuestfishSession | undefined;
  try {
    log('making ~100 MB of benchmark archives and a compressible JRE-like .tar.gz...');
    const [bench, compressible] = await Promise.all([makeBenchArchives(root), makeCompressibleJre(root)]);
    const archives: Archive[] = [
      { label: 'JRE .tar.gz (incompressible)', path: bench.linuxJre, kind: 'tar.gz', top: bench.linuxJreTop, bigFile: 'lib/modules', bigBytes: JRE_FILLER_BYTES },
      { label: 'ProActive .tgz (incompressible)', path: bench.proactiveTgz, kind: 'tar.gz', top: bench.proactiveTop, bigFile: 'dist/lib/ProActive_Scheduler-core.jar', bigBytes: PROACTIVE_FILLER_BYTES },
      { label: 'ProActive .zip (incompressible)', path: bench.proactiveZip, kind: 'zip', top: bench.proactiveTop, bigFile: 'dist/lib/ProActive_Scheduler-core.jar', bigBytes: PROACTIVE_FILLER_BYTES },
      compressible,
    ];

    const disk = join(root, 'scratch.qcow2');
    const q = await runProcess('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '4G']);
    if (q.code !== 0) throw describeFailure('qemu-img create', q);
    const stats = newLaunchStats();
    log('launching the appliance (once for the whole benchmark)...');
    session = await launchAppliance({ drives: [{ path: disk, format: 'qcow2' }], readonly: false, stats });
    const s = session;
    const roots = await setUpDisk(s, filesystems);
    let methods = METHODS;
    if (!(await tarInCompressWorks(s, root))) {
      log('this guestfish has no `tar-in ... compress:gzip`: that method is skipped');
      methods = methods.filter((m) => m.name !== 'tar-in compress:gzip');
    }

    const jobs: Array<{ fs: FsName; archive: Archive; method: Method }> = [];
    for (const fs of filesystems) for (const archive of archives) for (const method of methods) {
      if (method.kinds.includes(archive.kind)) jobs.push({ fs, archive, method });
    }
    const samples: Sample[] = [];
    for (let round = 0; round < runs; round++) {
      // Rotate the order so no method always runs first (cold caches) or right after the same neighbour.
      const start = Math.floor((round * jobs.length) / runs);
      const order = [...jobs.slice(start), ...jobs.slice(0, start)];
      for (const { fs, archive, method } of order) {
        const dest = roots[fs];
        await s.exec(['rm-rf', dest]);
        await s.exec(['mkdir', dest]);
        const scratch = mkdtempSync(join(root, 'w-'));
        try {
          const t0 = process.hrtime.bigint();
          const bytes = await method.write({ s, scratch }, archive, dest);
          await s.exec(['sync']);
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const big = `${dest}${method.keepsTop ? `/${archive.top}` : ''}/${archive.bigFile}`;
          const size = Number((await s.exec(['filesize', big])).output.trim());
          if (size !== archive.bigBytes) throw new Error(`${method.name} of ${archive.label} on ${fs}: ${big} has ${size} bytes, not ${archive.bigBytes}`);
          samples.push({ fs, archive: archive.label, method: method.name, ms, bytes });
          log(`round ${round + 1}/${runs}: ${fs}: ${archive.label}: ${method.name}: ${seconds(ms)} s, ${megabytes(bytes)} in`);
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
    await s.exec(['rm-rf', roots[filesystems[0]]]);
    await s.close();
    session = undefined;

    const rows: string[][] = [];
    for (const fs of filesystems) for (const a of archives) for (const m of methods) {
      const xs = samples.filter((x) => x.fs === fs && x.archive === a.label && x.method === m.name);
      if (xs.length === 0) continue;
      const ms = median(xs.map((x) => x.ms));
      const bytes = median(xs.map((x) => x.bytes));
      rows.push([fs, a.label, megabytes(statSync(a.path).size), m.name, seconds(ms), megabytes(bytes), `${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s`]);
    }
    // The ~100 MB a run writes (JRE .tar.gz + ProActive), the seed's way and Guestprep's way.
    const sum = (fs: FsName, parts: Array<[string, string]>) => {
      const ms = parts.map(([archive, method]) => median(samples.filter((x) => x.fs === fs && x.archive === archive && x.method === method).map((x) => x.ms)));
      return ms.reduce((n, x) => n + x, 0);
    };
    const [jre, paTgz, paZip] = archives.map((a) => a.label);
    const totals: string[][] = [];
    for (const fs of filesystems) {
      totals.push([fs, 'tgz-in JRE .tar.gz + tgz-in ProActive .tgz (the seed)', seconds(sum(fs, [[jre, 'tgz-in'], [paTgz, 'tgz-in']]))]);
      totals.push([fs, 'restream JRE .tar.gz + restream ProActive .zip (Guestprep)', seconds(sum(fs, [[jre, 'restream -> tar-in'], [paZip, 'restream -> tar-in']]))]);
      totals.push([fs, 'restream JRE .tar.gz + restream ProActive .tgz', seconds(sum(fs, [[jre, 'restream -> tar-in'], [paTgz, 'restream -> tar-in']]))]);
    }
    process.stdout.write(`\nArchive writes, one appliance launch (${stats.hypervisor ?? '?'}), ${runs} round(s), medians; each write timed up to \`sync\` done.\n\n`);
    process.stdout.write(markdownTable(['fs', 'archive', 'archive size', 'method', 'seconds', 'bytes into the appliance', 'throughput (archive-in bytes)'], rows));
    process.stdout.write('\n' + markdownTable(['fs', '~100 MB of archives', 'seconds (sum of medians)'], totals));
    process.stdout.write(`\nappliance launches: ${stats.launches} (failed attempts: ${stats.failedAttempts})\n`);
  } finally {
    if (session) {
      session.kill();
      await session.waitExit();
    }
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err && (err as Error).stack ? (err as Error).stack : String(err)}\n`);
  process.exit(1);
});
