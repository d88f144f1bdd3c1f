// The image lock across processes: while `guestprep prepare` works on an image, a second CLI run and the
// app (another process on the same database) are refused before any launch, with a message naming the
// first run's process. The first run then cancels cleanly and the image is byte-identical.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSampleGuest } from '../../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';
import { openStore } from '../../main/backend/store';
import { DB_FILE_NAME } from '../../main/backend/paths';
import { createBackend } from '../../main/backend/backend';
import type { Events } from '../../main/contract/contract';

const BIN = join(resolve(__dirname, '..', '..', '..'), 'bin', 'guestprep.cjs');
let root: string;
let dataDir: string;
let image: string;
let jre: string;
let proactive: string;

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp locks (int) '));
  dataDir = join(root, 'data');
  const vmDir = join(root, 'VirtualBox VMs', 'Locked (1)');
  mkdirSync(vmDir, { recursive: true });
  [image, jre, proactive] = await Promise.all([
    buildSampleGuest(vmDir, { flavour: 'systemd', format: 'vdi', sizeMb: 96 }),
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 1024 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 1024 * 1024 }),
  ]);
});

after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GUESTPREP_DATA_DIR: dataDir } });
  const lines: Array<{ type: string; event?: { type: string; phase?: string }; error?: { code: string; message: string; fix: string } }> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as (typeof lines)[number]);
      waiters.splice(0).forEach((w) => w());
    } catch {
      /* not JSON */
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  return { child, lines, exited, until };
}

test('a second run on the same image, from the CLI or the app, is refused naming the first; the first cancels cleanly', async () => {
  const before = sha256(image);
  const prepareArgs = ['prepare', image, '--jre', jre, '--proactive', proactive, '--rm-url', 'pnp://rm.example.org'];
  const first = cli(prepareArgs);
  await first.until(() => first.lines.some((l) => l.event?.type === 'phase' && l.event.phase === 'launch'));

  const second = cli(prepareArgs);
  assert.equal(await second.exited, 3, 'refused as an image problem (exit 3)');
  const err = second.lines.find((l) => l.type === 'error')?.error;
  assert.equal(err?.code, 'IMAGE_BUSY');
  assert.match(err?.message ?? '', new RegExp(`\\(guestprep prepare, process ${first.child.pid}, started .*\\) is already preparing`));
  assert.match(err?.fix ?? '', /Wait for run .* to finish or cancel it/);
  assert.equal(second.lines.some((l) => l.event?.phase === 'launch'), false, 'refused before any launch');

  // The app: another process in real life, another connection to the same database here.
  const store = openStore(join(dataDir, DB_FILE_NAME));
  const results: Array<Events['run.result']> = [];
  const backend = createBackend({ store, emit: (name, payload) => name === 'run.result' && results.push(payload as Events['run.result']) });
  try {
    await backend['recovery.status']({});
    await backend['run.start']({ image, jre, proactive, settings: { rmUrl: 'pnp://rm.example.org' } });
    while (results.length === 0) await new Promise((r) => setTimeout(r, 50));
    const r = results[0].result;
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'IMAGE_BUSY');
      assert.match(r.error.message, new RegExp(`process ${first.child.pid}`));
    }
  } finally {
    await backend.dispose();
    store.close();
  }

  first.child.kill('SIGINT');
  assert.equal(await first.exited, 130);
  assert.equal(sha256(image), before);
});
