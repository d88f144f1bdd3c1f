// The `guestprep` command line: a thin adapter over the engine. Parsing with commander, a progress bar
// (cli-progress) on a terminal, JSON lines with --json, documented exit codes (exit-codes.ts).

import { Command, CommanderError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { toErrorData, ErrorData } from '../engine/api';
import type { RunEvent } from '../engine/api';
import { inspectImage } from '../engine/api';
import { prepare } from '../engine/api';
import { retarget } from '../engine/api';
import { remove } from '../engine/api';
import type { RunReport } from '../engine/api';
import type { RetargetSettingsInput } from '../engine/api';
import { DEFAULT_INSTALL_DIR, DEFAULT_NODE_SOURCE, DEFAULT_SERVICE_NAME, DEFAULT_SERVICE_USER } from '../engine/api';
import { GUESTPREP_VERSION } from '../engine/api';
import { EXIT, exitCodeFor } from './exit-codes';
import { formatBatch } from './format';
import { prepareBatch } from '../engine/api';
import { fail } from '../engine/api';
import { basename } from 'node:path';
import { formatError, formatInspect, formatPrepare, formatRemove, formatRetarget } from './format';
import { runDemo } from './demo';
import { runDoctor } from './doctor';
import { runServe } from './serve';
import { openStore } from '../backend/store';
import { defaultDbPath } from '../backend/paths';
import { applyPreset, explicitOptions, openCliStore, recordCliRun, type CliRunRecorder } from './preset-options';
import type { Store } from '../backend/store-types';
import { recoverAndTell } from './recovery';
import { ARCHIVE_EXTENSIONS, DISK_EXTENSIONS } from '../rules/formats';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTty: boolean;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTty: !!process.stderr.isTTY,
};

/** Which image of a batch a Reporter speaks for (n counts from 1). */
export interface ReportedImage {
  image: string;
  n: number;
  total: number;
}

/**
 * Reports events on the terminal: a bar while writing, phase lines otherwise; JSON lines with --json.
 * For one image of a batch, every line and JSON event names the image, and there is no bar (the images'
 * events interleave).
 */
export class Reporter {
  private bar?: SingleBar;
  private step = '';
  private readonly prefix: string;
  constructor(
    private readonly io: Io,
    private readonly json: boolean,
    private readonly verbose = false,
    private readonly about?: ReportedImage,
  ) {
    this.prefix = about ? `[${about.n}/${about.total}] ${basename(about.image)}: ` : '';
  }

