// Runs one row of the hostile-input table against the real prepare(): builds the row's input, takes a
// snapshot of the image (sha256 of its bytes, or what the path is when it is not a file), runs prepare,
// and checks the refusal (code, message, fix), that the image is byte-identical, that no run directory
// (overlay) is left in the state dir, and how many appliance launches the refusal cost (none for
// everything that can be refused on the host, exactly one for what only inspection can see).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestprepError, type ErrorCode, type ErrorData } from '../../main/engine/errors';
import { prepare, type PrepareRequest } from '../../main/engine/run/prepare';
import { remove } from '../../main/engine/run/remove';
import { stateDir } from '../../main/engine/run/state';
import type { SettingsInput } from '../../main/engine/types';
import { makeSampleJre, makeSampleProactive } from '../../main/sample/archives';
import type { SpecialDisk } from '../../main/sample/special-disks';
import type { CallName } from '../../main/contract/contract';
import { createBackend } from '../../main/backend/backend';
import { dispatchCall } from '../../main/backend/dispatch';
import { createMemoryStore } from '../../main/backend/memory-store';

export interface RowInput {
  request: PrepareRequest;
  /** The command the row runs (prepare unless told): `remove` takes the image only. */
  operation?: 'prepare' | 'remove';
  /** The path given as the image: it must be exactly as before afterwards. */
  image: string;
  /**
   * The refusal is about a permission, which root does not have to respect: when the tests run as root,
   * prepare runs in a child process as the user nobody (the files are handed over to it).
   */
  unprivileged?: boolean;
  /** Undoes anything that could keep the process alive after a failure (e.g. a reader blocked on a FIFO). */
  cleanup?: () => void;
  /** Files outside the image that the hostile input aims at: they must be exactly as before too. */
  victims?: string[];
  /**
   * Sent by a page instead of `request` given to prepare(): the call goes through the backend's door (the one
   * the Electron IPC and the browser bridge share) and must be refused there, before any run starts.
   */
  call?: { name: CallName; req: unknown };
}

export interface HostileRow {
  /** The case of the issue's list this row covers. */
  kase: string;
  /** The test name. */
  name: string;
  /** Only inspection inside the appliance can refuse it. */
  appliance: boolean;
  build: (fx: Fixtures) => Promise<RowInput>;
  expect: { code: ErrorCode; message: RegExp; fix: RegExp };
}

export interface Outcome {
  error?: ErrorData;
  /** Phases prepare announced, in order ('checks', 'overlay', 'launch', 'inspect', ...). */
  phases: string[];
}

/** Inputs the rows share, built once per test file (archives) or once per row (a fresh folder). */
export class Fixtures {
  readonly root: string;
  private rows = 0;
  private memo = new Map<string, Promise<string>>();

  constructor(public special?: () => Promise<Record<SpecialDisk, string>>) {
    // Not mkdtemp's 0700: the unprivileged rows hand files in here to the user nobody.
    this.root = mkdtempSync(join(tmpdir(), 'gp hostile '));
    chmodSync(this.root, 0o755);
  }

  /** A fresh folder for one row (its name has a space, like many users' folders). */
  dir(label: string): string {
    const d = join(this.root, `${String(++this.rows).padStart(2, '0')} ${label}`);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    return d;
  }

