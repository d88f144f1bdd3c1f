// A REAL run through the backend over the browser bridge, as the page drives it: a sample guest and sample
// archives, image.inspect, archive.detect x2, plan.preview, run.start, the run's events until run.result;
// then a second run cancelled on its first 'bytes' event, which must leave the image byte-identical; then
// run.retarget and run.remove on the prepared image, the same way (events, one run.result, the history).
// The store is the in-memory one (the SQLite store is tested on its own).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildSampleGuest } from '../sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../sample/archives';
import { runServe, type ServeHandle } from '../cli/serve';
import { createMemoryStore } from './memory-store';
import type { CallName, CallReq, CallRes, Events, Result, RunEvent } from '../contract/contract';

let root: string;
let image: string;
let jre: string;
let proactive: string;
let serve: ServeHandle;
let ws: WebSocket;
const store = createMemoryStore();
const pending = new Map<number, (r: Result<unknown>) => void>();
const runEvents = new Map<string, RunEvent[]>();
const runResults = new Map<string, (r: Events['run.result']) => void>();
const eventHooks: Array<(p: Events['run.event']) => void> = [];
let nextId = 1;

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function call<C extends CallName>(name: C, req: CallReq<C>): Promise<Result<CallRes<C>>> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve as (r: Result<unknown>) => void);
    ws.send(JSON.stringify({ id, call: name, req }));
  });
}

async function value<C extends CallName>(name: C, req: CallReq<C>): Promise<CallRes<C>> {
  const r = await call(name, req);
  if (!r.ok) assert.fail(`${name}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

function resultOf(runId: string): Promise<Events['run.result']> {
  return new Promise((resolve) => runResults.set(runId, resolve));
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp backend (int) '));
  const vmDir = join(root, 'VirtualBox VMs', 'Node (1)');
  mkdirSync(vmDir, { recursive: true });
  [image, jre, proactive] = await Promise.all([
    buildSampleGuest(vmDir, { flavour: 'systemd', hostname: 'bridge-node', format: 'vdi', sizeMb: 128 }),
    // Big enough that the upload is still going when the cancel arrives.
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 24 * 1024 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip' }),
  ]);
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  serve = await runServe({ store, log: () => undefined, handleSignals: false, staticDir: join(root, 'no renderer') });
  const token = new URL(serve.url).searchParams.get('token');
  ws = new WebSocket(`ws://127.0.0.1:${serve.port}/api?token=${token}`, { origin: `http://127.0.0.1:${serve.port}` });
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.event === 'run.event') {
      const p = m.payload as Events['run.event'];
      runEvents.set(p.runId, [...(runEvents.get(p.runId) ?? []), p.event]);
      for (const h of eventHooks) h(p);
    } else if (m.event === 'run.result') {
      runResults.get(m.payload.runId)?.(m.payload);
    } else if (typeof m.id === 'number') {
      pending.get(m.id)?.(m.result);
      pending.delete(m.id);
    }
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
});

