// The packaging configuration (electron-builder.yml) and the native-rebuild script are checked here with the
// tools themselves: electron-builder's own schema validator, and the script run as npm would run it.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');
const script = path.join(repo, 'scripts', 'rebuild-native.cjs');

interface BuilderConfig {
  appId?: string;
  productName?: string;
  asar?: boolean;
  asarUnpack?: string[];
  /** getConfig normalises the list into [{ filter: [...] }]. */
  files?: Array<string | { filter?: string[] }>;
  linux?: { target?: string[]; icon?: string };
  deb?: { depends?: string[] };
  win?: { target?: string[] };
}

interface BuilderModules {
  getConfig(projectDir: string, configPath: string, fromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
  DebugLogger: new (enabled: boolean) => unknown;
}

function builderModules(): BuilderModules | undefined {
  try {
    const config = require(require.resolve('app-builder-lib/out/util/config/config', { paths: [repo] }));
    const util = require(require.resolve('builder-util', { paths: [repo] }));
    return { getConfig: config.getConfig, validateConfiguration: config.validateConfiguration, DebugLogger: util.DebugLogger };
  } catch {
    return undefined;
  }
}

test("electron-builder.yml passes electron-builder's own validation and says what the brief requires", async (t) => {
  const eb = builderModules();
  if (!eb) {
    t.skip('electron-builder (app-builder-lib) is not installed');
    return;
  }
  const cfg = await eb.getConfig(repo, path.join(repo, 'electron-builder.yml'), null);
  await eb.validateConfiguration(cfg, new eb.DebugLogger(false));
  assert.equal(cfg.appId, 'org.guestprep.app');
  assert.equal(cfg.productName, 'Guestprep');
  assert.equal(cfg.asar, true);
  // Native addons, and the Windows service wrapper that guestfish uploads from a real host path.
  assert.deepEqual(cfg.asarUnpack, ['**/*.node', 'resources/windows/bin/**']);
  assert.deepEqual(cfg.linux?.target, ['AppImage', 'deb']);
  assert.deepEqual(cfg.win?.target, ['nsis']);
  for (const dep of ['libguestfs-tools', 'qemu-utils', 'libgtk-3-0', 'libnss3']) assert.ok(cfg.deb?.depends?.includes(dep), dep);
  const files = (cfg.files ?? []).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
  for (const f of ['dist/**/*', 'package.json', 'resources/**/*', 'node_modules/**/*']) assert.ok(files.includes(f), f);
  assert.ok(fs.existsSync(path.join(repo, cfg.linux?.icon ?? 'missing')), 'the icon the config names exists');
});

test('the icon is a PNG of at least 256x256 (electron-builder derives the Linux sizes and the .ico from it)', () => {
  const png = fs.readFileSync(path.join(repo, 'resources', 'icon.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.equal(width, height);
  assert.ok(width >= 256, `icon is ${width}px`);
  assert.match(fs.readFileSync(path.join(repo, 'resources', 'icon.svg'), 'utf8'), /<svg[^>]+viewBox="0 0 512 512"/);
});

function runScript(env: Record<string, string | undefined>, args: string[] = []) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('rebuild-native skips with a reason and exits 0 where the Electron binary is absent', (t) => {
  const { detectElectron } = require(script) as { detectElectron: () => { path?: string; skip?: string } };
  if (detectElectron().path) {
    t.skip('an Electron binary is installed here: the skip path cannot be observed');
    return;
  }
  const r = runScript({ ELECTRON_OVERRIDE_DIST_PATH: undefined, GUESTPREP_SKIP_NATIVE_REBUILD: undefined });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /skipped: Electron's binary/);
});

test('rebuild-native finds an installed Electron binary and would run electron-builder install-app-deps', () => {
  // ELECTRON_OVERRIDE_DIST_PATH is the electron package's own switch for "the binary is there": a file
  // named electron in that folder stands for a downloaded binary.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-electron-'));
  try {
    fs.writeFileSync(path.join(dir, 'electron'), '');
    const found = runScript({ ELECTRON_OVERRIDE_DIST_PATH: dir }, ['--dry-run']);
    assert.equal(found.status, 0, found.out);
    assert.match(found.out, /would run: .*electron-builder.*cli\.js install-app-deps/);
    fs.rmSync(path.join(dir, 'electron'));
    const gone = runScript({ ELECTRON_OVERRIDE_DIST_PATH: dir }, ['--dry-run']);
    assert.equal(gone.status, 0, gone.out);
    assert.match(gone.out, /skipped: .*does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('detectElectron reports a throwing electron package as a skip, not a crash', () => {
  const { detectElectron } = require(script) as { detectElectron: (load: (m: string) => unknown) => { path?: string; skip?: string } };
  const r = detectElectron(() => {
    throw new Error('Electron failed to install correctly\nsecond line');
  });
  assert.equal(r.path, undefined);
  assert.match(r.skip ?? '', /not installed \(Electron failed to install correctly\)$/);
});
