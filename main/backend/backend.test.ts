// The backend object without an appliance: archive detection on sample archives, settings and plan preview
// on inspection facts, presets and history over an in-memory store, and the run bookkeeping (result event,
// history record, IMAGE_BUSY, cancel, dispose) on runs that end before any launch.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, logLine, toResult, type Backend } from './backend';
import { createMemoryStore } from './memory-store';
import { makeSampleJre, makeSampleProactive } from '../sample/archives';
import { guestFacts } from '../engine/plan/test-fixtures';
import { GuestprepError, type ErrorData } from '../engine/errors';
import type { CallName, EventName, Events, JreInfo, ProactiveInfo, Result } from '../contract/contract';
import { openStore } from './store';
import { callChannel, registerIpcHandlers, type IpcEventLike } from '../electron/ipc';

let root: string;
let jrePath: string;
let proactivePath: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp backend (unit) '));
  [jrePath, proactivePath] = await Promise.all([
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz' }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip' }),
  ]);
});

after(() => rmSync(root, { recursive: true, force: true }));

function setup(): { backend: Backend; store: ReturnType<typeof createMemoryStore>; events: Array<{ name: EventName; payload: Events[EventName] }> } {
  const store = createMemoryStore();
  const events: Array<{ name: EventName; payload: Events[EventName] }> = [];
  const backend = createBackend({ store, emit: (name, payload) => events.push({ name, payload }), stateDir: join(root, 'state') });
  return { backend, store, events };
}

function resultOf(events: Array<{ name: EventName; payload: Events[EventName] }>, runId: string): Promise<Events['run.result']> {
  return new Promise((resolve) => {
    const poll = () => {
      const e = events.find((x) => x.name === 'run.result' && x.payload.runId === runId);
      if (e) resolve(e.payload as Events['run.result']);
      else setTimeout(poll, 10);
    };
    poll();
  });
}

