// Crash recovery, for real: `guestprep prepare` runs as its own process group and is killed with SIGKILL
// (the whole group: node, guestfish, qemu, qemu-img; as close to a power cut as a test gets) at 20 random
// moments spread over every phase (8 in the test suite, 20 in `npm run soak`). After each kill `guestprep
// recover` runs, as the next start would. Every image must end byte-identical to before, or fully prepared
// and verified: all of them.
//
// The moments: a first, uninterrupted run measures how long each phase takes on this machine; each trial
// then picks a phase (the commit, the delicate one, most often) and a random delay inside it. qemu-img is
// wrapped to commit at a limited rate, so that a commit lasts long enough to be cut half-way. The seed is
// printed; GUESTPREP_CRASH_SEED replays a sequence.
//
// The final check does not trust Guestprep's own verification: one read-only appliance with every changed
// image attached reads back each install record and boot unit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSampleGuest } from '../../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';
import { launchAppliance, newLaunchStats } from '../../main/engine/guestfish/launch';
import { runQemuImg } from '../../main/engine/image/qemu-img';
import { openStore } from '../../main/backend/store';
import { DB_FILE_NAME } from '../../main/backend/paths';
import type { RecoveryOutcome } from '../../main/engine/run/recover';
import type { JournalEntry } from '../../main/engine/run/journal';

const REPO = resolve(__dirname, '..', '..', '..');
const BIN = join(REPO, 'bin', 'guestprep.cjs');
/**
 * Kills per phase: the commit, where a kill leaves a half-written image, gets the most. The full 20 run in
 * `npm run soak` (GUESTPREP_SOAK=1); the test suite runs a sample that still cuts every phase once and the
 * commit twice, since each trial costs a whole prepare under emulation (about 25 s here).
 */
const SCHEDULE: Record<string, number> = process.env.GUESTPREP_SOAK === '1'
  ? { checks: 2, overlay: 2, launch: 3, inspect: 3, write: 3, verify: 2, commit: 5 }
  : { checks: 1, overlay: 1, launch: 1, inspect: 1, write: 1, verify: 1, commit: 2 };
const TRIALS = Object.values(SCHEDULE).reduce((a, b) => a + b, 0);
const PHASES = ['checks', 'overlay', 'launch', 'inspect', 'write', 'verify', 'commit', 'done'];

let root: string;
let dataDir: string;
let base: string;
let jre: string;
let proactive: string;
let qemuImgWrapper: string;

function sha256(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  /** Time each phase event arrived, ms after spawn. */
  phaseAt: Map<string, number>;
  exitCode: number | null;
  killed: boolean;
  endedAt: number;
}

/** Runs `guestprep prepare` in its own process group; kills the group `delayMs` after `killPhase` starts. */
function runPrepare(image: string, kill?: { phase: string; delayMs: number }): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const t0 = Date.now();
    const child = spawn(
      process.execPath,
      [BIN, 'prepare', image, '--jre', jre, '--proactive', proactive, '--rm-url', 'pnp://rm.example.org:64738', '--node-name', 'crash-node', '--json'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GUESTPREP_DATA_DIR: dataDir, GUESTPREP_QEMU_IMG: qemuImgWrapper } },
    );
    const result: RunResult = { phaseAt: new Map(), exitCode: null, killed: false, endedAt: 0 };
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: { type: string; event?: { type: string; phase?: string } };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.type !== 'event' || msg.event?.type !== 'phase' || !msg.event.phase) return;
      const phase = msg.event.phase;
      if (!result.phaseAt.has(phase)) result.phaseAt.set(phase, Date.now() - t0);
      if (kill && phase === kill.phase) {
        setTimeout(() => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(-child.pid!, 'SIGKILL');
            result.killed = true;
          } catch {
            /* already gone */
          }
        }, kill.delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      result.exitCode = code;
      result.endedAt = Date.now() - t0;
      if (!kill && code !== 0) reject(new Error(`prepare failed (${code}): ${stderr}`));
      else resolveRun(result);
    });
  });
}

function runRecover(): Promise<{ code: number | null; outcomes: RecoveryOutcome[]; out: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, 'recover', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GUESTPREP_DATA_DIR: dataDir } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const outcomes = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; outcome?: RecoveryOutcome })
        .filter((m) => m.type === 'recovery')
        .map((m) => m.outcome!);
      resolveRun({ code, outcomes, out });
    });
  });
}

/** After a group kill, qemu may need a moment to exit and drop its lock on the image. */
async function waitUnlocked(image: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await runQemuImg(['info', '-f', 'vdi', image]);
    if (r.code === 0) return;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  assert.fail(`${image} stayed locked after the kill`);
}

/** The newest journal entry of a run on `image`, read from the shared database. */
function lastEntryFor(image: string): JournalEntry | undefined {
  const store = openStore(join(dataDir, DB_FILE_NAME));
  try {
    return store.journal.list(100).filter((e) => e.image === image).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  } finally {
    store.close();
  }
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp crash (int) '));
  dataDir = join(root, 'data');
  const vmDir = join(root, 'VirtualBox VMs', 'Crash (1)');
  mkdirSync(vmDir, { recursive: true });
  [base, jre, proactive] = await Promise.all([
    buildSampleGuest(vmDir, { flavour: 'systemd', hostname: 'crash-node', format: 'vdi', sizeMb: 96 }),
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 2 * 1024 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 2 * 1024 * 1024 }),
  ]);
  qemuImgWrapper = join(root, 'qemu-img-slow-commit');
  // The real qemu-img; only `commit` is rate-limited (-r, bytes per second), so there is a commit to cut.
  writeFileSync(qemuImgWrapper, '#!/bin/sh\nif [ "$1" = commit ]; then shift; exec qemu-img commit -r 1M "$@"; fi\nexec qemu-img "$@"\n');
  chmodSync(qemuImgWrapper, 0o755);
});

