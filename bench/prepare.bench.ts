// `npm run bench`: prepares a fixture VDI with about 100 MB of archives and prints the time of each phase
// (launch, inspect, upload/write, verify, commit) and the number of appliance launches. A benchmark, not a
// test: it asserts nothing about time. Runs each case RUNS times (default 3, env BENCH_RUNS) on a fresh
// copy of the image and prints medians.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest } from '../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../main/sample/archives';
import { prepare, PrepareReport } from '../main/engine/run/prepare';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'guestprep-bench-'));
  try {
    const vmDir = join(root, 'VirtualBox VMs', 'Bench (1)');
    mkdirSync(vmDir, { recursive: true });
    process.stderr.write('bench: building the sample guest and ~100 MB of archives...\n');
    const [image, jre, proactive] = await Promise.all([
      buildSampleGuest(vmDir, { flavour: 'systemd', hostname: 'bench-node', format: 'vdi', sizeMb: 400 }),
      makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 45 * MB }),
      makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 55 * MB }),
    ]);
    const cases: Array<{ name: string; jre?: string; proactive: string }> = [{ name: 'linux systemd, tar.gz JRE + zip ProActive', jre, proactive }];
    for (const c of cases) {
      const reports: PrepareReport[] = [];
      for (let i = 0; i < RUNS; i++) {
        const copy = join(vmDir, `run-${i}.vdi`);
        copyFileSync(image, copy);
        const r = await prepare({ image: copy, jre: c.jre, proactive: c.proactive, settings: { rmUrl: 'pnp://rm.example.org:64738' } });
        reports.push(r);
        rmSync(copy);
        process.stderr.write(`bench: ${c.name}: run ${i + 1}/${RUNS}: ${(r.timings.totalMs / 1000).toFixed(1)} s\n`);
      }
      const t = (k: keyof PrepareReport['timings']) => (median(reports.map((r) => r.timings[k])) / 1000).toFixed(2);
      const uploaded = reports[0].steps.reduce((n, s) => n + (s.bytes ?? 0), 0);
      const rows = [
        ['case', c.name],
        ['runs', String(RUNS)],
        ['bytes streamed to the appliance', `${(uploaded / MB).toFixed(1)} MB`],
        ['checks (s, median)', t('checksMs')],
        ['launch (s, median)', t('launchMs')],
        ['inspect (s, median)', t('inspectMs')],
        ['write incl. upload (s, median)', t('writeMs')],
        ['verify (s, median)', t('verifyMs')],
        ['commit (s, median)', t('commitMs')],
        ['total (s, median)', t('totalMs')],
        ['appliance launches per run', String(median(reports.map((r) => r.launches)))],
        ['failed launch attempts (KVM probe)', String(reports.reduce((n, r) => n + r.failedLaunchAttempts, 0))],
        ['hypervisor', reports[0].hypervisor ?? '?'],
      ];
      for (const s of reports[0].steps) rows.push([`  step ${s.id} (s, run 1)`, (s.ms / 1000).toFixed(2)]);
      process.stdout.write('\n| measure | value |\n|---|---|\n' + rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n') + '\n');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err && (err as Error).stack ? (err as Error).stack : String(err)}\n`);
  process.exit(1);
});
