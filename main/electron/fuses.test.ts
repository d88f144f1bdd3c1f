// The Electron fuses of the packaged app. electron-builder.yml (`electronFuses`) is the one place they are set;
// electron-builder flips them in the packaged Electron binary. Electron itself cannot run here, so the tests
// read the YAML with electron-builder's own loader and validator, then run electron-builder's own fuse step
// (the method its packing calls) on a stand-in binary that carries Electron's fuse wire, and read the wire
// back with @electron/fuses: what the config says is what the shipped binary would hold.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appUrlFor } from './security';
import { appFiles } from './window';

const repo = path.resolve(__dirname, '..', '..', '..');

/** electron-builder's names for the fuses (the `electronFuses` keys). */
interface FuseOptions {
  runAsNode?: boolean;
  enableCookieEncryption?: boolean;
  enableNodeOptionsEnvironmentVariable?: boolean;
  enableNodeCliInspectArguments?: boolean;
  enableEmbeddedAsarIntegrityValidation?: boolean;
  onlyLoadAppFromAsar?: boolean;
  loadBrowserProcessSpecificV8Snapshot?: boolean;
  grantFileProtocolExtraPrivileges?: boolean;
  resetAdHocDarwinSignature?: boolean;
}

interface BuilderConfig {
  electronFuses?: FuseOptions | null;
}

interface PackContext {
  appOutDir: string;
  electronPlatformName: string;
}

interface Packager {
  doAddElectronFuses(context: PackContext): Promise<void>;
}

interface Builder {
  getConfig(projectDir: string, configPath: string, fromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
  DebugLogger: new (enabled: boolean) => unknown;
  LinuxPackager: { prototype: object };
  WinPackager: { prototype: object };
  /** The properties of FuseOptionsV1 in electron-builder's JSON schema: every fuse it can set. */
  schemaFuseKeys: string[];
  fuses: {
    getCurrentFuseWire(binary: string): Promise<Record<string, unknown>>;
    FuseV1Options: Record<string, number | string>;
  };
}

/** electron-builder, and the @electron/fuses it imports itself (resolved from its own folder, not ours). */
function builder(): Builder | undefined {
  try {
    const resolve = (id: string, from = repo) => require.resolve(id, { paths: [from] });
    const libDir = path.dirname(resolve('app-builder-lib/package.json'));
    const config = require(resolve('app-builder-lib/out/util/config/config'));
    const lib = require(resolve('app-builder-lib'));
    const util = require(resolve('builder-util'));
    // electron-builder logs to stdout, which the test runner also reads its results from: keep it quiet.
    util.log.stream = { write: () => true };
    const schema = JSON.parse(fs.readFileSync(path.join(libDir, 'scheme.json'), 'utf8'));
    return {
      getConfig: config.getConfig,
      validateConfiguration: config.validateConfiguration,
      DebugLogger: util.DebugLogger,
      LinuxPackager: lib.LinuxPackager,
      WinPackager: lib.WinPackager,
      schemaFuseKeys: Object.keys(schema.definitions.FuseOptionsV1.properties),
      fuses: require(resolve('@electron/fuses', libDir)),
    };
  } catch {
    return undefined;
  }
}

async function shippedFuses(eb: Builder): Promise<FuseOptions> {
  const cfg = await eb.getConfig(repo, path.join(repo, 'electron-builder.yml'), null);
  await eb.validateConfiguration(cfg, new eb.DebugLogger(false));
  assert.ok(cfg.electronFuses, 'electron-builder.yml has an electronFuses block');
  return cfg.electronFuses;
}

// ---------------------------------------------------------------- a stand-in Electron binary

// From Electron's build/fuses: the sentinel its build writes before the wire, the wire version, the states
// ('0' off, '1' on) and the defaults of an unflipped binary, in wire order.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const WIRE_VERSION = 1;
const OFF = '0'.charCodeAt(0);
const ON = '1'.charCodeAt(0);
const ELECTRON_DEFAULTS: ReadonlyArray<readonly [string, boolean]> = [
  ['RunAsNode', true],
  ['EnableCookieEncryption', false],
  ['EnableNodeOptionsEnvironmentVariable', true],
  ['EnableNodeCliInspectArguments', true],
  ['EnableEmbeddedAsarIntegrityValidation', false],
  ['OnlyLoadAppFromAsar', false],
  ['LoadBrowserProcessSpecificV8Snapshot', false],
  ['GrantFileProtocolExtraPrivileges', true],
];

/** Bytes around the wire so that it is found by its sentinel, not by its offset. */
function writeFakeElectron(file: string): void {
  const wire = Buffer.from([WIRE_VERSION, ELECTRON_DEFAULTS.length, ...ELECTRON_DEFAULTS.map(([, on]) => (on ? ON : OFF))]);
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x7f), Buffer.from(SENTINEL, 'latin1'), wire, Buffer.alloc(4096, 0x7f)]));
}

