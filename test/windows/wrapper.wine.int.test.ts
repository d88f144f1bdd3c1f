// The shipped 64-bit Windows service wrapper (resources/windows/bin/guestprep-service-x64.exe), run for real as a
// Windows service under Wine, in a throwaway WINEPREFIX:
//   1. registered as an auto-start service (as Guestprep writes it: Parameters\CommandLine as REG_EXPAND_SZ, the
//      RHSrvAny name PWD for the working directory, a Unicode folder with a space, a 5000-character command line),
//      it starts with the Wine session and runs the recorder (test/windows/recorder.c, built here with mingw),
//      whose stdout/stderr land in the log;
//   2. killing the recorder makes the wrapper end the rest of its tree (the recorder's child) and restart it
//      after RestartDelayInitialSeconds; the delay grows to RestartDelayMaxSeconds and is reset after a run of
//      RestartResetSeconds;
//   3. `net stop` ends the recorder and its child (no heartbeat, no process left) and the log tells every event;
//   4. a service without CommandLine stops with ERROR_BAD_CONFIGURATION (1610) and says why in its log;
//   5. a command that cannot be started is logged and retried, and a stop during the restart delay is prompt;
//   and a log past 16 MiB is moved to <log>.1 when the service starts.
// Wine here runs 64-bit programs only (no i386 multiarch): the x86 build is checked by wrapper.test.ts only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { wrapperPath } from '../../main/engine/windows/wrapper';

const up2 = path.resolve(__dirname, '..', '..');
const repoRoot = path.basename(up2) === 'dist' ? path.dirname(up2) : up2;
const recorderSource = path.join(repoRoot, 'test', 'windows', 'recorder.c');

const SERVICE = 'GuestprepNode';
const BAD_SERVICE = 'GuestprepBad';
const MISSING_SERVICE = 'GuestprepMissing';
const WIN_DIR = 'C:\\Guestprep ü';
const HOST_DIR_NAME = 'Guestprep ü';
const BAD_WIN_DIR = 'C:\\gp-bad';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!onPath('wine') || !onPath('wineserver')) missing.push('wine');
  if (!fs.existsSync('/usr/lib/wine/wine64') && !onPath('wine64')) missing.push('wine64');
  if (!onPath('x86_64-w64-mingw32-gcc')) missing.push('x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64)');
  return missing;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/** .reg text (UTF-16LE with BOM, as regedit writes it); strings as REG_SZ, {expand} as REG_EXPAND_SZ, numbers as DWORD. */
function regFile(keys: Record<string, Record<string, string | number | { expand: string }>>): Buffer {
  const sz = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const hex2 = (s: string) => 'hex(2):' + [...Buffer.from(s + '\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',');
  const lines = ['Windows Registry Editor Version 5.00', ''];
  for (const [key, values] of Object.entries(keys)) {
    lines.push(`[${key}]`);
    for (const [name, v] of Object.entries(values)) {
      const data = typeof v === 'number' ? `dword:${v.toString(16).padStart(8, '0')}` : typeof v === 'string' ? sz(v) : hex2(v.expand);
      lines.push(`${sz(name)}=${data}`);
    }
    lines.push('');
  }
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines.join('\r\n') + '\r\n', 'utf16le')]);
}