/** A small raw disk with an MBR: enough for the image pre-checks, so a run gets past them. */
function rawDisk(name: string): string {
  const b = Buffer.alloc(1024 * 1024);
  b[446 + 4] = 0x83; // one Linux partition
  b.writeUInt32LE(2048, 446 + 8);
  b.writeUInt32LE(0, 446 + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  const p = join(root, name);
  writeFileSync(p, b);
  return p;
}

test('a Windows-only node distribution is detected, then refused against a Linux guest by settings.validate and plan.preview', async () => {
  const { backend } = setup();
  const winOnly = await makeSampleProactive(root, { generation: 'modern', kind: 'zip', scripts: 'windows' });
  const p = await backend['archive.detect']({ path: winOnly, role: 'proactive' });
  assert.ok(p.role === 'proactive' && p.info.windowsStartScript === 'bin/proactive-node.bat' && p.info.startScript === undefined);
  const proactive = p.info as ProactiveInfo;
  const jre = (await backend['archive.detect']({ path: jrePath, role: 'jre' })).info as JreInfo;
  const guest = guestFacts();
  const refused = (e: unknown) => e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND' &&
    /activeeon_enterprise-node-windows-x64-13\.0\.0\.zip is the ProActive node distribution for Windows/.test(e.message) &&
    /activeeon_enterprise-node-linux-x64-13\.0\.0\.zip/.test(e.fix);
  await assert.rejects(backend['settings.validate']({ settings: { rmUrl: 'pnp://rm' }, guest, jre, proactive }), refused);
  const imageInfo = { path: '/vms/n.vdi', format: 'vdi' as const, virtualSize: 8 << 30, fileSize: 2 << 30 };
  await assert.rejects(backend['plan.preview']({ image: imageInfo.path, guest, imageInfo, jre, proactive, settings: { rmUrl: 'pnp://rm' } }), refused);
});

test('toResult turns values and thrown errors into Results', async () => {
  assert.deepEqual(await toResult(Promise.resolve(3)), { ok: true, value: 3 });
  const r = await toResult(Promise.reject(new GuestprepError({ code: 'SETTING_INVALID', message: 'm', fix: 'f' })));
  assert.deepEqual(r, { ok: false, error: { code: 'SETTING_INVALID', message: 'm', fix: 'f' } });
  const log: string[] = [];
  const i = await toResult(Promise.reject(new TypeError('boom')), 'a test', (l) => log.push(l));
  assert.equal(!i.ok && i.error.code, 'INTERNAL');
  assert.equal(!i.ok && i.error.detail, undefined, 'the stack is not sent');
  assert.match(log.join('\n'), /TypeError: boom/);
});

test('archive.detect finds the JRE and the ProActive distribution; a wrong role is refused with a fix', async () => {
  const { backend } = setup();
  const j = await backend['archive.detect']({ path: jrePath, role: 'jre' });
  assert.equal(j.role, 'jre');
  assert.equal(j.role === 'jre' && j.info.major, 17);
  const p = await backend['archive.detect']({ path: proactivePath, role: 'proactive' });
  assert.equal(p.role === 'proactive' && p.info.generation, 'modern');
  await assert.rejects(backend['archive.detect']({ path: jrePath, role: 'proactive' }), (e: unknown) => e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND');
  await assert.rejects(backend['archive.detect']({ path: jrePath, role: 'x' as 'jre' }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
});

test('settings.validate and plan.preview work from inspection facts, with no appliance', async () => {
  const { backend } = setup();
  const jre = (await backend['archive.detect']({ path: jrePath, role: 'jre' })).info as JreInfo;
  const proactive = (await backend['archive.detect']({ path: proactivePath, role: 'proactive' })).info as ProactiveInfo;
  const guest = guestFacts({ hostname: 'node-a' });
  const v = await backend['settings.validate']({ settings: { rmUrl: 'pnp://rm.example.org', workers: 2 }, guest, jre, proactive });
  assert.equal(v.settings.rm.url, 'pnp://rm.example.org:64738');
  assert.equal(v.settings.nodeName, 'node-a');
  await assert.rejects(
    backend['settings.validate']({ settings: { rmUrl: 'http://rm.example.org:8080' }, guest, jre, proactive }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && e.fix.length > 0,
  );
  await assert.rejects(
    backend['settings.validate']({ settings: { rmUrl: 'pnp://rm' }, guest: guestFacts({ arch: 'aarch64' }), jre, proactive }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_ARCH',
  );

  const imageInfo = { path: '/vms/Node (1)/node.vdi', format: 'vdi' as const, virtualSize: 8 << 30, fileSize: 2 << 30 };
  const p = await backend['plan.preview']({ image: imageInfo.path, guest, imageInfo, jre, proactive, settings: { rmUrl: 'pnp://rm.example.org' } });
  assert.ok(p.steps.some((s) => s.id === 'upload-jre' && (s.bytes ?? 0) > 0));
  assert.match(p.script, /<jre\.tar staged by guestprep>/);
  assert.match(p.script, /--format=vdi -a '\/vms\/Node \(1\)\/node\.vdi'/);
  assert.equal(p.freeBytes, guest.freeBytes);
  assert.ok(p.requiredBytes > 0 && p.atNextBoot.length > 0);
  assert.ok(!p.warnings.some((w) => /free/.test(w)));

  const tight = await backend['plan.preview']({ image: imageInfo.path, guest: guestFacts({ freeBytes: 1024 }), imageInfo, jre, proactive, settings: { rmUrl: 'pnp://rm' } });
  assert.ok(tight.warnings.some((w) => /the run will be refused/.test(w)));
  await assert.rejects(backend['plan.preview']({ image: '', guest, imageInfo, jre, proactive, settings: { rmUrl: 'pnp://rm' } }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
});

test('presets and history go to the store; an unknown run id is RUN_NOT_FOUND', async () => {
  const { backend, store } = setup();
  const saved = await backend['presets.save']({ name: 'Lab', data: { proactive: '/a.zip', settings: { rmUrl: 'pnp://rm' } } });
  assert.equal(saved.name, 'Lab');
  assert.equal((await backend['presets.rename']({ from: 'Lab', to: 'Lab 2' })).name, 'Lab 2');
  assert.deepEqual((await backend['presets.list']({})).map((p) => p.name), ['Lab 2']);
  const { json } = await backend['presets.export']({});
  assert.deepEqual(await backend['presets.delete']({ name: 'Lab 2' }), { deleted: true });
  assert.deepEqual(await backend['presets.import']({ json }), { imported: ['Lab 2'], skipped: [] });
  store.history.start({ id: 'r1', image: '/x.vdi' });
  assert.equal((await backend['history.list']({})).length, 1);
  assert.deepEqual((await backend['history.get']({ id: 'r1' })).log, []);
  await assert.rejects(backend['history.get']({ id: 'nope' }), (e: unknown) => e instanceof GuestprepError && e.code === 'RUN_NOT_FOUND');
  assert.deepEqual(await backend['shell.showInFolder']({ path: '/x' }), { shown: false });
});

test('a run answers with its id first, then streams events, records the history, and ends with run.result', async () => {
  const { backend, store, events } = setup();
  const missing = join(root, 'no such disk.vdi');
  const { runId } = await backend['run.start']({ image: missing, proactive: proactivePath, settings: { rmUrl: 'pnp://rm.example.org' }, preset: 'Lab' });
  assert.equal(events.length, 0, 'no event before the caller has the run id');
  const r = await resultOf(events, runId);
  assert.equal(r.result.ok, false);
  assert.equal(!r.result.ok && r.result.error.code, 'IMAGE_NOT_FOUND');
  assert.ok(events.some((e) => e.name === 'run.event' && e.payload.runId === runId && (e.payload as Events['run.event']).event.type === 'phase'));
  const h = store.history.get(runId);
  assert.equal(h?.outcome, 'failed');
  assert.equal(h?.preset, 'Lab');
  assert.equal(h?.error?.code, 'IMAGE_NOT_FOUND');
  assert.ok(typeof h?.durationMs === 'number');
  assert.match(h?.log?.[0] ?? '', /^\+\d+\.\ds \[checks\] /);
});

test('a second run on the same image is refused with IMAGE_BUSY naming the first; cancel makes the first end as cancelled', async () => {
  const { backend, store, events } = setup();
  const image = rawDisk('busy.img');
  const req = { image, jre: jrePath, proactive: proactivePath, settings: { rmUrl: 'pnp://rm.example.org' } };
  const first = backend['run.start'](req);
  const second = backend['run.start'](req);
  const { runId } = await first;
  await assert.rejects(second, (e: unknown) => e instanceof GuestprepError && e.code === 'IMAGE_BUSY' && e.fix.includes(runId));
  assert.deepEqual(await backend['run.cancel']({ runId }), { cancelled: true });
  assert.deepEqual(await backend['run.cancel']({ runId }), { cancelled: false }, 'already cancelled');
  const r = await resultOf(events, runId);
  assert.equal(!r.result.ok && r.result.error.code, 'CANCELLED');
  assert.equal(store.history.get(runId)?.outcome, 'cancelled');
  assert.deepEqual(await backend['run.cancel']({ runId: 'unknown' }), { cancelled: false });
  // Once the first has ended, the image is free again.
  const again = await backend['run.start'](req);
  await backend['run.cancel']({ runId: again.runId });
  await resultOf(events, again.runId);
});

test('run.retarget and run.remove share the image lock with run.start; their requests are checked before any run', async () => {
  const { backend, store, events } = setup();
  const image = rawDisk('busy2.img');
  const { runId } = await backend['run.start']({ image, jre: jrePath, proactive: proactivePath, settings: { rmUrl: 'pnp://rm.example.org' } });
  await assert.rejects(backend['run.retarget']({ image, settings: { rmUrl: 'pnp://rm2.example.org' } }), (e: unknown) => e instanceof GuestprepError && e.code === 'IMAGE_BUSY' && e.fix.includes(runId));
  await assert.rejects(backend['run.remove']({ image }), (e: unknown) => e instanceof GuestprepError && e.code === 'IMAGE_BUSY');
  await backend['run.cancel']({ runId });
  await resultOf(events, runId);
  // Malformed or wrong settings: an answer, not a run.
  await assert.rejects(backend['run.retarget']({ image, settings: { rmUrl: 'http://rm:8080' } }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
  await assert.rejects(backend['run.retarget']({ image, settings: { rmUrl: 'pnp://rm', serviceUser: 'x' } as never }), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID' && /cannot be changed by a retarget/.test(e.message));
  await assert.rejects(backend['run.remove']({} as never), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
  // A removal is a run like the others: its result and history entry (here: the image is not a disk a launch can read).
  const rm = await backend['run.remove']({ image: join(root, 'nope.vdi') });
  const r = await resultOf(events, rm.runId);
  assert.equal(!r.result.ok && r.result.error.code, 'IMAGE_NOT_FOUND');
  assert.equal(store.history.get(rm.runId)?.outcome, 'failed');
  assert.match(store.history.get(rm.runId)?.log?.[0] ?? '', /remove: take out what Guestprep installed/);
});

test('dispose cancels the runs under way, waits for them, and refuses new work', async () => {
  const { backend, store, events } = setup();
  const image = rawDisk('dispose.img');
  const { runId } = await backend['run.start']({ image, jre: jrePath, proactive: proactivePath, settings: { rmUrl: 'pnp://rm.example.org' } });
  await backend.dispose();
  assert.equal(store.history.get(runId)?.outcome, 'cancelled', 'finished before dispose resolved');
  assert.ok(events.some((e) => e.name === 'run.result' && e.payload.runId === runId));
  await assert.rejects(backend['run.start']({ image, proactive: proactivePath, settings: { rmUrl: 'pnp://rm' } }), (e: unknown) => e instanceof GuestprepError && e.code === 'CANCELLED');
});

test('logLine keeps phases, steps and logs, and drops byte and progress events', () => {
  assert.equal(logLine({ type: 'phase', phase: 'write', message: 'Writing' }, 1234), '+1.2s [write] Writing');
  assert.equal(logLine({ type: 'step', stepId: 'upload-jre', title: 'Upload the JRE', status: 'done', index: 2, total: 9 }, 0), '+0.0s step 3/9 done: Upload the JRE (upload-jre)');
  assert.equal(logLine({ type: 'log', level: 'warn', message: 'TCG' }, 0), '+0.0s warn: TCG');
  assert.equal(logLine({ type: 'bytes', stepId: 'x', sent: 1, total: 2 }, 0), undefined);
  assert.equal(logLine({ type: 'progress', percent: 5 }, 0), undefined);
});

// ------------------------------------------------------------------------------ requests from the page

/** The backend behind the Electron door (IPC handlers with a fake ipcMain), over a real SQLite store. */
function throughIpc(log: string[] = []) {
  const store = openStore(':memory:');
  const backend = createBackend({ store, emit: () => undefined, stateDir: join(root, 'state'), log: (l) => log.push(l) });
  const channels = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  registerIpcHandlers({
    ipcMain: { handle: (c, l) => void channels.set(c, l), removeHandler: (c) => void channels.delete(c) },
    handlers: backend,
    trusted: () => ({ webContents: 'main', appUrl: 'file:///app/index.html' }),
    log: (l) => log.push(l),
  });
  const call = (name: CallName, req: unknown) =>
    channels.get(callChannel(name))!({ sender: 'main', senderFrame: { url: 'file:///app/index.html', parent: null } }, req) as Promise<Result<unknown>>;
  return { store, backend, call };
}

function refusedWith(r: Result<unknown>, field: string): ErrorData {
  assert.equal(r.ok, false, 'refused');
  const e = (r as { ok: false; error: ErrorData }).error;
  assert.equal(e.code, 'SETTING_INVALID', `${e.message} ${e.detail ?? ''}`);
  assert.equal(e.field, field);
  assert.ok(e.message.includes(field), `the message names ${field}: ${e.message}`);
  assert.equal(e.detail, undefined, 'no detail (no stack) for the page');
  return e;
}

test('history.list with limit 1e300 is refused naming the limit, not answered with a SqliteError stack', async () => {
  const { store, backend, call } = throughIpc();
  try {
    refusedWith(await call('history.list', { limit: 1e300 }), 'limit');
    refusedWith(await call('history.list', { limit: 1001 }), 'limit');
    assert.deepEqual(await call('history.list', { limit: 1000 }), { ok: true, value: [] });
  } finally {
    await backend.dispose();
    store.close();
  }
});

test('plan.preview with guest {} is refused naming the missing field, not an INTERNAL TypeError', async () => {
  const { store, backend, call } = throughIpc();
  try {
    const proactive = (await backend['archive.detect']({ path: proactivePath, role: 'proactive' })).info as ProactiveInfo;
    const imageInfo = { path: '/vms/n.vdi', format: 'vdi', virtualSize: 1, fileSize: 1 };
    refusedWith(await call('plan.preview', { image: '/vms/n.vdi', guest: {}, imageInfo, proactive, settings: { rmUrl: 'pnp://rm' } }), 'guest.root');
    // The facts inspection really returns go through.
    const jre = (await backend['archive.detect']({ path: jrePath, role: 'jre' })).info as JreInfo;
    const ok = await call('plan.preview', { image: '/vms/n.vdi', guest: guestFacts(), imageInfo, jre, proactive, settings: { rmUrl: 'pnp://rm' } });
    assert.equal(ok.ok, true, JSON.stringify(ok));
  } finally {
    await backend.dispose();
    store.close();
  }
});

test('run.start with a 1 MiB preset name is refused and nothing goes into the history', async () => {
  const { store, backend, call } = throughIpc();
  try {
    const image = rawDisk('preset-1mib.img');
    refusedWith(await call('run.start', { image, proactive: proactivePath, settings: { rmUrl: 'pnp://rm' }, preset: 'p'.repeat(1024 * 1024) }), 'preset');
    assert.deepEqual(store.history.list({}), []);
  } finally {
    await backend.dispose();
    store.close();
  }
});

test('presets.save refuses a 1 MiB path, and settings every run would refuse, with the run\'s own message', async () => {
  const { store, backend, call } = throughIpc();
  try {
    refusedWith(await call('presets.save', { name: 'Lab', data: { jre: `/${'a'.repeat(1024 * 1024)}`, settings: { rmUrl: 'pnp://rm' } } }), 'data.jre');
    const bad = await call('presets.save', { name: 'Lab', data: { settings: { rmUrl: 'http://rm.example.org:8080' } } });
    assert.equal(!bad.ok && bad.error.code, 'SETTING_INVALID');
    assert.match(!bad.ok ? bad.error.message : '', /web portal/);
    const badName = await call('presets.save', { name: 'Lab', data: { settings: { rmUrl: 'pnp://rm', nodeName: 'a;reboot' } } });
    assert.equal(!badName.ok && badName.error.code, 'SETTING_INVALID');
    assert.deepEqual(store.presets.list(), []);
    assert.equal((await call('presets.save', { name: 'Lab', data: { settings: { rmUrl: 'pnp://rm', nodeName: 'node-{n}' } } })).ok, true);
  } finally {
    await backend.dispose();
    store.close();
  }
});

test('an unexpected exception reaches the page as a plain INTERNAL error; its stack goes to the log', async () => {
  const log: string[] = [];
  const { store, backend, call } = throughIpc(log);
  try {
    // A store that breaks like a bug would: a TypeError deep inside.
    store.history.list = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'limit')");
    };
    const r = await call('history.list', {});
    assert.equal(r.ok, false);
    const e = (r as { ok: false; error: ErrorData }).error;
    assert.equal(e.code, 'INTERNAL');
    assert.equal(e.detail, undefined);
    assert.doesNotMatch(`${e.message} ${e.fix}`, /TypeError|reading 'limit'|\bat \S+ \(/);
    assert.match(e.fix, /bug/);
    assert.equal(log.length, 1);
    assert.match(log[0], /history\.list.*TypeError: Cannot read properties of undefined[\s\S]*\bat /);
  } finally {
    await backend.dispose();
    store.close();
  }
});