  event(e: RunEvent): void {
    if (this.json) {
      const who = this.about ? { image: this.about.image, n: this.about.n } : {};
      if (e.type !== 'log' || e.level !== 'debug' || this.verbose) this.io.out(JSON.stringify({ type: 'event', ...who, event: e }) + '\n');
      return;
    }
    if (this.about && (e.type === 'step' || e.type === 'progress')) return;
    switch (e.type) {
      case 'phase':
        if (!this.bar && e.phase !== 'done') this.io.err(`${this.prefix}${e.message}...\n`);
        break;
      case 'step':
        if (e.status === 'running') this.step = `${e.index + 1}/${e.total} ${e.title}`;
        if (!this.bar && this.io.isTty && e.status === 'running') {
          this.bar = new SingleBar({ format: ' {bar} {percentage}% | {step}', hideCursor: true, stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
          this.bar.start(100, 0, { step: this.step });
        } else if (!this.io.isTty && e.status === 'running') {
          this.io.err(`  [${this.step}]\n`);
        }
        this.bar?.update({ step: this.step });
        break;
      case 'progress':
        this.bar?.update(Math.floor(e.percent), { step: this.step });
        if (e.percent >= 100) this.stop();
        break;
      case 'log':
        if (e.level === 'warn') this.line(`${this.prefix}Note: ${e.message}\n`);
        else if (this.verbose) this.line(`  ${this.prefix}${e.message}\n`);
        break;
      default:
        break;
    }
  }

  private line(s: string): void {
    if (this.bar) this.bar.update({ step: this.step });
    this.io.err(s);
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }

  error(e: ErrorData): void {
    this.stop();
    if (this.json) this.io.out(JSON.stringify({ type: 'error', error: e }) + '\n');
    else this.io.err(formatError(e));
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * commander's own errors (an unknown flag, a missing argument) as error data. With --json anywhere on the
 * line they go to stdout as one JSON error line, so a script reading JSON lines never meets plain text.
 */
export function usageError(text: string): ErrorData {
  const message = text.trim().replace(/^error:\s*/, '');
  return { code: 'SETTING_INVALID', message, fix: 'Run the command with --help for its usage.' };
}

export function buildProgram(io: Io, setExit: (code: number) => void, json = false): Command {
  const program = new Command();
  program
    .name('guestprep')
    .description('Turn a powered-off VM disk image into a ProActive compute node, offline.')
    .version(GUESTPREP_VERSION)
    .exitOverride()
    .configureOutput(json
      ? { writeOut: io.out, writeErr: io.err, outputError: (text) => io.out(JSON.stringify({ type: 'error', error: usageError(text) }) + '\n') }
      : { writeOut: io.out, writeErr: io.err });
  if (!json) program.showHelpAfterError('(run with --help for usage)');

  program
    .command('inspect')
    .description('Show what is in a disk image: container, OS, boot system, free space, an existing node (one read-only appliance launch).')
    .argument('<image>', `disk image (${DISK_EXTENSIONS.join(', ')})`)
    .option('--install-dir <dir>', 'install directory to measure free space for', DEFAULT_INSTALL_DIR)
    .option('--json', 'print the report as JSON')
    .option('-v, --verbose', 'show guestfish output')
    .action(async (image: string, o: { installDir: string; json?: boolean; verbose?: boolean }) => {
      const rep = new Reporter(io, !!o.json, !!o.verbose);
      const ac = withSigint();
      let store: Store | undefined;
      try {
        // An interrupted run on this very image must be finished or undone before it is worth inspecting.
        store = openCliStore({ required: false, warn: () => undefined, notice: (m) => io.err(`Note: ${m}\n`) });
        await recoverAndTell(store?.journal, { json: !!o.json, out: io.out, err: io.err }, 'guestprep inspect');
        const r = await inspectImage(image, { installDir: o.installDir, signal: ac.signal, onEvent: (e) => rep.event(e) });
        rep.stop();
        io.out(o.json ? JSON.stringify({ type: 'result', report: r }) + '\n' : formatInspect(r));
        setExit(EXIT.ok);
      } catch (err) {
        const e = toErrorData(err);
        rep.error(e);
        setExit(exitCodeFor(e.code));
      } finally {
        ac.dispose();
        store?.close();
      }
    });

  program
    .command('recover')
    .description('Finish or undo runs that were interrupted (killed, crashed, power loss): roll back those that had not started committing, finish the commit of the others from their kept overlay and verify. Every command that touches an image does this first.')
    .option('--json', 'JSON lines on stdout')
    .action(async (o: { json?: boolean }) => {
      let store: Store | undefined;
      try {
        store = openCliStore({ required: true, warn: () => undefined, notice: (m) => io.err(`Note: ${m}\n`) });
        const outcomes = await recoverAndTell(store?.journal, { json: !!o.json, out: io.out, err: io.out }, 'guestprep recover');
        if (outcomes.length === 0) io.out(o.json ? JSON.stringify({ type: 'result', recovered: 0 }) + '\n' : 'Nothing to recover: no interrupted run.\n');
        setExit(outcomes.some((x) => x.action === 'pending' || x.action === 'failed') ? EXIT.runFailed : EXIT.ok);
      } catch (err) {
        const e = toErrorData(err);
        if (o.json) io.out(JSON.stringify({ type: 'error', error: e }) + '\n');
        else io.err(formatError(e));
        setExit(exitCodeFor(e.code));
      } finally {
        store?.close();
      }
    });

  program
    .command('prepare')
    .description('Install a Java runtime, the ProActive node and a boot service into the image, so the VM joins the Resource Manager at next boot.')
    .argument('<images...>', 'disk image(s) of powered-off VMs; several are prepared together, in one appliance launch')
    .option('--jre <archive>', `Java runtime archive (${ARCHIVE_EXTENSIONS.join(', ')}); optional when the ProActive archive bundles jre/`)
    .option('--preset <name>', 'start from a preset saved in the Guestprep app (archives and settings); options you give override it')
    .option('--proactive <archive>', `ProActive node distribution (6.2+ or 3.x), ${ARCHIVE_EXTENSIONS.join(', ')} (required unless the preset has one)`)
    .option('--rm-url <url>', 'Resource Manager URL: pnp://HOST:64738, pnps://, pamr://0, rmi://HOST:1099 (required unless the preset has one)')
    .option('--node-source <name>', 'node source on the Resource Manager', DEFAULT_NODE_SOURCE)
    .option('--node-name <name>', "node name (default: the guest's hostname); with several images a pattern: node-{n} (n = position in the list), {hostname}")
    .option('--workers <n>', 'number of workers (6.2+ only)')
    .option('--credentials <file>', 'credentials file made by proactive-create-cred (installed mode 0600)')
    .option('--jvm-option <opt>', 'extra JVM option (repeatable), e.g. -Xmx2g', collect, [])
    .option('--no-ignore-unrecognized-vm-options', 'do not add -XX:+IgnoreUnrecognizedVMOptions for Java 17+ with a 6.x+ node')
    .option('--service-user <user>', "user the node runs as ('root' only when you mean it; Windows guests: LocalSystem)", DEFAULT_SERVICE_USER)
    .option('--service-name <name>', 'boot service name', DEFAULT_SERVICE_NAME)
    .option('--install-dir <dir>', 'install directory in the guest (Linux: under /opt or /usr/local; Windows guests: default C:\\ProActive)', DEFAULT_INSTALL_DIR)
    .option('--dry-run', 'plan only: print the steps and write the equivalent guestfish script; change nothing')
    .option('--script <file>', 'where --dry-run writes the guestfish script')
    .option('--json', 'JSON lines on stdout: events, then the result or the error')
    .option('-v, --verbose', 'show guestfish output')
    .action(async (images: string[], o: PrepareFlags, cmd: Command) => {
      if (images.length > 1) return prepareMany(images, o, cmd);
      const image = images[0];
      const rep = new Reporter(io, !!o.json, !!o.verbose);
      const warn = (message: string) => rep.event({ type: 'log', level: 'warn', message });
      const ac = withSigint(() => warn('Cancelling: the image will be left as it was...'));
      let store: Store | undefined;
      let rec: CliRunRecorder | undefined;
      try {
        // The app's database: needed for --preset; otherwise only to record the run in the history.
        // The app's database: the crash journal and image lock, presets, and the history of runs.
        store = openCliStore({ required: o.preset !== undefined, warn: (m) => warn(`${m} (and a crash of this run could not be recovered automatically)`), notice: warn });
        await recoverAndTell(store?.journal, { json: !!o.json, out: io.out, err: io.err }, 'guestprep prepare');
        const input = applyPreset(store, o.preset, o, explicitOptions(cmd));
        rec = recordCliRun(store, { image, preset: input.preset }, { warn });
        const r = await prepare(
          { image, jre: input.jre, proactive: input.proactive, settings: input.settings, dryRun: !!o.dryRun, scriptPath: o.script },
          { signal: ac.signal, journal: store?.journal, program: 'guestprep prepare', onEvent: (e) => { rep.event(e); rec?.event(e); } },
        );
        rec.succeeded(r);
        rep.stop();
        io.out(o.json ? JSON.stringify({ type: 'result', report: r }) + '\n' : formatPrepare(r));
        setExit(EXIT.ok);
      } catch (err) {
        const e = toErrorData(err);
        rec?.failed(e);
        rep.error(e);
        setExit(exitCodeFor(e.code));
      } finally {
        ac.dispose();
        store?.close();
      }
    });

  program
    .command('retarget')
    .description('Point the node Guestprep installed in an image at another Resource Manager (or rename it, move it to another node source, give it new credentials), without uploading the Java runtime or the node again. Everything not given stays as installed.')
    .argument('<image>', 'disk image of a powered-off VM that Guestprep prepared')
    .option('--rm-url <url>', 'the new Resource Manager URL: pnp://HOST:64738, pnps://, pamr://0, rmi://HOST:1099 (default: as installed)')
    .option('--node-source <name>', 'node source on the Resource Manager (default: as installed)')
    .option('--node-name <name>', 'node name (default: as installed)')
    .option('--workers <n>', 'number of workers, 6.2+ only (default: as installed)')
    .option('--credentials <file>', 'a new credentials file made by proactive-create-cred (default: keep the installed one, if any)')
    .option('--install-dir <dir>', 'where Guestprep installed the node, if not in the default folder (/opt/proactive; Windows: C:\\ProActive)')
    .option('--json', 'JSON lines on stdout: events, then the result or the error')
    .option('-v, --verbose', 'show guestfish output')
    .action(async (image: string, o: RetargetFlags) => {
      const settings: RetargetSettingsInput = {};
      if (o.rmUrl !== undefined) settings.rmUrl = o.rmUrl;
      if (o.nodeName !== undefined) settings.nodeName = o.nodeName;
      if (o.nodeSource !== undefined) settings.nodeSource = o.nodeSource;
      if (o.workers !== undefined) settings.workers = o.workers;
      if (o.credentials !== undefined) settings.credentialsFile = o.credentials;
      await runImageCommand(io, setExit, 'guestprep retarget', image, o, (hooks) =>
        retarget({ image, settings, ...(o.installDir !== undefined ? { installDir: o.installDir } : {}) }, hooks));
    });

  program
    .command('remove')
    .description('Take out everything Guestprep installed in an image (the install folder, the boot service, the service user it created, the Windows service) and restore what it changed (rc.local, insserv\'s boot order), verified before the image is written.')
    .argument('<image>', 'disk image of a powered-off VM that Guestprep prepared')
    .option('--install-dir <dir>', 'where Guestprep installed the node, if not in the default folder (/opt/proactive; Windows: C:\\ProActive)')
    .option('--json', 'JSON lines on stdout: events, then the result or the error')
    .option('-v, --verbose', 'show guestfish output')
    .action(async (image: string, o: { installDir?: string; json?: boolean; verbose?: boolean }) => {
      await runImageCommand(io, setExit, 'guestprep remove', image, o, (hooks) =>
        remove({ image, ...(o.installDir !== undefined ? { installDir: o.installDir } : {}) }, hooks));
    });

  program
    .command('demo')
    .description('Build a small sample guest and sample archives, prepare it, and print the report.')
    .option('--dir <dir>', 'where to build the sample (default: a temporary folder, removed afterwards)')
    .option('--json', 'JSON lines on stdout')
    .action(async (o: { dir?: string; json?: boolean }) => {
      const rep = new Reporter(io, !!o.json);
      try {
        const r = await runDemo({ dir: o.dir, onEvent: (e) => rep.event(e), log: (s) => (o.json ? undefined : io.err(s)) });
        rep.stop();
        io.out(o.json ? JSON.stringify({ type: 'result', report: r }) + '\n' : formatPrepare(r));
        setExit(EXIT.ok);
      } catch (err) {
        const e = toErrorData(err);
        rep.error(e);
        setExit(exitCodeFor(e.code));
      }
    });

  program
    .command('serve')
    .description('Serve the Guestprep app to a browser on this machine (127.0.0.1 only, with a per-start token): for headless Linux boxes, reach it with ssh -L.')
    .option('--port <n>', 'port to listen on (default: a free one)', '0')
    .option('--host <addr>', 'address to listen on (only 127.0.0.1 is accepted)', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .action(async (o: { port: string; host: string; open?: boolean }) => {
      let store: Store | undefined;
      try {
        store = openStore(defaultDbPath());
        for (const n of store.notices ?? []) io.err(`Note: ${n}\n`);
        // runServe logs whole lines without their newline.
        const s = await runServe({ store, port: Number(o.port), host: o.host, open: !!o.open, log: (line) => io.err(line + '\n') });
        await s.stopped;
        setExit(EXIT.ok);
      } catch (err) {
        const e = toErrorData(err);
        io.err(formatError(e));
        setExit(exitCodeFor(e.code));
      } finally {
        store?.close();
      }
    });

  program
    .command('doctor')
    .description('Check this host: every tool Guestprep runs (libguestfs, qemu-img, squashfs-tools, hivex...), KVM or TCG, the appliance cache.')
    .option('--launch', 'also launch the appliance once to prove it works')
    .option('--json', 'print the checks as JSON')
    .action(async (o: { launch?: boolean; json?: boolean }) => {
      const checks = await runDoctor({ launch: !!o.launch });
      // JSON lines like every other command: one line per check, then the verdict.
      if (o.json) io.out([...checks.map((check) => ({ type: 'check', check })), { type: 'result', ok: checks.every((c) => c.ok) }].map((l) => JSON.stringify(l) + '\n').join(''));
      else for (const c of checks) io.out(`${!c.ok ? 'FAIL' : c.fix ? 'warn' : 'ok  '} ${c.name}: ${c.message}${c.fix ? `\n     Fix: ${c.fix}` : ''}\n`);
      setExit(checks.every((c) => c.ok) ? EXIT.ok : EXIT.environment);
    });

  /** `prepare A B C...`: one batch, one result per image; exit 0 only when every image was prepared. */
  async function prepareMany(images: string[], o: PrepareFlags, cmd: Command): Promise<void> {
    const warn = (message: string) => (o.json ? io.out(JSON.stringify({ type: 'event', event: { type: 'log', level: 'warn', message } }) + '\n') : io.err(`Note: ${message}\n`));
    const ac = withSigint(() => warn('Cancelling: the images not committed yet will be left as they were...'));
    let store: Store | undefined;
    try {
      if (o.dryRun) fail('SETTING_INVALID', '--dry-run takes one image.', 'Run --dry-run on each image you want to see the plan for.');
      store = openCliStore({ required: o.preset !== undefined, warn: (m) => warn(`${m} (and a crash of this run could not be recovered automatically)`), notice: warn });
      await recoverAndTell(store?.journal, { json: !!o.json, out: io.out, err: io.err }, 'guestprep prepare');
      const input = applyPreset(store, o.preset, o, explicitOptions(cmd));
      const recs = new Map(images.map((img, i) => [i + 1, recordCliRun(store, { image: img, preset: input.preset }, { warn })]));
      const reps = new Map(images.map((image, i) => [i + 1, new Reporter(io, !!o.json, !!o.verbose, { image, n: i + 1, total: images.length })]));
      const r = await prepareBatch(
        { images, jre: input.jre, proactive: input.proactive, settings: input.settings },
        {
          signal: ac.signal,
          journal: store?.journal,
          program: 'guestprep prepare',
          onEvent: (_image, n, e) => {
            recs.get(n)?.event(e);
            reps.get(n)?.event(e);
          },
          onItem: (item) => {
            if (item.ok) recs.get(item.n)?.succeeded(item.report);
            else recs.get(item.n)?.failed(item.error);
            if (o.json) io.out(JSON.stringify({ type: 'item', item }) + '\n');
          },
        },
      );
      io.out(o.json ? JSON.stringify({ type: 'result', batch: r }) + '\n' : formatBatch(r));
      const failed = r.items.find((i) => !i.ok);
      setExit(failed && !failed.ok ? exitCodeFor(failed.error.code) : EXIT.ok);
    } catch (err) {
      const e = toErrorData(err);
      if (o.json) io.out(JSON.stringify({ type: 'error', error: e }) + '\n');
      else io.err(formatError(e));
      setExit(exitCodeFor(e.code));
    } finally {
      ac.dispose();
      store?.close();
    }
  }

  return program;
}

interface RetargetFlags {
  rmUrl?: string;
  nodeSource?: string;
  nodeName?: string;
  workers?: string;
  credentials?: string;
  installDir?: string;
  json?: boolean;
  verbose?: boolean;
}

/**
 * retarget and remove, like prepare: the app's database (crash journal, image lock, history), recovery of
 * interrupted runs first, Ctrl-C cancels, the report as text or JSON, the documented exit code.
 */
async function runImageCommand(
  io: Io,
  setExit: (code: number) => void,
  program: 'guestprep retarget' | 'guestprep remove',
  image: string,
  o: { json?: boolean; verbose?: boolean },
  work: (hooks: { signal: AbortSignal; journal?: Store['journal']; program: string; onEvent: (e: RunEvent) => void }) => Promise<RunReport>,
): Promise<void> {
  const rep = new Reporter(io, !!o.json, !!o.verbose);
  const warn = (message: string) => rep.event({ type: 'log', level: 'warn', message });
  const ac = withSigint(() => warn('Cancelling: the image will be left as it was...'));
  let store: Store | undefined;
  let rec: CliRunRecorder | undefined;
  try {
    store = openCliStore({ required: false, warn: (m) => warn(`${m} (and a crash of this run could not be recovered automatically)`), notice: warn });
    await recoverAndTell(store?.journal, { json: !!o.json, out: io.out, err: io.err }, program);
    rec = recordCliRun(store, { image }, { warn });
    const r = await work({ signal: ac.signal, journal: store?.journal, program, onEvent: (e) => { rep.event(e); rec?.event(e); } });
    rec.succeeded(r);
    rep.stop();
    io.out(o.json ? JSON.stringify({ type: 'result', report: r }) + '\n' : 'operation' in r && r.operation === 'retarget' ? formatRetarget(r) : 'operation' in r && r.operation === 'remove' ? formatRemove(r) : formatPrepare(r));
    setExit(EXIT.ok);
  } catch (err) {
    const e = toErrorData(err);
    rec?.failed(e);
    rep.error(e);
    setExit(exitCodeFor(e.code));
  } finally {
    ac.dispose();
    store?.close();
  }
}

interface PrepareFlags {
  preset?: string;
  jre?: string;
  proactive?: string;
  rmUrl?: string;
  nodeSource: string;
  nodeName?: string;
  workers?: string;
  credentials?: string;
  jvmOption: string[];
  ignoreUnrecognizedVmOptions: boolean;
  serviceUser: string;
  serviceName: string;
  installDir: string;
  dryRun?: boolean;
  script?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Ctrl-C cancels the run (the engine deletes the overlay); a second Ctrl-C is ignored while it cleans up. */
function withSigint(onFirst?: () => void): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handler = () => {
    if (!ac.signal.aborted) {
      onFirst?.();
      ac.abort();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  // Before parsing: commander reports a mistyped flag before any action sees the options.
  const json = argv.includes('--json');
  const program = buildProgram(io, (c) => (code = c), json);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}