class WinePrefix {
  readonly prefix: string;
  readonly env: NodeJS.ProcessEnv;
  private n = 0;
  constructor(readonly dir: string) {
    this.prefix = path.join(dir, 'prefix');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WINEPREFIX: this.prefix,
      WINEARCH: 'win64',
      WINEDEBUG: '-all',
      WINEDLLOVERRIDES: 'mscoree,mshtml=', // no Mono / Gecko install prompts
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    };
    delete env.DISPLAY; // no windows, no X
    delete env.WAYLAND_DISPLAY;
    this.env = env;
    fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  }

  driveC(...parts: string[]): string {
    return path.join(this.prefix, 'drive_c', ...parts);
  }

  /** Runs a program with this prefix. Output goes to files: a pipe can hang, as Wine's background
   *  processes (services.exe, ...) inherit it and outlive the command. */
  async run(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
    const file = path.join(this.dir, 'out', `${String(++this.n).padStart(2, '0')}-${path.basename(cmd)}-${args[0] ?? ''}.txt`.replace(/[^\w.-]/g, '_'));
    const fd = fs.openSync(file, 'w');
    try {
      const child = spawn(cmd, args, { env: this.env, stdio: ['ignore', fd, fd] });
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
      });
      return { code, out: fs.readFileSync(file, 'utf8') };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Starts a long-lived program (ended by kill()); its output goes to a file. */
  background(cmd: string, args: string[]): void {
    const fd = fs.openSync(path.join(this.dir, 'out', `bg-${path.basename(cmd)}.txt`), 'w');
    const child = spawn(cmd, args, { env: this.env, stdio: ['ignore', fd, fd] });
    child.on('error', () => undefined);
    child.unref();
    fs.closeSync(fd);
  }

  wine(args: string[], timeoutMs?: number) {
    return this.run('wine', args, timeoutMs);
  }

  /** Host processes of THIS prefix (by their WINEPREFIX), with their command lines. */
  processes(): { pid: number; cmdline: string }[] {
    const found: { pid: number; cmdline: string }[] = [];
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
        if (!environ.includes(`WINEPREFIX=${this.prefix}`)) continue;
        const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (cmdline) found.push({ pid: Number(name), cmdline }); // zombies have an empty cmdline
      } catch {
        // gone, or not ours to read
      }
    }
    return found;
  }

  /** Ends every Wine process of this prefix (and only those), then its wineserver. */
  async kill(): Promise<void> {
    try {
      await this.run('wineserver', ['-k'], 30_000);
    } catch {
      // fall through to the per-process check
    }
    await sleep(500);
    for (const p of this.processes()) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const beats = (record: string, pid: number) => record.split(/\r?\n/).filter((l) => l === `beat ${pid}`).length;

test('the x64 service wrapper under Wine: auto-start, restart after a crash, stop ends the whole tree', { timeout: 600_000 }, async (t) => {
  const missing = missingTools();
  if (missing.length > 0) {
    t.skip(`needs ${missing.join(', ')}: apt-get install wine wine64 gcc-mingw-w64-x86-64`);
    return;
  }
  const t0 = Date.now();
  const stamp = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const w = new WinePrefix(fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-wine-')));
  let keep = false;
  try {
    // The recorder: a stand-in node that records its starts and spawns a child (a grandchild of the service).
    const recorder = path.join(w.dir, 'recorder.exe');
    const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-municode', '-O2', '-s', '-Wall', '-Wextra', '-Werror', recorderSource, '-o', recorder], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `building the recorder failed: ${cc.stderr}`);

    const boot = await w.wine(['wineboot', '-i'], 240_000);
    assert.equal(boot.code, 0, `wineboot -i failed:\n${boot.out}`);
    await w.run('wineserver', ['-w'], 120_000);
    stamp('prefix created');

    const hostDir = w.driveC(HOST_DIR_NAME);
    fs.mkdirSync(hostDir, { recursive: true });
    fs.mkdirSync(w.driveC('gp-bad'), { recursive: true });
    fs.mkdirSync(w.driveC('gp-missing'), { recursive: true });
    fs.copyFileSync(wrapperPath('x64'), path.join(hostDir, 'guestprep-service.exe'));
    fs.copyFileSync(recorder, path.join(hostDir, 'recorder.exe'));
    fs.copyFileSync(recorder, w.driveC('keeper.exe'));
    const recordFile = path.join(hostDir, 'record.txt');
    const logFile = path.join(hostDir, 'guestprep-service.log');
    const badLog = w.driveC('gp-bad', 'guestprep-service.log');
    const missingLog = w.driveC('gp-missing', 'missing.log');
    // A log past 16 MiB is moved to <log>.1 when the service starts.
    fs.writeFileSync(logFile, 'old log marker\r\n');
    fs.truncateSync(logFile, 16 * 1024 * 1024 + 1);

    const padding = 'p'.repeat(5000); // a long command line
    const services = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services';
    const service = (start: number) => ({
      Type: 0x10, Start: start, ErrorControl: 1, ImagePath: `"${WIN_DIR}\\guestprep-service.exe"`, ObjectName: 'LocalSystem',
    });
    fs.writeFileSync(w.driveC('guestprep-test.reg'), regFile({
      [`${services}\\${SERVICE}`]: { ...service(2), DisplayName: 'Guestprep test node' },
      [`${services}\\${SERVICE}\\Parameters`]: {
        CommandLine: { expand: `"%SystemDrive%\\${HOST_DIR_NAME}\\recorder.exe" "${WIN_DIR}\\record.txt" ${padding}` },
        PWD: WIN_DIR,
        RestartDelayInitialSeconds: 1,
        RestartDelayMaxSeconds: 2,
        RestartResetSeconds: 4,
      },
      [`${services}\\${MISSING_SERVICE}`]: { ...service(3), DisplayName: 'Guestprep test, missing program' },
      [`${services}\\${MISSING_SERVICE}\\Parameters`]: {
        CommandLine: 'C:\\gp-missing\\no-such-program.exe',
        WorkingDirectory: 'C:\\gp-missing',
        LogFile: 'C:\\gp-missing\\missing.log',
        RestartDelayInitialSeconds: 60,
      },
      [`${services}\\${BAD_SERVICE}`]: { ...service(3), DisplayName: 'Guestprep test, no CommandLine' },
      [`${services}\\${BAD_SERVICE}\\Parameters`]: { WorkingDirectory: BAD_WIN_DIR },
    }));
    const reg = await w.wine(['regedit', '/S', 'C:\\guestprep-test.reg']);
    assert.equal(reg.code, 0, `regedit failed:\n${reg.out}`);
    const q = await w.wine(['reg', 'query', `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${SERVICE}\\Parameters`, '/v', 'RestartDelayInitialSeconds']);
    assert.match(q.out, /RestartDelayInitialSeconds\s+REG_DWORD\s+0x1/, q.out);
    await w.run('wineserver', ['-w'], 120_000); // end the session: services.exe reads the services at the next one
    stamp('service registered');

    // 1. A new Wine session starts the auto-start service, which starts the recorder. The session is started by
    // keeper.exe, which stays: Wine ends a session, services included (StartServiceCtrlDispatcher makes them
    // "system" processes), as soon as no ordinary process is left, e.g. while the wrapper waits to restart.
    w.background('wine', ['C:\\keeper.exe', '--idle']);
    await waitFor('the Wine session', 60_000, () => w.processes().some((p) => p.cmdline.includes('keeper.exe')));
    const session = await w.wine(['cmd', '/c', 'exit']);
    assert.equal(session.code, 0, session.out);
    const first = await waitFor('the recorder to start', 60_000, () => /^started (\d+) cmdlen=(\d+)\r?$/m.exec(read(recordFile)) ?? undefined);
    const pid1 = Number(first[1]);
    assert.ok(Number(first[2]) > 5000, `the recorder got a command line of ${first[2]} characters`);
    const child1 = Number((await waitFor('the recorder child', 30_000, () => /^child (\d+)\r?$/m.exec(read(recordFile)) ?? undefined))[1]);
    await waitFor('recorder output in the log', 10_000, () => read(logFile).includes(`recorder stderr ${pid1}`));
    stamp(`service started by the session; recorder ${pid1}, its child ${child1}`);
    let log = read(logFile);
    assert.match(log, new RegExp(`^\\S+Z \\[${SERVICE}\\] guestprep-service \\S+ starting`, 'm'));
    assert.match(log, /CommandLine: "C:\\Guestprep ü\\recorder\.exe" "C:\\Guestprep ü\\record\.txt" p{5000}\r?$/m, 'REG_EXPAND_SZ expanded');
    assert.match(log, /WorkingDirectory: C:\\Guestprep ü\r?$/m, 'PWD accepted');
    assert.match(log, /restart delay: initial 1 s, max 2 s/);
    assert.match(log, /log rotated: the previous log is C:\\Guestprep ü\\guestprep-service\.log\.1/);
    assert.ok(read(`${logFile}.1`).startsWith('old log marker'), 'the old log was kept as .1');
    assert.ok(log.length < 1024 * 1024, 'the new log starts empty');
    assert.match(log, new RegExp(`started process ${pid1} \\(in a kill-on-close job\\)`));
    assert.match(log, new RegExp(`^recorder stdout ${pid1}\\r?$`, 'm'));
    assert.ok(w.processes().some((p) => p.cmdline.includes('guestprep-service.exe')), 'the wrapper runs');

    // 2. Kill the recorder: the wrapper ends the rest of the tree and restarts the command after 1 s.
    const kill = await w.wine(['taskkill', '/f', '/pid', String(pid1)]);
    assert.equal(kill.code, 0, kill.out);
    const second = await waitFor('the restarted recorder', 30_000, () => [...read(recordFile).matchAll(/^started (\d+)/gm)][1]);
    const pid2 = Number(second[1]);
    assert.notEqual(pid2, pid1);
    stamp(`recorder killed and restarted as ${pid2}`);
    log = read(logFile);
    assert.match(log, new RegExp(`process ${pid1} exited with code \\d+`));
    assert.match(log, /restarting in 1 s/);
    assert.match(log, new RegExp(`restarted process ${pid2}`));
    await sleep(1000);
    const oldChildBeats = beats(read(recordFile), child1);
    await sleep(1500);
    assert.equal(beats(read(recordFile), child1), oldChildBeats, `the first recorder's child ${child1} still runs`);

    // The delay grows (1 s, then 2 s = the max) and goes back to the initial one after a run of
    // RestartResetSeconds (4 s here).
    const started = () => [...read(recordFile).matchAll(/^started (\d+)/gm)].map((m) => Number(m[1]));
    assert.equal((await w.wine(['taskkill', '/f', '/pid', String(pid2)])).code, 0);
    const pid3 = await waitFor('the third recorder', 30_000, () => started()[2]);
    log = read(logFile);
    assert.match(log, new RegExp(`process ${pid2} exited with code \\d+ \\(0x[0-9A-F]{8}\\) after \\d+ s\\r?\\n(?:.*\\r?\\n)*?.*restarting in 2 s`));
    await sleep(5000);
    assert.equal((await w.wine(['taskkill', '/f', '/pid', String(pid3)])).code, 0);
    const pid4 = await waitFor('the fourth recorder', 30_000, () => started()[3]);
    log = read(logFile);
    assert.match(log, new RegExp(`process ${pid3} exited with code \\d+ \\(0x[0-9A-F]{8}\\) after [4-9] s`));
    assert.match(log, /it ran for at least 4 s: restart delay reset to 1 s\r?\n.*restarting in 1 s/);
    stamp(`delays grew to 2 s and reset to 1 s after a long run; recorder now ${pid4}`);

    // 4. (while the session lives) A service without CommandLine stops with ERROR_BAD_CONFIGURATION.
    await w.wine(['net', 'start', BAD_SERVICE]);
    await waitFor('the misconfigured service to stop', 30_000, () => /service stopped with error 1610/.test(read(badLog)));
    assert.match(read(badLog), new RegExp(`\\[${BAD_SERVICE}\\] error: .*has no CommandLine value`));
    const bad = await w.wine(['sc', 'query', BAD_SERVICE]);
    assert.match(bad.out, /STATE\s+:\s+1\s+STOPPED/, bad.out);
    assert.match(bad.out, /WIN32_EXIT_CODE\s+:\s+1610/, bad.out);
    stamp('misconfigured service stopped with 1610');

    // 5. A program that cannot be started is logged and retried; a stop during the wait ends the service at once.
    await w.wine(['net', 'start', MISSING_SERVICE]);
    await waitFor('the missing program to be reported', 30_000, () => /restarting in 60 s/.test(read(missingLog)));
    assert.match(read(missingLog), /error: cannot start the command \(error 2: /);
    const stopMissing = await w.wine(['net', 'stop', MISSING_SERVICE], 30_000);
    assert.equal(stopMissing.code, 0, stopMissing.out);
    await waitFor('the service to stop during its restart delay', 10_000, () => /\] service stopped\r?$/m.test(read(missingLog)));
    assert.match(read(missingLog), /stop while waiting to restart: not restarting/);
    stamp('a missing program is retried; stop during the delay works');

    // 3. net stop: the recorder and its child end; nothing of the tree is left.
    const child4 = await waitFor('the fourth recorder child', 30_000, () => [...read(recordFile).matchAll(/^child (\d+)/gm)].map((m) => Number(m[1]))[3]);
    const stop = await w.wine(['net', 'stop', SERVICE], 60_000);
    assert.equal(stop.code, 0, stop.out);
    await sleep(500);
    const size = fs.statSync(recordFile).size;
    await sleep(2000);
    assert.equal(fs.statSync(recordFile).size, size, 'the record file still grows after the stop');
    const left = w.processes().filter((p) => /recorder\.exe|guestprep-service\.exe/i.test(p.cmdline));
    assert.deepEqual(left, [], 'processes left after net stop');
    log = read(logFile);
    assert.match(log, /\] stop requested\r?$/m);
    assert.match(log, new RegExp(`stop: terminating process ${pid4} and its process tree`));
    assert.match(log, /\] service stopped\r?$/m);
    const rec = read(recordFile);
    const last = (pid: number) => rec.lastIndexOf(`beat ${pid}`);
    assert.ok(last(pid4) > 0 && last(child4) > 0, 'the fourth recorder and its child ran');
    stamp(`stopped: recorder ${pid4} and child ${child4} ended, no process left`);
    t.diagnostic(`service log:\n${log.replace(/p{5000}/, 'p…(5000)')}`);
  } catch (e) {
    keep = process.env.GUESTPREP_KEEP_WINE === '1';
    if (keep) t.diagnostic(`kept the prefix for inspection: ${w.dir}`);
    throw e;
  } finally {
    await w.kill();
    if (!keep) fs.rmSync(w.dir, { recursive: true, force: true });
    stamp('cleaned up');
  }
});
