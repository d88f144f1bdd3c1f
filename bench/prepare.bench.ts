// `npm run bench`: Guestprep's prepare() against the seed's manual procedures, in one process, on identical
// inputs: a Linux fixture VDI (the systemd sample guest with an Ubuntu-style /etc/rc.local), a phony
// Windows 7 fixture VDI, and about 100 MB of archives (bench/fixtures.ts: a 45 MB JRE .tar.gz and a 55 MB
// ProActive 3.3.2 node .zip, re-packed as .tgz for the seed, which only knows `tgz-in`).
//
// Each round runs every case once, in the order of `cases`, each on a fresh copy of its fixture:
//   seed Linux (bench/seed-linux.ts), prepare() cold on Linux, seed Windows (bench/seed-windows.ts),
//   prepare() cold on Windows, "Run to done" with a warm session on Linux, then BENCH_BATCH (default 8)
//   seed Linux runs back to back against one batch of as many images
// so that the load of this shared machine hits both sides alike. The seed runs are checked afterwards with a
// read-only guestfish (not timed). Prints medians, the ratio ours/seed per platform, the appliance launches
// of each side (ours from report.launches), our phases, and the peak RSS of this process during our runs
// (sampled every 100 ms; child processes such as guestfish and qemu are not included).
// A benchmark, not a test: it asserts nothing about time. Env: BENCH_RUNS (rounds, default 3).

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { prepare, PrepareReport } from '../main/engine/run/prepare';
import { prepareBatch } from '../main/engine/run/batch';
import { WarmSession } from '../main/engine/run/warm';
import { memoryJournal } from '../main/engine/run/journal';
import { benchRuns, libguestfsEnv, log, markdownTable, MB, median, megabytes, RssSampler, seconds } from './common';
import {
  archiveBytes, BenchArchives, buildLinuxFixture, buildWindowsFixture, JRE_FILLER_BYTES, makeBenchArchives, RM_URL, SPREAD,
} from './fixtures';
import { runSeedLinux, SeedLinuxInputs, verifySeedLinux } from './seed-linux';
import { runSeedWindows, SeedWindowsInputs, verifySeedWindows } from './seed-windows';

interface Fixtures {
  root: string;
  linuxImage: string;
  windowsImage: string;
  archives: BenchArchives;
}

/** What one case did in one round. */
interface CaseRun {
  /** Wall clock of the case's timed part. */
  ms: number;
  /** Appliance launches it made (summed over its images). */
  launches: number;
  /** Images it prepared (1 for the cold cases). */
  images: number;
  /** Peak RSS of this process during the run (our cases). */
  rssPeak?: number;
  /** Our runs' reports. */
  reports?: PrepareReport[];
  /** The seed procedures' programs, timed one by one. */
  parts?: Array<{ name: string; ms: number }>;
}

interface BenchCase {
  id: string;
  label: string;
  side: 'seed' | 'ours';
  /** Runs the case once; `copyOf` gives a fresh copy of a fixture image, deleted after the case. */
  run(copyOf: (fixture: string) => string): Promise<CaseRun>;
}

/** A line of the comparison table: our case against the seed case doing the same work. */
interface Comparison {
  label: string;
  ours: string;
  seed: string;
}

function seedLinuxInputs(fx: Fixtures): SeedLinuxInputs {
  const a = fx.archives;
  return { jreTgz: a.linuxJre, jreTop: a.linuxJreTop, proactiveTgz: a.proactiveTgz, proactiveTop: a.proactiveTop, rmUrl: RM_URL };
}

function seedWindowsInputs(fx: Fixtures): SeedWindowsInputs {
  const a = fx.archives;
  return { jreTgz: a.windowsJre, jreTop: a.windowsJreTop, proactiveTgz: a.proactiveTgz, proactiveTop: a.proactiveTop, rmUrl: RM_URL };
}

