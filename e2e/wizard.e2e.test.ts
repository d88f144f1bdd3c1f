// The desktop app's renderer, for real, in Debian's Chromium, against the real engine through the browser
// bridge: `guestprep serve` runs as a child process (its own data, state and HOME folders), the page is
// driven like a user would (a real drop event, typed paths, Next), and what a run did is checked FROM THE
// IMAGE with the engine's own inspection. Covers: the happy path, presets across an app restart, cancel
// (image byte-identical), a failing run (failing step + fix on the page), a running VirtualBox VM's disk
// refused, and the page's security (no Node, CSP, cross-origin WebSocket refused). Saves the README's
// screenshots to docs/screenshots/.
//
// Needs a built app (`npm run build`: dist/ and dist/renderer) and libguestfs. Skips, saying why, when
// /usr/bin/chromium or guestfish is missing.

// In-page code (page.evaluate) runs in Chromium: it needs the DOM types, which the root tsconfig leaves out.
/// <reference lib="dom" />

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildSampleGuest, type SampleGuestOptions } from '../main/sample/sample-guest';
import { buildSampleWindows } from '../main/sample/sample-windows';
import { makeSampleJre, makeSampleProactive } from '../main/sample/archives';
import { inspectImage } from '../main/engine/run/inspect-image';
import { startApp, type AppProcess } from './support/serve-app';
import { writeFakeVBoxManage, writeVirtualBoxConfig } from './support/vbox-home';
import { chooseArchive, dropFile, heading, MINUTE, next, SECOND } from './support/wizard-page';

