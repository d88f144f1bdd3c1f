// The desktop app's happy path, driven through the real Electron app with Playwright's `_electron`: choose a
// sample VDI, walk the wizard (Guest, Java, ProActive, Manager, Review), run, and reach the Result page; on
// the way, check that the page got the preload's client and no Node.
//
// Runs wherever an Electron binary is installed and libguestfs works; elsewhere it SKIPS and says why (the
// electron package downloads its binary at install time, which offline machines refuse).
//
// Needs a built app: `npx tsc -p tsconfig.json` (main + preload) and the renderer build (dist/renderer).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { buildSampleGuest } from '../main/sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../main/sample/archives';

const repo = path.resolve(__dirname, '..', '..');
const mainJs = path.join(repo, 'dist', 'main', 'electron', 'main.js');
const indexHtml = path.join(repo, 'dist', 'renderer', 'index.html');

/** The Electron binary, or why there is none. */
function electronBinary(): { path: string } | { why: string } {
  let p: unknown;
  try {
    p = require(require.resolve('electron', { paths: [repo] }));
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { why: `Electron's binary could not be found: the electron package has none (its download at install time failed or was refused): ${first}` };
  }
  if (typeof p !== 'string' || !fs.existsSync(p)) return { why: `Electron's binary could not be found at ${String(p)} (its download failed)` };
  return { path: p };
}

function libguestfsMissing(): string | undefined {
  const r = spawnSync('guestfish', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'libguestfs (guestfish) is not installed: the run cannot inspect or prepare the sample image';
}

const MINUTE = 60_000;

async function next(page: Page, heading: string): Promise<void> {
  // click() waits for the button to become enabled: Next stays disabled until the step is valid
  // (archive detected, settings validated), which is what this waits for.
  await page.getByRole('button', { name: 'Next', exact: true }).click({ timeout: 2 * MINUTE });
  await page.getByRole('heading', { level: 2, name: heading }).waitFor({ timeout: MINUTE });
}

async function detectArchive(page: Page, label: RegExp, archive: string): Promise<void> {
  const field = page.getByLabel(label);
  await field.fill(archive);
  await field.press('Enter');
}

test('electron happy path', { timeout: 20 * MINUTE }, async (t) => {
  const electron = electronBinary();
  if ('why' in electron) {
    t.skip(electron.why);
    return;
  }
  const noGuestfs = libguestfsMissing();
  if (noGuestfs) {
    t.skip(noGuestfs);
    return;
  }
  assert.ok(fs.existsSync(mainJs), `${mainJs} is missing: run npx tsc -p tsconfig.json`);
  assert.ok(fs.existsSync(indexHtml), `${indexHtml} is missing: build the renderer (vite) first`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-electron-e2e-'));
  let app: ElectronApplication | undefined;
  try {
    // A space and parentheses in the folder, like VirtualBox's own "VirtualBox VMs/Name (1)".
    const vmDir = path.join(dir, 'VirtualBox VMs', 'Node (1)');
    fs.mkdirSync(vmDir, { recursive: true });
    const [image, jre, proactive] = await Promise.all([
      buildSampleGuest(vmDir, { flavour: 'systemd', hostname: 'e2e-node', format: 'vdi', sizeMb: 96 }),
      makeSampleJre(dir, { version: '17.0.9', os: 'linux', arch: 'x86_64', kind: 'tar.gz' }),
      makeSampleProactive(dir, { generation: 'modern', version: '13.0.0', kind: 'zip' }),
    ]);

    app = await _electron.launch({
      executablePath: electron.path,
      args: [mainJs],
      cwd: repo,
      // Its own data folder: the test never touches the user's presets and history.
      env: { ...process.env, GUESTPREP_DATA_DIR: path.join(dir, 'data') } as Record<string, string>,
      timeout: MINUTE,
    });
    const page = await app.firstWindow();

    // What the page can reach: the preload's client, and no Node.
    const exposure = await page.evaluate(() => {
      const w = globalThis as unknown as Record<string, unknown> & { guestprep?: { kind?: string } };
      return { kind: w.guestprep?.kind, keys: Object.keys(w.guestprep ?? {}).sort(), require: typeof w.require, process: typeof w.process };
    });
    assert.deepEqual(exposure, { kind: 'electron', keys: ['call', 'kind', 'on', 'pathForFile'], require: 'undefined', process: 'undefined' });

    // Image: the path field (a drop with a real host path cannot be synthesised from a test).
    await page.getByRole('heading', { level: 2, name: 'Image' }).waitFor();
    const imageField = page.getByLabel('Disk image path');
    await imageField.fill(image);
    await imageField.press('Enter');
    // Inspection boots a small appliance (about 15 s with KVM, longer under TCG) and moves on by itself.
    await page.getByRole('heading', { level: 2, name: 'Guest' }).waitFor({ timeout: 5 * MINUTE });

    await next(page, 'Java');
    await detectArchive(page, /^Java runtime archive path/, jre);
    await next(page, 'ProActive');
    await detectArchive(page, /^ProActive distribution archive path/, proactive);
    await next(page, 'Manager');
    await page.getByLabel(/^Resource Manager URL/).fill('pnp://rm.example.org:64738');
    await next(page, 'Review');

    await page.getByRole('button', { name: 'Run', exact: true }).click({ timeout: 2 * MINUTE });
    await page.getByRole('heading', { level: 2, name: 'Result' }).waitFor({ timeout: 15 * MINUTE });
    await page.getByRole('button', { name: 'Prepare another image' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Show in folder' }).isVisible(), 'Electron offers "Show in folder"');
    assert.match(await page.locator('main, body').first().innerText(), /next boot/i);

    // The run is in the history the app stores in its data folder (same store as the CLI).
    const history = await page.evaluate(async () => {
      const g = (globalThis as unknown as { guestprep: { call(n: string, r: unknown): Promise<{ ok: boolean; value?: Array<{ outcome?: string; image: string }> }> } }).guestprep;
      return g.call('history.list', {});
    });
    assert.equal(history.ok, true);
    assert.equal(history.value?.[0]?.outcome, 'success');
    assert.equal(history.value?.[0]?.image, image);
  } finally {
    await app?.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