/** The wire read back by @electron/fuses, by fuse name: true on, false off. */
async function readWire(eb: Builder, binary: string): Promise<Record<string, boolean>> {
  const wire = await eb.fuses.getCurrentFuseWire(binary);
  assert.equal(wire.version, String(WIRE_VERSION));
  const out: Record<string, boolean> = {};
  for (const [key, state] of Object.entries(wire)) {
    if (key === 'version') continue;
    const name = eb.fuses.FuseV1Options[key];
    assert.equal(typeof name, 'string', `fuse #${key} has a name`);
    assert.ok(state === ON || state === OFF, `${String(name)} is on or off, not ${String(state)}`);
    out[name as string] = state === ON;
  }
  return out;
}

/**
 * Runs electron-builder's fuse step (PlatformPackager.doAddElectronFuses, which packing calls right after the
 * afterPack hooks and before signing) with a packager of the given platform that carries only what the step
 * reads: the config and the executable's name.
 */
async function runBuilderFuseStep(eb: Builder, config: BuilderConfig, platform: 'linux' | 'win32', appOutDir: string): Promise<void> {
  const packager = (
    platform === 'linux'
      ? Object.create(eb.LinuxPackager.prototype, { config: { value: config }, executableName: { value: 'guestprep' } })
      : Object.create(eb.WinPackager.prototype, { config: { value: config }, appInfo: { value: { productFilename: 'Guestprep' } } })
  ) as Packager;
  await packager.doAddElectronFuses({ appOutDir, electronPlatformName: platform });
}

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gp-fuses-'));
}

// ---------------------------------------------------------------- the tests