/** Wall clock and peak RSS of this process (sampled every 100 ms) while `work` runs: how our cases are timed. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; rssPeak: number }> {
  const rss = new RssSampler(100);
  rss.start();
  const t0 = process.hrtime.bigint();
  let rssPeak = 0;
  let result: T;
  try {
    result = await work();
  } finally {
    rssPeak = rss.stop();
  }
  return { result, ms: Number(process.hrtime.bigint() - t0) / 1e6, rssPeak };
}

async function oursCold(image: string, jre: string, proactive: string): Promise<CaseRun> {
  const { result: report, ms, rssPeak } = await timed(() => prepare({ image, jre, proactive, settings: { rmUrl: RM_URL } }));
  return { ms, launches: report.launches, images: 1, rssPeak, reports: [report] };
}

/** One image, nothing warm: the seed procedures and prepare() as a user runs them today. */
function coldCases(fx: Fixtures): BenchCase[] {
  return [
    {
      id: 'seed-linux',
      label: 'seed Linux (guestfish -i script)',
      side: 'seed',
      async run(copyOf) {
        const image = copyOf(fx.linuxImage);
        const r = await runSeedLinux(image, seedLinuxInputs(fx));
        await verifySeedLinux(image, { ...seedLinuxInputs(fx), jreFillerBytes: JRE_FILLER_BYTES });
        return { ms: r.ms, launches: r.launches, images: 1, parts: r.parts };
      },
    },
    {
      id: 'ours-linux-cold',
      label: 'prepare() cold, Linux',
      side: 'ours',
      run: (copyOf) => oursCold(copyOf(fx.linuxImage), fx.archives.linuxJre, fx.archives.proactiveZip),
    },
    {
      id: 'seed-windows',
      label: 'seed Windows (guestfish -i script + virt-win-reg --merge)',
      side: 'seed',
      async run(copyOf) {
        const image = copyOf(fx.windowsImage);
        const r = await runSeedWindows(image, seedWindowsInputs(fx));
        await verifySeedWindows(image, { ...seedWindowsInputs(fx), jreFillerBytes: JRE_FILLER_BYTES });
        return { ms: r.ms, launches: r.launches, images: 1, parts: r.parts };
      },
    },
    {
      id: 'ours-windows-cold',
      label: 'prepare() cold, Windows',
      side: 'ours',
      run: (copyOf) => oursCold(copyOf(fx.windowsImage), fx.archives.windowsJre, fx.archives.proactiveZip),
    },
  ];
}

/**
 * "Run to done" with a warm session: the appliance was launched and the guest inspected when the wizard's
 * first step inspected the image (not timed: the user is filling in the other steps meanwhile); the timed
 * part is from Run to done: the writes, the verification and the commit. Its one launch is counted.
 */
function warmRunCases(fx: Fixtures): BenchCase[] {
  const warmCase = (os: 'linux' | 'windows', image: string, jre: string): BenchCase => ({
    id: `ours-${os}-warm`,
    label: `prepare() Run to done, warm session, ${os === 'linux' ? 'Linux' : 'Windows'}`,
    side: 'ours',
    async run(copyOf) {
      const path = copyOf(image);
      const journal = memoryJournal();
      const warm = await WarmSession.open(path, { journal, program: 'bench' });
      let run: Awaited<ReturnType<typeof timed<PrepareReport>>>;
      try {
        run = await timed(() => prepare({ image: path, jre, proactive: fx.archives.proactiveZip, settings: { rmUrl: RM_URL } }, { journal, warm }));
      } finally {
        await warm.release('bench case over');
      }
      const { result: report, ms, rssPeak } = run;
      return { ms, launches: warm.report.launches + report.launches, images: 1, rssPeak, reports: [report] };
    },
  });
  return [warmCase('linux', fx.linuxImage, fx.archives.linuxJre), warmCase('windows', fx.windowsImage, fx.archives.windowsJre)];
}

const BATCH = Number(process.env.BENCH_BATCH ?? 8);

/**
 * A batch of BATCH (default 8) fresh copies of the Linux fixture (clones, as a cluster's VMs often are: same
 * filesystem UUIDs, same fstab) through prepareBatch, against BATCH seed runs back to back.
 */
function batchCases(fx: Fixtures): BenchCase[] {
  return [
    {
      id: `seed-linux-x${BATCH}`,
      label: `seed Linux, ${BATCH} images one after the other`,
      side: 'seed',
      async run(copyOf) {
        let ms = 0;
        let launches = 0;
        for (let i = 0; i < BATCH; i++) {
          const image = copyOf(fx.linuxImage);
          const r = await runSeedLinux(image, seedLinuxInputs(fx));
          ms += r.ms;
          launches += r.launches;
        }
        return { ms, launches, images: BATCH };
      },
    },
    {
      id: `ours-linux-batch-x${BATCH}`,
      label: `prepare A B C... (one batch of ${BATCH}), Linux`,
      side: 'ours',
      async run(copyOf) {
        const images = Array.from({ length: BATCH }, () => copyOf(fx.linuxImage));
        const { result: r, ms, rssPeak } = await timed(() =>
          prepareBatch({ images, jre: fx.archives.linuxJre, proactive: fx.archives.proactiveZip, settings: { rmUrl: RM_URL, nodeName: 'node-{n}' } }));
        const failed = r.items.filter((i) => !i.ok);
        if (failed.length) throw new Error(`batch: ${failed.length} image(s) failed: ${failed.map((f) => (f.ok ? '' : `${f.error.code} ${f.error.message}`)).join('; ')}`);
        return { ms, launches: r.launches, images: BATCH, rssPeak, reports: r.items.map((i) => (i.ok ? i.report : undefined)).filter((x): x is PrepareReport => !!x) };
      },
    },
  ];
}