after(() => rmSync(root, { recursive: true, force: true }));

test(`killed at ${TRIALS} random moments across all phases, every image ends untouched or fully prepared`, async (t) => {
  const seed = Number(process.env.GUESTPREP_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (replay with GUESTPREP_CRASH_SEED=${seed})`);
  const rand = prng(seed);
  const before = sha256(base);

  // A complete run measures the phases on this machine (and must itself succeed).
  const reference = join(root, 'reference.vdi');
  copyFileSync(base, reference);
  const ref = await runPrepare(reference);
  const span = (phase: string) => {
    const i = PHASES.indexOf(phase);
    const start = ref.phaseAt.get(phase);
    const next = PHASES.slice(i + 1).map((p) => ref.phaseAt.get(p)).find((x) => x !== undefined) ?? ref.endedAt;
    assert.ok(start !== undefined, `the reference run reported phase ${phase}`);
    return Math.max(1, next - start);
  };
  t.diagnostic(`reference phases (ms): ${PHASES.slice(0, -1).map((p) => `${p} ${span(p)}`).join(', ')}`);

  const plan: string[] = Object.entries(SCHEDULE).flatMap(([p, n]) => Array<string>(n).fill(p));
  assert.equal(plan.length, TRIALS);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }

  const rows: string[] = [];
  const prepared: string[] = [];
  let untouched = 0;
  for (let i = 0; i < TRIALS; i++) {
    const phase = plan[i];
    const image = join(root, `trial-${String(i).padStart(2, '0')}.vdi`);
    copyFileSync(base, image);
    // A random moment inside the phase; if the phase ran quicker this time and the run ended, try earlier.
    let fraction = rand() * 0.9;
    let r: RunResult | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const delayMs = Math.floor(fraction * span(phase));
      r = await runPrepare(image, { phase, delayMs });
      if (r.killed) break;
      assert.equal(sha256(image) === before || r.exitCode === 0, true, 'an unkilled run either finished or left the image alone');
      copyFileSync(base, image);
      fraction /= 3;
    }
    assert.ok(r?.killed, `trial ${i} (${phase}) could not be killed in time`);
    await waitUnlocked(image);

    const rec = await runRecover();
    const mine = rec.outcomes.filter((o) => o.image === image);
    assert.ok(mine.length <= 1);
    const o = mine[0];
    assert.notEqual(o?.action, 'pending', `trial ${i}: ${o?.message}`);
    assert.notEqual(o?.action, 'failed', `trial ${i}: ${o?.message}`);
    const same = sha256(image) === before;
    if (same) {
      untouched++;
      assert.ok(!o || o.action === 'rolled-back' || o.action === 'committed', `trial ${i}`);
    } else if (o) {
      // Changed: only a finished, verified commit may have changed it.
      assert.equal(o.action, 'committed', `trial ${i} (${phase}): the image changed, so recovery must have finished and verified the commit; got ${JSON.stringify(o)}\n${rec.out}`);
      prepared.push(image);
    } else {
      // Changed and nothing to recover: the kill came after the run itself had committed and recorded `done`
      // (the commit span of the reference run reaches to its exit). The journal must say so.
      const entry = lastEntryFor(image);
      assert.equal(entry?.phase, 'done', `trial ${i} (${phase}): the image changed and nothing was recovered, so the run must have finished its commit; its journal entry: ${JSON.stringify(entry)}\n${rec.out}`);
      prepared.push(image);
    }
    const outcome = o ? `${o.phase}, ${o.action}` : same ? 'nothing to recover' : 'nothing to recover (the run had finished)';
    rows.push(`${i}: killed in ${phase} -> ${outcome}, image ${same ? 'byte-identical' : 'prepared'}`);
  }
  t.diagnostic(rows.join('\n'));
  t.diagnostic(`untouched ${untouched}, prepared ${prepared.length}`);

  // Nothing left behind: no open journal entry, no run folder.
  const store = openStore(join(dataDir, DB_FILE_NAME));
  try {
    // Every trial that got past the claim left its entry, now ended.
    assert.ok(store.journal.list(100).length >= TRIALS - SCHEDULE.checks, 'the runs were journaled in the shared database');
    assert.deepEqual(store.journal.open(), []);
    for (const e of store.journal.list(100)) assert.equal(existsSync(e.runDir), false, `run folder of ${e.runId} left behind`);
  } finally {
    store.close();
  }

  // Independent check of every changed image (and the reference): one read-only appliance, all drives.
  const images = [reference, ...prepared];
  const s = await launchAppliance({ drives: images.map((p) => ({ path: p, format: 'vdi' as const })), readonly: true, stats: newLaunchStats() });
  try {
    for (let k = 0; k < images.length; k++) {
      const dev = `/dev/sd${String.fromCharCode(97 + k)}1`;
      await s.exec(['mount-ro', dev, '/']);
      const record = JSON.parse((await s.exec(['cat', '/opt/proactive/guestprep/install.json'])).output) as { rmUrl: string; nodeName: string };
      assert.equal(record.rmUrl, 'pnp://rm.example.org:64738', images[k]);
      assert.equal(record.nodeName, 'crash-node');
      assert.match((await s.exec(['cat', '/etc/systemd/system/proactive-node.service'])).output, /ExecStart=/);
      assert.equal((await s.exec(['is-symlink', '/etc/systemd/system/multi-user.target.wants/proactive-node.service'])).output.trim(), 'true');
      await s.exec(['umount-all']);
    }
  } finally {
    await s.close();
  }
});