const repo = path.resolve(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const RM_URL = 'pnp://rm.example.org:64738';
const shots = path.join(repo, 'docs', 'screenshots');

function whySkip(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium): the page cannot be driven`;
  if (spawnSync('guestfish', ['--version']).status !== 0) return 'libguestfs (guestfish) is not installed: images cannot be inspected or prepared';
  if (!fs.existsSync(path.join(repo, 'dist', 'renderer', 'index.html'))) return 'the renderer is not built (npm run build): guestprep serve has no page to serve';
  return undefined;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function guestAt(dest: string, opts: SampleGuestOptions): Promise<string> {
  // Built in a folder of its own (the builder names the file by flavour), then moved where a user keeps it.
  const built = await buildSampleGuest(fs.mkdtempSync(path.join(tmp, 'build-')), opts);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(built, dest);
  return dest;
}

let tmp = '';
let browser: Browser | undefined;
let app: AppProcess | undefined;
let appEnv: NodeJS.ProcessEnv;
const img = { happy: '', second: '', cancel: '', broken: '', vmDisk: '', windows: '' };
const arc = { jre: '', bigJre: '', proactive: '', bundled: '', winJre: '', winProactive: '' };
const VM = { name: 'NodeVM', uuid: randomUUID(), diskUuid: randomUUID() };

async function page(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: 'light' });
  const p = await context.newPage();
  await p.goto(app!.url);
  try {
    await heading(p, 'Image').waitFor({ timeout: 30 * SECOND });
  } catch (err) {
    // Say what the page shows instead (e.g. "cannot reach its backend", or an empty page when dist/renderer
    // was being rebuilt meanwhile) and what the server said.
    const text = await p.locator('body').innerText().catch(() => '(no page)');
    await context.close();
    throw new Error(`the wizard did not appear: ${String(err)}
page: ${text.slice(0, 500)}
server: ${app!.output().slice(-1000)}`);
  }
  return { context, page: p };
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(shots, name) });
}

/** Image dropped -> Guest -> Java -> ProActive -> Manager (URL typed, validated). Leaves the page on Manager. */
async function walkToManager(p: Page, image: string, jre: string, opts: { screenshots?: boolean } = {}): Promise<void> {
  await dropFile(p, '[data-testid="image-drop"]', image, path.basename(image));
  await heading(p, 'Guest').waitFor({ timeout: 3 * MINUTE });
  await p.getByLabel('Guest facts').waitFor();
  if (opts.screenshots) await shot(p, '02-guest.png');
  await next(p, 'Java');
  await chooseArchive(p, 'jre', jre, 'Java runtime');
  if (opts.screenshots) await shot(p, '03-java.png');
  await next(p, 'ProActive');
  await chooseArchive(p, 'proactive', arc.proactive, 'ProActive distribution');
  if (opts.screenshots) await shot(p, '04-proactive.png');
  await next(p, 'Manager');
  await p.locator('#rmUrl').fill(RM_URL);
  await p.getByTestId('resolved').waitFor({ timeout: MINUTE });
}

/** Manager -> Review (plan steps and script shown). */
async function toReview(p: Page): Promise<void> {
  await next(p, 'Review');
  await p.getByTestId('plan-steps').waitFor({ timeout: MINUTE });
  await p.getByTestId('script').waitFor();
}

const skip = whySkip();

describe('the wizard in Chromium, through guestprep serve, on real images', { skip }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-e2e-'));
    const home = path.join(tmp, 'home');
    const stateDir = path.join(tmp, 'state');
    // The KVM-or-TCG verdict lives in the state folder: the app and this process share it, so only the
    // first launch pays for the probe.
    process.env.GUESTPREP_STATE_DIR = stateDir;
    fs.mkdirSync(shots, { recursive: true });

    img.happy = path.join(home, 'VirtualBox VMs', 'Node (1)', 'node.vdi');
    img.second = path.join(home, 'images', 'second node.vdi');
    img.cancel = path.join(home, 'images', 'cancel.vdi');
    img.broken = path.join(home, 'images', 'broken.vdi');
    img.vmDisk = path.join(home, 'VirtualBox VMs', VM.name, `${VM.name}.vdi`);
    const archives = path.join(tmp, 'archives');
    fs.mkdirSync(archives, { recursive: true });
    const windowsBuilt = buildSampleWindows(path.join(tmp, 'win-build'), { variant: 'win10-x64' });
    [img.happy, img.second, img.cancel, img.broken, arc.jre, arc.bigJre, arc.proactive, arc.bundled, arc.winJre, arc.winProactive] = await Promise.all([
      guestAt(img.happy, { hostname: 'node-one' }),
      guestAt(img.second, { hostname: 'node-two', flavour: 'sysvinit' }),
      // Room for the large JRE whose upload is cancelled.
      guestAt(img.cancel, { hostname: 'node-three', sizeMb: 320 }),
      // A file where the install directory must go: the run fails in a named step.
      guestAt(img.broken, { hostname: 'node-four', extraFiles: { '/opt/proactive': 'not a folder' } }),
      makeSampleJre(archives),
      // Random filler does not compress: about 100 MB to upload, a few seconds even on a fast machine.
      makeSampleJre(path.join(archives, 'big-jre.tar.gz'), { fillerBytes: 100 * 1024 * 1024 }),
      makeSampleProactive(archives, { generation: 'modern' }),
      // Bundles a JRE, so the Java step may stay empty until the preset brings its own.
      makeSampleProactive(path.join(archives, 'activeeon_enterprise-node-linux-x64-13.0.0-bundled.zip'), { generation: 'modern', bundledJre: true }),
      // A Windows guest's archives: a Windows JRE and a node distribution with only the .bat start script.
      makeSampleJre(path.join(archives, 'OpenJDK17U-jre_x64_windows.zip'), { version: '17.0.9', os: 'windows', arch: 'x86_64' }),
      makeSampleProactive(path.join(archives, 'activeeon_enterprise-node-windows-x64-13.0.0.zip'), { generation: 'modern', scripts: 'windows' }),
    ]);
    img.windows = path.join(home, 'VirtualBox VMs', 'Windows 10 (64)', 'Windows 10 (64).vdi');
    fs.mkdirSync(path.dirname(img.windows), { recursive: true });
    fs.renameSync(await windowsBuilt, img.windows);
    fs.mkdirSync(path.dirname(img.vmDisk), { recursive: true });
    fs.copyFileSync(img.broken, img.vmDisk);
    writeVirtualBoxConfig(home, { ...VM, disk: img.vmDisk });
    const fakeBin = writeFakeVBoxManage(path.join(tmp, 'bin'), [VM]);

    appEnv = { ...process.env, HOME: home, GUESTPREP_DATA_DIR: path.join(tmp, 'data'), GUESTPREP_STATE_DIR: stateDir, PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}` };
    delete appEnv.VBOX_USER_HOME;
    delete appEnv.XDG_CONFIG_HOME;
    app = await startApp({ repo, env: appEnv });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await app?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('security: no Node in the page, CSP (meta and header) blocks inline script and other origins, foreign WebSocket refused', { timeout: MINUTE }, async () => {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 800 } });
    // A loopback server on another port is another origin: the page must not reach it.
    let hits = 0;
    const other = http.createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const p = await context.newPage();
      const res = await p.goto(app!.url);
      const header = res?.headers()['content-security-policy'] ?? '';
      assert.match(header, /script-src 'self'/);
      assert.match(header, /connect-src ws:\/\/127\.0\.0\.1:\d+;/);
      assert.doesNotMatch(header, /unsafe-inline|unsafe-eval/);
      await heading(p, 'Image').waitFor({ timeout: 30 * SECOND });

      const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const seen = await p.evaluate(async (otherOrigin) => {
        const w = window as unknown as Record<string, unknown>;
        const violations: string[] = [];
        const both = new Promise<void>((resolve) => {
          document.addEventListener('securitypolicyviolation', (e) => {
            violations.push(e.effectiveDirective);
            if (violations.includes('script-src-elem') && violations.includes('connect-src')) resolve();
          });
        });
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true;';
        document.body.appendChild(s);
        let fetchError = '';
        try {
          await fetch(`${otherOrigin}/steal`, { mode: 'no-cors' });
        } catch (e) {
          fetchError = String(e);
        }
        // The violation reports are queued as tasks: give them a bounded moment to arrive.
        await Promise.race([both, new Promise((r) => setTimeout(r, 3000))]);
        return {
          require: typeof w.require,
          process: typeof w.process,
          inlineRan: w.__inlineRan === true,
          fetchError,
          violations,
          meta: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
        };
      }, otherOrigin);
      assert.equal(seen.require, 'undefined');
      assert.equal(seen.process, 'undefined');
      assert.match(seen.meta ?? '', /script-src 'self'/);
      // The served page's <meta> is the header's policy (the built page's desktop one was rewritten).
      assert.equal(seen.meta, header.replace(/; frame-ancestors 'none'$/, ''));
      assert.equal(seen.inlineRan, false, 'an injected inline script ran');
      assert.ok(seen.violations.includes('script-src-elem'), `no script-src violation: ${seen.violations.join(', ')}`);
      assert.match(seen.fetchError, /TypeError/);
      assert.ok(seen.violations.includes('connect-src'), `no connect-src violation: ${seen.violations.join(', ')}`);
      assert.equal(hits, 0, 'the other origin was reached');

      // The bridge's WebSocket, with the right token: open from our page, refused from another origin.
      const wsUrl = `ws://127.0.0.1:${app!.port}/api?token=${new URL(app!.url).searchParams.get('token')}`;
      const tryWs = (pg: Page) =>
        pg.evaluate(
          (u) =>
            new Promise<string>((resolve) => {
              const ws = new WebSocket(u);
              ws.onopen = () => {
                ws.close();
                resolve('open');
              };
              ws.onclose = () => resolve('closed');
              setTimeout(() => resolve('timeout'), 10_000);
            }),
          wsUrl,
        );
      assert.equal(await tryWs(p), 'open');
      const foreign = await context.newPage();
      await foreign.goto('data:text/html,<title>another site</title>');
      assert.equal(await tryWs(foreign), 'closed');
    } finally {
      await context.close();
      await new Promise((r) => other.close(r));
    }
  });

  test('a running VirtualBox VM: its disk is listed but disabled, the reason names the VM', { timeout: MINUTE }, async () => {
    const { context, page: p } = await page();
    try {
      const vm = p.getByTestId(`vm-${VM.name}`);
      await vm.waitFor({ timeout: 30 * SECOND });
      assert.match((await vm.textContent()) ?? '', /running/);
      const use = vm.getByRole('button', { name: `Use ${VM.name}.vdi` });
      assert.equal(await use.isDisabled(), true);
      const reasonId = await use.getAttribute('aria-describedby');
      assert.ok(reasonId);
      const reason = (await p.locator(`[id="${reasonId}"]`).textContent()) ?? '';
      assert.match(reason, new RegExp(`"${VM.name}" is running`));
      assert.match((await vm.textContent()) ?? '', new RegExp(img.vmDisk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      await shot(p, '01-image.png');
    } finally {
      await context.close();
    }
  });

  test('happy path: drop, Guest, Java, ProActive, Manager (preset saved), Review, Run, Result; the node is in the image', { timeout: 6 * MINUTE }, async () => {
    const { context, page: p } = await page();
    try {
      await walkToManager(p, img.happy, arc.jre, { screenshots: true });
      await p.getByRole('button', { name: 'Save as preset' }).click();
      await p.locator('#preset-name').fill('cluster-a');
      await p.getByRole('button', { name: 'Save', exact: true }).click();
      await p.getByTestId('preset-status').getByText('Saved preset "cluster-a".').waitFor();
      await shot(p, '05-manager.png');
      await toReview(p);
      const steps = (await p.getByTestId('plan-steps').textContent()) ?? '';
      assert.match(steps, /Upload the Java runtime 17\.0\.9/);
      assert.match(steps, /Upload the ProActive node 13\.0\.0/);
      assert.match((await p.getByTestId('script').textContent()) ?? '', /tar-in/);
      await shot(p, '06-review.png');

      await next(p, 'Run');
      await heading(p, 'Result').waitFor({ timeout: 4 * MINUTE });
      await p.getByTestId('verification').getByText(/^Verified: \d+ checks passed\.$/).waitFor();
      assert.match((await p.getByLabel('Installed node').textContent()) ?? '', new RegExp(`${RM_URL}.*node-one|node-one.*${RM_URL}`, 's'));
      await shot(p, '08-result.png');
      const toggle = p.locator('.theme-toggle');
      while (!/Theme: dark/.test((await toggle.textContent()) ?? '')) await toggle.click();
      assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await shot(p, '09-result-dark.png');
    } finally {
      await context.close();
    }

    // From the image itself, not from what the page said.
    const report = await inspectImage(img.happy);
    const rec = report.guest.existing?.record;
    assert.ok(rec, 'no Guestprep install record in the image');
    assert.equal(rec.rmUrl, RM_URL);
    assert.equal(rec.nodeName, 'node-one');
    assert.equal(rec.nodeSource, 'Default');
    assert.equal(rec.init, 'systemd');
    assert.equal(rec.jre?.version, '17.0.9');
    assert.equal(rec.proactive.version, '13.0.0');
    assert.equal(rec.proactive.generation, 'modern');
  });

  test('a Windows guest goes through the wizard: its own facts, a Windows JRE and node, a service in the image', { timeout: 6 * MINUTE }, async () => {
    const { context, page: p } = await page();
    try {
      await dropFile(p, '[data-testid="image-drop"]', img.windows, path.basename(img.windows));
      await heading(p, 'Guest').waitFor({ timeout: 3 * MINUTE });
      const facts = (await p.getByLabel('Guest facts').textContent()) ?? '';
      assert.match(facts, /System drive\s*C:/);
      assert.match(facts, /Control set\s*ControlSet00\d/);
      assert.match(facts, /a Windows service/);
      assert.doesNotMatch(facts, /Init system|C::/);
      assert.doesNotMatch((await p.locator('body').innerText()), /Linux guests only/);
      await next(p, 'Java');
      await chooseArchive(p, 'jre', arc.winJre, 'Java runtime');
      await next(p, 'ProActive');
      await chooseArchive(p, 'proactive', arc.winProactive, 'ProActive distribution');
      await next(p, 'Manager');
      await p.locator('#rmUrl').fill(RM_URL);
      await p.getByTestId('resolved').waitFor({ timeout: MINUTE });
      await toReview(p);
      assert.match((await p.getByTestId('plan-steps').textContent()) ?? '', /service/i);
      await next(p, 'Run');
      await heading(p, 'Result').waitFor({ timeout: 5 * MINUTE });
      await p.getByTestId('verification').getByText(/^Verified: \d+ checks passed\.$/).waitFor();
    } finally {
      await context.close();
    }
    const rec = (await inspectImage(img.windows)).guest.existing?.record;
    assert.ok(rec, 'no Guestprep install record in the Windows image');
    assert.equal(rec.init, 'windows-service');
    assert.equal(rec.rmUrl, RM_URL);
    assert.equal(rec.proactive.windowsStartScript, 'bin/proactive-node.bat');
  });

  test('presets: "cluster-a" survives an app restart and prepares a second image', { timeout: 5 * MINUTE }, async () => {
    await app!.stop();
    app = await startApp({ repo, env: appEnv });
    const { context, page: p } = await page();
    try {
      await dropFile(p, '[data-testid="image-drop"]', img.second, path.basename(img.second));
      await heading(p, 'Guest').waitFor({ timeout: 3 * MINUTE });
      await next(p, 'Java'); // left empty: the preset brings the JRE it was saved with
      await next(p, 'ProActive');
      // Another archive than the preset's: applying the preset must switch to the saved one.
      await chooseArchive(p, 'proactive', arc.bundled, 'ProActive distribution');
      await next(p, 'Manager');
      await p.locator('#preset-select').selectOption('cluster-a');
      await p.getByTestId('resolved').waitFor({ timeout: MINUTE });
      assert.equal(await p.locator('#rmUrl').inputValue(), RM_URL);
      await toReview(p);
      // The preset's archives are detected again in the background and the plan is rebuilt when they change:
      // the JRE it was saved with must show up as an upload step.
      await p.getByTestId('plan-steps').getByText(/Upload the Java runtime 17\.0\.9/).waitFor({ timeout: MINUTE });
      await next(p, 'Run');
      await heading(p, 'Result').waitFor({ timeout: 4 * MINUTE });
      await p.getByTestId('verification').getByText(/^Verified: /).waitFor();
      const facts = (await p.getByLabel('Installed node').textContent()) ?? '';
      assert.match(facts, new RegExp(RM_URL));
      assert.match(facts, /node-two/);
      assert.match(facts, /17\.0\.9/);
    } finally {
      await context.close();
    }
  });

  test('cancel during the upload: the page says cancelled and the image is byte-identical', { timeout: 5 * MINUTE }, async () => {
    const { context, page: p } = await page();
    try {
      await walkToManager(p, img.cancel, arc.bigJre);
      await toReview(p);
      const before = await sha256(img.cancel);
      await next(p, 'Run');
      const upload = p.locator('[data-testid="run-step-upload-jre"].running');
      await upload.waitFor({ timeout: 3 * MINUTE });
      await shot(p, '07-run.png');
      await p.getByRole('button', { name: 'Cancel', exact: true }).click();
      await p.getByRole('status').filter({ hasText: 'The run was cancelled; the image was left unchanged.' }).waitFor({ timeout: 2 * MINUTE });
      assert.equal(await p.getByTestId('overall').textContent(), 'cancelled');
      assert.equal(await p.locator('.run-step.done[data-testid="run-step-upload-jre"]').count(), 0, 'the upload finished before Cancel took effect');
      assert.equal(await sha256(img.cancel), before, 'the cancelled run changed the image');
    } finally {
      await context.close();
    }
  });

  test('a failing run: the failing step is highlighted and the fix is on the page', { timeout: 5 * MINUTE }, async () => {
    const { context, page: p } = await page();
    try {
      await walkToManager(p, img.broken, arc.jre);
      await toReview(p);
      const before = await sha256(img.broken);
      await next(p, 'Run');
      const box = p.getByTestId('error');
      await box.waitFor({ timeout: 4 * MINUTE });
      const failed = p.locator('.run-step.failed');
      assert.equal(await failed.count(), 1, 'no (or more than one) failed step highlighted');
      const failedId = ((await failed.getAttribute('data-testid')) ?? '').replace(/^run-step-/, '');
      const title = (await box.locator('.error-message').textContent()) ?? '';
      assert.match(title, /^Failed at "/);
      const stepTitle = /^\S+\s+(.+): failed/s.exec((await failed.locator('label').textContent()) ?? '')?.[1] ?? '(none)';
      assert.ok(title.startsWith(`Failed at "${stepTitle}"`), `the error (${title}) does not name the highlighted step (${stepTitle})`);
      const fix = ((await p.getByTestId('error-fix').textContent()) ?? '').trim();
      assert.ok(fix.length > 10, `no fix shown: "${fix}"`);
      assert.equal(await p.getByTestId('overall').textContent(), 'failed');
      assert.ok(failedId, 'the highlighted step has no id');
      await shot(p, '10-run-failed.png');
      assert.equal(await sha256(img.broken), before, 'the failed run changed the image');
    } finally {
      await context.close();
    }
  });
});