after(async () => {
  ws?.close();
  await serve?.stop();
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

test('inspect, detect, preview and a real run over the bridge; a second run cancelled mid-upload leaves the image unchanged', async () => {
  const insp = await value('image.inspect', { image });
  assert.equal(insp.guest.linux?.init, 'systemd');
  assert.equal(insp.guest.hostname, 'bridge-node');

  const j = await value('archive.detect', { path: jre, role: 'jre' });
  const p = await value('archive.detect', { path: proactive, role: 'proactive' });
  assert.ok(j.role === 'jre' && p.role === 'proactive');
  const settings = { rmUrl: 'pnp://rm.example.org', workers: 2 };

  const preview = await value('plan.preview', { image, guest: insp.guest, imageInfo: insp.image, jre: j.info, proactive: p.info, settings });
  assert.match(preview.script, /<jre\.tar staged by guestprep>/);
  assert.equal(preview.settings.nodeName, 'bridge-node');

  // ---- the real run
  const { runId } = await value('run.start', { image, jre, proactive, settings, preset: 'Lab' });
  const done = await resultOf(runId);
  assert.ok(done.result.ok, !done.result.ok ? `${done.result.error.code}: ${done.result.error.message} (step ${done.result.error.step})\n${(done.result.error.detail ?? '').slice(-3000)}` : '');
  assert.equal(done.result.ok && done.result.value.verification?.failures.length, 0);
  const events = runEvents.get(runId) ?? [];
  assert.ok(events.some((e) => e.type === 'phase' && e.phase === 'commit'));
  assert.ok(events.some((e) => e.type === 'bytes'));
  assert.ok(events.some((e) => e.type === 'progress' && e.percent === 100));
  const h = await value('history.get', { id: runId });
  assert.equal(h.outcome, 'success');
  assert.equal(h.preset, 'Lab');
  assert.equal(h.report && !('operation' in h.report) ? h.report.settings.rm.url : undefined, 'pnp://rm.example.org:64738');
  assert.ok((h.log ?? []).some((l) => /\[commit\]/.test(l)));
  assert.ok((h.log ?? []).some((l) => /step \d+\/\d+ done: /.test(l)));

  // ---- a second run, cancelled on its first 'bytes' event
  const before = sha256(image);
  let second = '';
  let cancelSent: Promise<Result<{ cancelled: boolean }>> | undefined;
  eventHooks.push((ev) => {
    if (ev.runId === second && ev.event.type === 'bytes' && !cancelSent) cancelSent = call('run.cancel', { runId: second });
  });
  second = (await value('run.start', { image, jre, proactive, settings })).runId;
  const cancelled = await resultOf(second);
  assert.ok(cancelSent, 'a bytes event arrived');
  assert.deepEqual(await cancelSent, { ok: true, value: { cancelled: true } });
  assert.equal(!cancelled.result.ok && cancelled.result.error.code, 'CANCELLED');
  assert.equal(sha256(image), before, 'the image is byte-identical');
  assert.equal((await value('history.get', { id: second })).outcome, 'cancelled');
  const runsDir = join(root, 'state', 'runs');
  assert.deepEqual(existsSync(runsDir) ? readdirSync(runsDir) : [], [], 'no overlay left behind');
  assert.deepEqual((await value('history.list', {})).map((e) => e.outcome), ['cancelled', 'success']);
});

test('run.retarget then run.remove over the bridge: the same events and results as a run, one launch each, kept in the history', async () => {
  const busy = await call('run.remove', { image: join(root, 'missing.vdi') });
  assert.ok(busy.ok, 'a removal is started like a run; its failure comes as run.result');
  const missing = await resultOf(busy.value.runId);
  assert.equal(!missing.result.ok && missing.result.error.code, 'IMAGE_NOT_FOUND');

  const bad = await call('run.retarget', { image, settings: { rmUrl: 'http://rm.example.org:8080' } });
  assert.equal(!bad.ok && bad.error.code, 'SETTING_INVALID', 'a portal URL is refused before any run starts');

  const { runId } = await value('run.retarget', { image, settings: { rmUrl: 'pnp://rm2.example.org', nodeName: 'renamed' } });
  const done = await resultOf(runId);
  assert.ok(done.result.ok, !done.result.ok ? `${done.result.error.code}: ${done.result.error.message}` : '');
  const r = done.result.value;
  assert.ok('operation' in r && r.operation === 'retarget');
  assert.equal(r.operation === 'retarget' && r.bytesStreamed, 0);
  assert.equal(r.operation === 'retarget' && r.settings.rm.url, 'pnp://rm2.example.org:64738');
  assert.equal(r.launches, 1);
  assert.ok(!(runEvents.get(runId) ?? []).some((e) => e.type === 'bytes'), 'nothing streamed');
  assert.ok((runEvents.get(runId) ?? []).some((e) => e.type === 'progress' && e.percent === 100));
  assert.equal((await value('image.inspect', { image })).guest.existing?.record.rmUrl, 'pnp://rm2.example.org:64738');

  const removal = (await value('run.remove', { image })).runId;
  const removed = await resultOf(removal);
  assert.ok(removed.result.ok && 'operation' in removed.result.value && removed.result.value.operation === 'remove');
  assert.equal(removed.result.ok && removed.result.value.verification.failures.length, 0);
  assert.equal((await value('image.inspect', { image })).guest.existing, undefined, 'no install any more');
  const h = await value('history.get', { id: removal });
  assert.equal(h.outcome, 'success');
  assert.ok(h.report && 'operation' in h.report && h.report.operation === 'remove');
});