function comparisons(): Comparison[] {
  return [
    { label: 'Linux, one image, cold', ours: 'ours-linux-cold', seed: 'seed-linux' },
    { label: 'Windows, one image, cold', ours: 'ours-windows-cold', seed: 'seed-windows' },
    { label: 'Linux, Run to done with a warm session', ours: 'ours-linux-warm', seed: 'seed-linux' },
    { label: 'Windows, Run to done with a warm session', ours: 'ours-windows-warm', seed: 'seed-windows' },
    { label: `Linux, batch of ${BATCH} vs ${BATCH} seed runs`, ours: `ours-linux-batch-x${BATCH}`, seed: `seed-linux-x${BATCH}` },
  ];
}

// ------------------------------------------------------------------------------------------ report

function printResults(cases: BenchCase[], results: Map<string, CaseRun[]>, runs: number, fx: Fixtures): void {
  const med = (id: string, f: (r: CaseRun) => number) => median((results.get(id) ?? []).map(f));
  const out: string[] = [];
  const { hypervisor } = libguestfsEnv();
  out.push(`\nInputs: ${megabytes(archiveBytes(fx.archives.linuxJre, fx.archives.proactiveZip))} of archives for Linux ` +
    `(${basename(fx.archives.linuxJre)} + ${basename(fx.archives.proactiveZip)}; the seed gets ${basename(fx.archives.proactiveTgz)} instead of the .zip), ` +
    `${megabytes(archiveBytes(fx.archives.windowsJre, fx.archives.proactiveZip))} for Windows; ` +
    `${SPREAD ? 'layout: spread (part of the bytes over a few hundred files, BENCH_LAYOUT=spread)' : 'layout: one large file per archive'}; ` +
    `${runs} round(s); seed accelerator: ${hypervisor}.\n\n`);

  out.push(markdownTable(
    ['comparison', 'seed (s, median)', 'ours (s, median)', 'ours / seed', 'launches seed', 'launches ours'],
    comparisons().filter((c) => results.has(c.ours) && results.has(c.seed)).map((c) => [
      c.label,
      seconds(med(c.seed, (r) => r.ms)),
      seconds(med(c.ours, (r) => r.ms)),
      (med(c.ours, (r) => r.ms) / med(c.seed, (r) => r.ms)).toFixed(2),
      String(med(c.seed, (r) => r.launches)),
      String(med(c.ours, (r) => r.launches)),
    ]),
  ));

  out.push('\n' + markdownTable(
    ['case', 'runs', 'median (s)', 'min (s)', 'max (s)', 'launches per image', 'peak RSS of this process'],
    cases.filter((c) => results.has(c.id)).map((c) => {
      const rs = results.get(c.id)!;
      const ms = rs.map((r) => r.ms);
      const rss = rs.map((r) => r.rssPeak).filter((x): x is number => x !== undefined);
      return [
        c.label, String(rs.length), seconds(median(ms)), seconds(Math.min(...ms)), seconds(Math.max(...ms)),
        String(median(rs.map((r) => r.launches / r.images))),
        rss.length ? `${(Math.max(...rss) / MB).toFixed(0)} MB (median ${(median(rss) / MB).toFixed(0)} MB)` : '-',
      ];
    }),
  ));

  // Where the time goes on each side.
  const phaseRows: string[][] = [];
  for (const c of cases) {
    const rs = results.get(c.id);
    if (!rs) continue;
    const parts = rs[0].parts;
    if (parts) {
      for (const p of parts) phaseRows.push([c.label, p.name, seconds(med(c.id, (r) => r.parts!.find((x) => x.name === p.name)!.ms))]);
    }
    const reports = rs.flatMap((r) => r.reports ?? []);
    if (reports.length) {
      const t = (k: keyof PrepareReport['timings']) => seconds(median(reports.map((r) => r.timings[k] ?? 0)));
      phaseRows.push(
        [c.label, 'checks', t('checksMs')],
        [c.label, 'archive disks (host, before the launch)', seconds(median(reports.map((r) => r.timings.archiveDisksMs ?? 0)))],
        [c.label, 'launch', t('launchMs')], [c.label, 'inspect', t('inspectMs')],
        [c.label, 'write incl. upload', t('writeMs')], [c.label, 'verify', t('verifyMs')], [c.label, 'commit', t('commitMs')],
        [c.label, 'total (report)', t('totalMs')],
        // What no phase counts: creating the overlay (tens of ms), and closing the session between verify and
        // commit (guestfish unmounts, flushes what was written to the overlay and stops the appliance).
        [c.label, 'outside the phases (overlay, session close)', seconds(median(reports.map((r) => {
          const { totalMs, ...phases } = r.timings;
          return totalMs - Object.values(phases).reduce((n, x) => n + x, 0);
        })))],
      );
      for (const s of reports[0].steps) {
        phaseRows.push([c.label, `  step ${s.id}${s.bytes ? ` (${megabytes(s.bytes)})` : ''}`, seconds(median(reports.map((r) => r.steps.find((x) => x.id === s.id)?.ms ?? NaN)))]);
      }
      phaseRows.push([c.label, 'hypervisor', reports[0].hypervisor ?? '?']);
      phaseRows.push([c.label, 'inspected by', [...new Set(reports.map((r) => r.guest.inspectedBy ?? '?'))].join(', ')]);
      phaseRows.push([c.label, 'failed launch attempts (all runs)', String(reports.reduce((n, r) => n + r.failedLaunchAttempts, 0))]);
    }
  }
  out.push('\n' + markdownTable(['case', 'part', 'seconds (median)'], phaseRows));
  process.stdout.write(out.join(''));
}

