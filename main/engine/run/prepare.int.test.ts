// The prepare transaction end to end with real libguestfs on small sample guests (built in seconds):
// success with one launch, verification, the record read back by inspection, dry run, and the failure
// paths that must leave the image byte-identical (a step failing, no space, a cancel).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest } from '../../sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../sample/archives';
import { prepare } from './prepare';
import { inspectImage } from './inspect-image';
import { GuestprepError } from '../errors';
import type { RunEvent } from '../types';

let root: string;
let jre: string;
let modern: string;
let legacy: string;

function sha256(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

async function guest(name: string, opts: Parameters<typeof buildSampleGuest>[1] = {}): Promise<string> {
  const dir = join(root, 'VirtualBox VMs', `${name} (1)`);
  mkdirSync(dir, { recursive: true });
  return buildSampleGuest(dir, { format: 'vdi', ...opts });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp prepare (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  [jre, modern, legacy] = await Promise.all([
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz' }),
    // Linux node distributions without the Windows start scripts, as they are published per OS.
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', scripts: 'linux' }),
    makeSampleProactive(root, { generation: 'legacy', kind: 'tar.gz', scripts: 'linux' }),
  ]);
});

after(() => {
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

function leftoverRuns(): string[] {
  const d = join(root, 'state', 'runs');
  return existsSync(d) ? readdirSync(d) : [];
}

test('prepares a systemd guest in one appliance launch, verified, and inspection then reports the node', async () => {
  const image = await guest('systemd', { flavour: 'systemd', hostname: 'node-a' });
  const before = sha256(image);
  const events: RunEvent[] = [];
  const r = await prepare(
    { image, jre, proactive: modern, settings: { rmUrl: 'pnp://rm.example.org', nodeSource: 'Default', workers: 2 } },
    { onEvent: (e) => events.push(e) },
  );
  assert.equal(r.launches, 1);
  assert.equal(r.settings.rm.url, 'pnp://rm.example.org:64738');
  assert.equal(r.settings.nodeName, 'node-a');
  assert.ok(r.verification && r.verification.failures.length === 0 && r.verification.checked > 10);
  assert.ok(r.settings.jvmOptions.includes('-XX:+IgnoreUnrecognizedVMOptions'), 'Java 17 + 6.x node');
  assert.notEqual(sha256(image), before, 'the commit wrote into the image');
  assert.deepEqual(leftoverRuns(), [], 'the overlay is gone');
  const progress = events.filter((e): e is Extract<RunEvent, { type: 'progress' }> => e.type === 'progress').map((e) => e.percent);
  assert.equal(progress[progress.length - 1], 100);
  assert.ok(events.some((e) => e.type === 'bytes' && e.stepId === 'upload-jre'));

  const insp = await inspectImage(image);
  assert.equal(insp.launches, 1);
  assert.equal(insp.guest.linux?.init, 'systemd');
  assert.equal(insp.guest.existing?.record.rmUrl, 'pnp://rm.example.org:64738');
  assert.equal(insp.guest.existing?.record.nodeName, 'node-a');
  assert.equal(insp.guest.existing?.record.workers, 2);
  assert.equal(insp.guest.existing?.record.proactive.generation, 'modern');
});

test('dry run writes the guestfish script and the staged tars, and changes nothing', async () => {
  const image = await guest('dry', { flavour: 'rclocal', hostname: 'dry-node' });
  const before = sha256(image);
  const script = join(root, 'out', 'dry.gf');
  const r = await prepare({ image, jre, proactive: legacy, settings: { rmUrl: 'rmi://rm.example.org' }, dryRun: true, scriptPath: script });
  assert.equal(sha256(image), before);
  assert.equal(r.scriptPath, script);
  const text = readFileSync(script, 'utf8');
  assert.match(text, /tar-in ".*dry\.jre\.tar" "\/opt\/proactive\/jre"/);
  assert.match(text, /rmi:\/\/rm\.example\.org:1099/);
  assert.match(text, /\/etc\/rc\.local/);
  for (const f of r.stagedFiles ?? []) assert.ok(readFileSync(f).length > 1024, `${f} staged`);
});

test('a step failing on purpose names the step and leaves the image byte-identical', async () => {
  const image = await guest('broken', { flavour: 'systemd', extraFiles: { '/opt/proactive': 'a file where the install folder should be\n' } });
  const before = sha256(image);
  await assert.rejects(
    prepare({ image, jre, proactive: modern, settings: { rmUrl: 'pnp://rm.example.org' } }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'STEP_FAILED' && e.step === 'prepare-install-dir' && /install folder|install-dir/.test(e.fix),
  );
  assert.equal(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);
});

test('a guest without enough free space is refused before any write, image unchanged', async () => {
  const image = await guest('small', { flavour: 'systemd', sizeMb: 48 });
  const big = await makeSampleProactive(join(root, 'big.zip'), { generation: 'modern', kind: 'zip', fillerBytes: 80 * 1024 * 1024 });
  const before = sha256(image);
  await assert.rejects(
    prepare({ image, jre, proactive: big, settings: { rmUrl: 'pnp://rm.example.org' } }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NO_SPACE' && /Free at least/.test(e.fix),
  );
  assert.equal(sha256(image), before);
});

test('cancelling during the upload leaves the image byte-identical and no overlay behind', async () => {
  const image = await guest('cancel', { flavour: 'sysvinit', sizeMb: 160 });
  const big = await makeSampleJre(join(root, 'bigjre.tar.gz'), { kind: 'tar.gz', fillerBytes: 30 * 1024 * 1024 });
  const before = sha256(image);
  const ac = new AbortController();
  await assert.rejects(
    prepare(
      { image, jre: big, proactive: modern, settings: { rmUrl: 'pnp://rm.example.org' } },
      { signal: ac.signal, onEvent: (e) => e.type === 'bytes' && e.sent > 1024 * 1024 && ac.abort() },
    ),
    (e: unknown) => e instanceof GuestprepError && e.code === 'CANCELLED',
  );
  assert.equal(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);
});
