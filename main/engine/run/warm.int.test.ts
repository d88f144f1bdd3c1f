// Warm sessions with real libguestfs: the appliance that inspected the image for the wizard is reused by
// the run (no second launch, no second inspection), and ends, leaving nothing running, when released,
// after the idle timeout, or when a run takes it and finishes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace, type Workspace } from '../../../test/support/workspace';
import { memoryJournal } from './journal';
import { prepare } from './prepare';
import { WarmPool } from './warm';
import { makeSampleProactive } from '../../sample/archives';
import { GuestprepError } from '../errors';

let ws: Workspace;
let root: string;
let jre: string;
let proactive: string;
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

before(async () => {
  ws = await openWorkspace('warm');
  ({ root, jre, proactive } = ws);
});

after(() => ws.close());

const guest = (name: string) => ws.guest(name);

async function gone(dir: string): Promise<void> {
  for (let i = 0; i < 50 && appliancesOn(dir) > 0; i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(appliancesOn(dir), 0, 'no guestfish or qemu of ours left');
}

const runDirs = () => (existsSync(join(root, 'state', 'runs')) ? readdirSync(join(root, 'state', 'runs')) : []);

/** Processes (guestfish and its qemu) whose command line names a file under `dir`: ours, by our overlay paths. */
function appliancesOn(dir: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(dir)) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

test('Run reuses the warm appliance: no launch, no second inspection, then nothing is left running; a Windows-only node is refused before', async (t) => {
  const image = await guest('Warm');
  const journal = memoryJournal();
  const pool = new WarmPool({ idleMs: 60_000 });
  t.after(() => pool.release(undefined, 'test over'));
  const insp = await pool.inspect(image, { journal, program: 'test' });
  assert.equal(insp.launches, 1);
  assert.equal(insp.guest.linux?.init, 'systemd');
  assert.ok(appliancesOn(join(root, 'state')) > 0, 'the appliance stays up after inspection');
  assert.equal(runDirs().length, 1, 'its overlay exists');

  const warm = pool.take(image);
  assert.ok(warm);
  t.after(() => warm.release('test over'));
  // The Windows node distribution (bin\\proactive-node.bat only) does not fit this Linux guest: refused from
  // what the warm inspection found, before the run takes the session, which stays up for the next try.
  const windowsOnly = await makeSampleProactive(root, { generation: 'modern', kind: 'zip', scripts: 'windows' });
  await assert.rejects(
    prepare({ image, jre, proactive: windowsOnly, settings: { rmUrl: 'pnp://rm.example.org' } }, { journal, warm }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND' &&
      /^activeeon_enterprise-node-windows-x64-13\.0\.0\.zip is the ProActive node distribution for Windows: it has bin\\proactive-node\.bat but not bin\/proactive-node, the start script the node needs in this Linux guest\.$/.test(e.message) &&
      /activeeon_enterprise-node-linux-x64-13\.0\.0\.zip/.test(e.fix),
  );
  assert.ok(warm.matches(image), 'the warm session is still there');
  const phases: string[] = [];
  const r = await prepare({ image, jre, proactive, settings: { rmUrl: 'pnp://rm.example.org' } }, { journal, warm, onEvent: (e) => e.type === 'phase' && phases.push(e.message) });
  assert.equal(r.launches, 0, 'the run launched nothing');
  assert.equal(r.timings.launchMs, 0);
  assert.ok(!phases.includes('Inspecting the guest'), 'no second inspection');
  assert.ok(r.verification && r.verification.failures.length === 0);
  assert.equal(r.settings.nodeName, 'warm');
  await gone(join(root, 'state'));
  assert.deepEqual(runDirs(), []);
  assert.deepEqual(journal.open(), []);
});

test('a warm session ends on release and on idle timeout, leaving the image untouched', async (t) => {
  const a = await guest('Idle');
  const b = await guest('Left');
  const sums = [sha256(a), sha256(b)];
  const journal = memoryJournal();
  const pool2 = new WarmPool({ idleMs: 600_000 });
  const pool = new WarmPool({ idleMs: 4000 });
  // Whatever happens, nothing may outlive the test (a live appliance would also keep this process up).
  t.after(() => Promise.all([pool.release(undefined, 'test over'), pool2.release(undefined, 'test over')]));
  await pool2.inspect(b, { journal, program: 'test' });
  const one = appliancesOn(join(root, 'state'));
  await pool.inspect(a, { journal, program: 'test' });
  const both = appliancesOn(join(root, 'state'));
  assert.ok(one > 0 && both > one, `${one} then ${both} processes`);
  // Idle: the second ends by itself.
  for (let i = 0; i < 100 && (pool.size > 0 || appliancesOn(join(root, 'state')) > one); i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(pool.size, 0);
  for (let i = 0; i < 50 && appliancesOn(join(root, 'state')) > one; i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(appliancesOn(join(root, 'state')), one);
  // Leaving the wizard / quitting: released explicitly.
  assert.equal(await pool2.release(undefined, 'quit'), 1);
  // guestfish is gone when release returns; its qemu follows within moments (libguestfs's recovery process).
  await gone(join(root, 'state'));
  assert.deepEqual(runDirs(), []);
  assert.deepEqual(journal.open(), []);
  assert.deepEqual([sha256(a), sha256(b)], sums);
  assert.deepEqual(journal.list().map((e) => e.phase), ['rolled-back', 'rolled-back']);
});