test('electron-builder.yml turns off RunAsNode, NODE_OPTIONS and --inspect, and decides every fuse explicitly', async (t) => {
  const eb = builder();
  if (!eb) return t.skip('electron-builder (app-builder-lib) is not installed');
  const fuses = await shippedFuses(eb);
  assert.equal(fuses.runAsNode, false);
  assert.equal(fuses.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(fuses.enableNodeCliInspectArguments, false);
  assert.equal(fuses.enableCookieEncryption, true);
  assert.equal(fuses.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(fuses.onlyLoadAppFromAsar, true);
  // A fuse electron-builder learns later must be decided here, not inherited from Electron's default unseen.
  const undecided = eb.schemaFuseKeys.filter((k) => k !== 'resetAdHocDarwinSignature' && typeof (fuses as Record<string, unknown>)[k] !== 'boolean');
  assert.deepEqual(undecided, []);
});

test('grantFileProtocolExtraPrivileges stays on exactly as long as the window loads its page over file://', async (t) => {
  const eb = builder();
  if (!eb) return t.skip('electron-builder (app-builder-lib) is not installed');
  const fuses = await shippedFuses(eb);
  // Without the fuse Electron neither reads file:// URLs inside app.asar nor lets a file:// page load its ES
  // module scripts: the window would stay blank. Once the page moves to a custom protocol, turn it off.
  const scheme = new URL(appUrlFor(appFiles().indexHtml)).protocol;
  if (scheme === 'file:') assert.equal(fuses.grantFileProtocolExtraPrivileges, true, 'the page is a file:// URL inside app.asar');
  else assert.equal(fuses.grantFileProtocolExtraPrivileges, false, `the page is served over ${scheme}: file:// needs no privileges`);
});

for (const platform of ['linux', 'win32'] as const) {
  test(`electron-builder's fuse step flips them in the ${platform} Electron binary`, async (t) => {
    const eb = builder();
    if (!eb) return t.skip('electron-builder (app-builder-lib) is not installed');
    const config = { electronFuses: await shippedFuses(eb) };
    const dir = scratch();
    try {
      const binary = path.join(dir, platform === 'linux' ? 'guestprep' : 'Guestprep.exe');
      writeFakeElectron(binary);
      // Before: Electron's defaults, so the assertions below can only pass if the step changed the bytes.
      const before = await readWire(eb, binary);
      assert.equal(before.RunAsNode, true);
      assert.equal(before.EnableNodeOptionsEnvironmentVariable, true);
      assert.equal(before.EnableNodeCliInspectArguments, true);

      await runBuilderFuseStep(eb, config, platform, dir);

      assert.deepEqual(await readWire(eb, binary), {
        RunAsNode: false,
        EnableCookieEncryption: true,
        EnableNodeOptionsEnvironmentVariable: false,
        EnableNodeCliInspectArguments: false,
        EnableEmbeddedAsarIntegrityValidation: true,
        OnlyLoadAppFromAsar: true,
        LoadBrowserProcessSpecificV8Snapshot: false,
        GrantFileProtocolExtraPrivileges: true,
      });
      assert.equal(fs.statSync(binary).size, 4096 + SENTINEL.length + 2 + ELECTRON_DEFAULTS.length + 4096, 'only wire bytes changed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('without the electronFuses block the binary keeps RunAsNode, NODE_OPTIONS and --inspect on', async (t) => {
  // The counter-check: the stand-in really starts with Electron's defaults, and the step alone does not
  // flip anything, so the test above fails if the block is removed from electron-builder.yml.
  const eb = builder();
  if (!eb) return t.skip('electron-builder (app-builder-lib) is not installed');
  const dir = scratch();
  try {
    const binary = path.join(dir, 'guestprep');
    writeFakeElectron(binary);
    await runBuilderFuseStep(eb, { electronFuses: null }, 'linux', dir);
    const wire = await readWire(eb, binary);
    assert.deepEqual(Object.entries(wire), ELECTRON_DEFAULTS.map(([name, on]) => [name, on]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a real Electron binary, where installed, takes the same fuses', async (t) => {
  const eb = builder();
  if (!eb) return t.skip('electron-builder (app-builder-lib) is not installed');
  const { detectElectron } = require(path.join(repo, 'scripts', 'rebuild-native.cjs')) as { detectElectron: () => { path?: string; skip?: string } };
  const found = detectElectron();
  if (!found.path || process.platform !== 'linux') return t.skip(found.skip ?? 'the Linux binary is checked on Linux only');
  const dir = scratch();
  try {
    // A copy: flipping fuses rewrites the file, and the development binary must keep its defaults.
    fs.copyFileSync(found.path, path.join(dir, 'guestprep'));
    await runBuilderFuseStep(eb, { electronFuses: await shippedFuses(eb) }, 'linux', dir);
    const wire = await readWire(eb, path.join(dir, 'guestprep'));
    assert.equal(wire.RunAsNode, false);
    assert.equal(wire.EnableNodeOptionsEnvironmentVariable, false);
    assert.equal(wire.EnableNodeCliInspectArguments, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- what the fuses take away is not needed

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// Forking the running binary (child_process.fork, or spawning process.execPath) works in Electron only through
// ELECTRON_RUN_AS_NODE; NODE_OPTIONS is ignored with its fuse off.
const NEEDS_RUN_AS_NODE = /ELECTRON_RUN_AS_NODE|NODE_OPTIONS|\bfork\s*\(|process\.execPath/;

test('the pattern sees a fork of the running binary', () => {
  assert.match("import { fork } from 'node:child_process'; fork('worker.js');", NEEDS_RUN_AS_NODE);
  assert.match('spawn(process.execPath, [script])', NEEDS_RUN_AS_NODE);
  assert.match("env: { ELECTRON_RUN_AS_NODE: '1' }", NEEDS_RUN_AS_NODE);
  assert.doesNotMatch("spawn('guestfish', ['--ro'])", NEEDS_RUN_AS_NODE);
});

test('no code of the app forks itself or relies on ELECTRON_RUN_AS_NODE or NODE_OPTIONS', () => {
  const scanned = [...sources(path.join(repo, 'main')), ...sources(path.join(repo, 'preload'))];
  assert.ok(scanned.some((f) => f.endsWith(path.join('electron', 'main.ts'))), 'the Electron main process sources were scanned');
  const offenders = scanned.filter((f) => NEEDS_RUN_AS_NODE.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(repo, f));
  assert.deepEqual(offenders, []);
});