  private once(key: string, make: () => Promise<string>): Promise<string> {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key)!;
  }

  /** A Linux x86_64 JRE 17 (tar.gz), well formed. */
  jre(): Promise<string> {
    return this.once('jre', () => makeSampleJre(this.sharedDir(), { kind: 'tar.gz' }));
  }

  /** The same JRE built for Windows (zip with bin/java.exe). */
  windowsJre(): Promise<string> {
    return this.once('wjre', () => makeSampleJre(this.sharedDir(), { os: 'windows', kind: 'zip' }));
  }

  /** A ProActive 6.2+ node archive (zip), well formed. */
  proactive(): Promise<string> {
    return this.once('pa', () => makeSampleProactive(this.sharedDir(), { generation: 'modern', kind: 'zip' }));
  }

  /** A small, valid, empty VDI (refusals before the launch never look inside). */
  blankVdi(dir: string, name = 'disk.vdi'): string {
    const file = join(dir, name);
    copyFileSync(this.blankTemplate(), file);
    return file;
  }

  private template?: string;
  private blankTemplate(): string {
    if (!this.template) {
      this.template = join(this.sharedDir(), 'blank.vdi');
      qemuImgSync(['create', '-q', '-f', 'vdi', this.template, '64M']);
    }
    return this.template;
  }

  private sharedDir(): string {
    const d = join(this.root, 'shared');
    mkdirSync(d, { recursive: true, mode: 0o755 });
    return d;
  }

  /** A valid request around `image`, with the given settings over a minimal valid set. */
  async request(image: string, over: { jre?: string; proactive?: string; settings?: Partial<SettingsInput> } = {}): Promise<PrepareRequest> {
    const { settings, ...rest } = over;
    return {
      image,
      jre: await this.jre(),
      proactive: await this.proactive(),
      ...rest,
      settings: { rmUrl: 'pnp://rm.example.org', ...settings },
    };
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function qemuImgSync(args: string[]): void {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${r.stderr}`);
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** What is at `p`, precisely enough that any change shows: bytes (sha256), size and mode of a file, links, folders. */
export function snapshot(p: string): string {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 'nothing';
  }
  if (st.isSymbolicLink()) return `symlink to ${readlinkSync(p)} (${existsSync(p) ? 'target exists' : 'dangling'})`;
  if (st.isFile()) return `file of ${st.size} bytes, mode ${(st.mode & 0o7777).toString(8)}, sha256 ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  if (st.isDirectory()) return `folder {${readdirSync(p).sort().map((n) => `${n}: ${snapshot(join(p, n))}`).join('; ')}}`;
  return `special file, mode ${st.mode.toString(8)}`;
}

/** Run directories (each holds an overlay) left in the state dir. */
export function leftoverRuns(): string[] {
  const d = join(stateDir(), 'runs');
  return existsSync(d) ? readdirSync(d) : [];
}

async function prepareHere(req: PrepareRequest, operation: RowInput['operation'] = 'prepare'): Promise<Outcome> {
  const phases: string[] = [];
  const hooks = { onEvent: (e: { type: string; phase?: string }) => { if (e.type === 'phase' && e.phase) phases.push(e.phase); } };
  try {
    if (operation === 'remove') await remove({ image: req.image }, hooks as Parameters<typeof remove>[1]);
    else await prepare(req, hooks as Parameters<typeof prepare>[1]);
    return { phases };
  } catch (e) {
    if (!(e instanceof GuestprepError)) throw e;
    return { error: e.toData(), phases };
  }
}

const NOBODY = 65534;

/** The same call in a child process running as nobody; the row's files are handed over to nobody first. */
async function prepareAsNobody(req: PrepareRequest, image: string): Promise<Outcome> {
  chownSync(image, NOBODY, NOBODY);
  chmodSync(join(image, '..'), 0o777);
  const prepareJs = join(__dirname, '..', '..', 'main', 'engine', 'run', 'prepare.js');
  const script = `
    const { prepare } = require(${JSON.stringify(prepareJs)});
    const phases = [];
    prepare(${JSON.stringify(req)}, { onEvent: (e) => { if (e.type === 'phase') phases.push(e.phase); } }).then(
      () => console.log(JSON.stringify({ phases })),
      (e) => console.log(JSON.stringify({ phases, error: typeof e.toData === 'function' ? e.toData() : { code: 'INTERNAL', message: String(e && e.stack), fix: '' } })));`;
  const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `the child running as nobody failed: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Outcome;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s (does it hang?)`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * A page's call through the backend's door, over an in-memory store. Phases are those of any run it started
 * (none when refused at the door); whatever reached the store is returned too, so a row can show that a
 * refused call left no history and no preset behind.
 */
async function callHere(call: { name: CallName; req: unknown }): Promise<Outcome & { stored: number }> {
  const store = createMemoryStore();
  const phases: string[] = [];
  const backend = createBackend({
    store,
    emit: (name, payload) => {
      if (name === 'run.event' && 'event' in payload && payload.event.type === 'phase') phases.push(payload.event.phase);
    },
    log: () => undefined,
  });
  try {
    const r = await dispatchCall(call.name, call.req, (req) => (backend[call.name] as (q: unknown) => Promise<never>)(req));
    return { phases, stored: store.history.list({}).length + store.presets.list().length, ...(r.ok ? {} : { error: r.error }) };
  } finally {
    await backend.dispose();
  }
}

/** Runs one row; returns the refusal for the test to show. */
export async function runRow(row: HostileRow, fx: Fixtures, timeoutMs: number): Promise<ErrorData> {
  const input = await row.build(fx);
  const before = snapshot(input.image);
  const victimsBefore = (input.victims ?? []).map(snapshot);
  if (input.call) {
    const outcome = await withTimeout(callHere(input.call), timeoutMs, `the call ${input.call.name}`);
    const e = outcome.error;
    assert.ok(e, `the backend accepted ${input.call.name}; expected ${row.expect.code}`);
    assert.equal(e.code, row.expect.code, `code (message: ${e.message})`);
    assert.match(e.message, row.expect.message);
    assert.match(e.fix, row.expect.fix);
    assert.equal(e.detail, undefined, 'no detail (no stack) sent to the page');
    assert.equal(snapshot(input.image), before, 'the image is byte-identical');
    assert.deepEqual(outcome.phases, [], 'no run started');
    assert.equal(outcome.stored, 0, 'nothing stored (history, presets)');
    assert.deepEqual(leftoverRuns(), [], 'no run directory (overlay) is left behind');
    return e;
  }
  let outcome: Outcome;
  try {
    const run = input.unprivileged && isRoot() ? prepareAsNobody(input.request, input.image) : prepareHere(input.request, input.operation);
    outcome = await withTimeout(run, timeoutMs, 'prepare()');
  } finally {
    input.cleanup?.();
  }
  const e = outcome.error;
  assert.ok(e, `${input.operation ?? 'prepare'}() accepted the input; expected ${row.expect.code}`);
  assert.equal(e.code, row.expect.code, `code (message: ${e.message})`);
  assert.match(e.message, row.expect.message);
  assert.ok(e.fix.trim().length > 0, 'the error has a fix');
  assert.match(e.fix, row.expect.fix);
  assert.equal(snapshot(input.image), before, 'the image is byte-identical');
  assert.deepEqual((input.victims ?? []).map(snapshot), victimsBefore, 'the files the input aims at are unchanged');
  assert.deepEqual(leftoverRuns(), [], 'no run directory (overlay) is left behind');
  const launches = outcome.phases.filter((p) => p === 'launch').length;
  if (row.appliance) {
    assert.equal(launches, 1, `one appliance launch (phases: ${outcome.phases.join(', ')})`);
  } else {
    assert.deepEqual(outcome.phases, ['checks'], 'refused during the checks: no overlay, no appliance launch');
  }
  return e;
}
