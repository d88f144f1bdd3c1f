// `guestprep prepare A B` as a user types it: one appliance launch for both, one JSON item per image, the
// not-a-disk one refused on its own, and the exit code of that failure.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSampleGuest } from '../../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';

const BIN = join(resolve(__dirname, '..', '..', '..'), 'bin', 'guestprep.cjs');
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'gp batch cli (int) '));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('prepare A B: one launch, an item per image, a refused image does not stop the other', async () => {
  const vm = join(root, 'VirtualBox VMs', 'Node (1)');
  mkdirSync(vm, { recursive: true });
  const [image, jre, proactive] = await Promise.all([
    buildSampleGuest(vm, { flavour: 'systemd', hostname: 'cli-node', format: 'vdi', sizeMb: 96 }),
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz', fillerBytes: 512 * 1024 }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', fillerBytes: 512 * 1024 }),
  ]);
  const bogus = join(root, 'bogus.vdi');
  writeFileSync(bogus, 'no disk here\n');
  const r = spawnSync(process.execPath, [BIN, 'prepare', image, bogus, '--jre', jre, '--proactive', proactive, '--rm-url', 'pnp://rm.example.org', '--node-name', 'n{n}-{hostname}', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, GUESTPREP_DATA_DIR: join(root, 'data') },
  });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; item?: { n: number; ok: boolean; report?: { settings: { nodeName: string } }; error?: { code: string } }; batch?: { launches: number } });
  assert.equal(r.status, 3, r.stderr);
  const items = lines.filter((l) => l.type === 'item').map((l) => l.item!);
  assert.equal(items.length, 2);
  const ok = items.find((i) => i.n === 1)!;
  assert.equal(ok.ok, true);
  assert.equal(ok.report?.settings.nodeName, 'n1-cli-node');
  assert.equal(items.find((i) => i.n === 2)?.error?.code, 'IMAGE_NOT_A_DISK');
  assert.equal(lines.find((l) => l.type === 'result')?.batch?.launches, 1);
  assert.ok(lines.some((l) => l.type === 'event'), 'events carry their image');
});