// ------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const runs = benchRuns();
  const root = mkdtempSync(join(tmpdir(), 'guestprep-bench-'));
  try {
    // Paths with spaces and parentheses, like VirtualBox's own.
    const fixtureDir = join(root, 'fixtures');
    const workDir = join(root, 'VirtualBox VMs', 'Bench (1)');
    mkdirSync(fixtureDir, { recursive: true });
    mkdirSync(workDir, { recursive: true });
    log('building the fixtures (Linux and Windows VDIs) and ~100 MB of archives...');
    const [archives, linuxImage, windowsImage] = await Promise.all([
      makeBenchArchives(fixtureDir),
      buildLinuxFixture(join(fixtureDir, 'linux')),
      buildWindowsFixture(join(fixtureDir, 'windows')),
    ]);
    const fx: Fixtures = { root, linuxImage, windowsImage, archives };

    // BENCH_CASES=seed-linux,ours-linux-cold runs only those cases (ids as printed in the log), for A/B work.
    const only = (process.env.BENCH_CASES ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const cases: BenchCase[] = [...coldCases(fx), ...warmRunCases(fx), ...batchCases(fx)].filter((c) => only.length === 0 || only.includes(c.id));
    if (cases.length === 0) throw new Error(`BENCH_CASES matches no case: ${only.join(', ')}`);
    const results = new Map<string, CaseRun[]>();
    for (let round = 0; round < runs; round++) {
      for (const c of cases) {
        const copies: string[] = [];
        const copyOf = (fixture: string): string => {
          const copy = join(workDir, `${c.id}-${round + 1}-${copies.length + 1}${fixture.slice(fixture.lastIndexOf('.'))}`);
          copyFileSync(fixture, copy);
          copies.push(copy);
          return copy;
        };
        try {
          const r = await c.run(copyOf);
          if (!results.has(c.id)) results.set(c.id, []);
          results.get(c.id)!.push(r);
          const rss = r.rssPeak !== undefined ? `, peak RSS ${(r.rssPeak / MB).toFixed(0)} MB` : '';
          log(`round ${round + 1}/${runs}: ${c.id} (${c.label}): ${seconds(r.ms)} s, ${r.launches} launch(es)${rss}`);
        } finally {
          for (const p of copies) rmSync(p, { force: true });
        }
      }
    }
    printResults(cases, results, runs, fx);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err && (err as Error).stack ? (err as Error).stack : String(err)}\n`);
  process.exit(1);
});
