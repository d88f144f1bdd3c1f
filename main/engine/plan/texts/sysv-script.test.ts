// The control script is checked by syntax with every shell at hand, and then exercised for real on the
// host: a temp install dir, a fake launcher, GUESTPREP_DELAY_SCALE to shrink the delays. Needs root
// (start/stop require it); as a normal user only the syntax checks run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { controlScriptText, serviceLogPath, type ControlScriptInput } from './sysv-script';

const isRoot = process.getuid?.() === 0;
const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
const nobodyUid = nobody.status === 0 ? Number(nobody.stdout.trim()) : -1;

function input(over: Partial<ControlScriptInput> = {}): ControlScriptInput {
  return {
    serviceName: 'proactive-node',
    serviceUser: 'proactive',
    installDir: '/opt/proactive',
    selfPath: '/etc/init.d/proactive-node',
    launcherPath: '/opt/proactive/guestprep/start-node.sh',
    logDir: '/opt/proactive/node/logs',
    credentialsPath: '/opt/proactive/guestprep/credentials.cred',
    pidFile: '/var/run/proactive-node.pid',
    tools: { useradd: '/usr/sbin/useradd', runuser: '/usr/sbin/runuser', su: '/bin/su', nologin: '/usr/sbin/nologin' },
    guestprepVersion: '0.1.0',
    rmUrl: 'pnp://rm.example.org:64738',
    nodeName: 'worker-01',
    ...over,
  };
}

const shells: Array<[string, string[]]> = (
  [['/bin/sh', []], ['/usr/bin/dash', []], ['/bin/bash', ['--posix']], ['/usr/bin/busybox', ['sh']]] as Array<[string, string[]]>
).filter(([bin]) => fs.existsSync(bin));

test('the control script has an LSB header, a chkconfig line and the settings', () => {
  const t = controlScriptText(input());
  assert.match(t, /^#!\/bin\/sh\n### BEGIN INIT INFO\n# Provides: +proactive-node\n/);
  for (const line of ['# Required-Start:    $remote_fs $network $syslog', '# Required-Stop:     $remote_fs $network $syslog',
    '# Default-Start:     2 3 4 5', '# Default-Stop:      0 1 6', '### END INIT INFO', '# chkconfig: 2345 99 01']) {
    assert.ok(t.includes(`\n${line}\n`), line);
  }
  assert.match(t, /^# Short-Description: .+$/m);
  assert.match(t, /^# Description: .+$/m);
  assert.ok(t.includes("\nSERVICE_USER='proactive'\n"));
  assert.ok(t.includes("\nLAUNCHER='/opt/proactive/guestprep/start-node.sh'\n"));
  assert.ok(t.includes("\nLOG_FILE='/opt/proactive/node/logs/proactive-node-service.log'\n"));
  assert.ok(t.includes('\nLOG_MODE=0750\n'));
  assert.ok(controlScriptText(input({ serviceUser: 'root' })).includes('\nLOG_MODE=0755\n'));
  assert.ok(!/umask 0*0\b/.test(t) && !t.includes('0777'), 'nothing world-writable');
});

test('the control script parses in every shell (sh -n), in all variants', () => {
  const variants = [input(), input({ serviceUser: 'root', credentialsPath: undefined, tools: {} }), input({ selfPath: '/opt/proactive/guestprep/proactive-node' })];
  for (const v of variants) {
    const text = controlScriptText(v);
    for (const [bin, pre] of shells) {
      const r = spawnSync(bin, [...pre, '-n'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
    }
  }
});

// ---------------------------------------------------------------- exercised on the host

interface Sandbox {
  dir: string;
  self: string;
  out: string;
  logFile: string;
  pidFile: string;
  run(cmd: string, asUser?: string): { status: number | null; stdout: string };
  runs(): string[];
  cleanup(): void;
}

function sandbox(user: string, behaviour: 'exit' | 'run' | 'long4', scale = 100): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-sysv-'));
  fs.chmodSync(dir, 0o755);
  const inst = path.join(dir, 'inst');
  const out = path.join(dir, 'out');
  fs.mkdirSync(path.join(inst, 'guestprep'), { recursive: true, mode: 0o755 });
  fs.mkdirSync(path.join(inst, 'node'), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'run'));
  fs.mkdirSync(out, { mode: 0o755 });
  if (user !== 'root') fs.chownSync(out, nobodyUid, nobodyUid);
  fs.writeFileSync(path.join(out, 'behaviour'), behaviour);
  const launcher = path.join(inst, 'guestprep', 'start-node.sh');
  fs.writeFileSync(launcher, `#!/bin/sh
out='${out}'
n=$(( $(cat "$out/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$out/count"
echo "start $n $(date +%s.%N) $(id -un) $$" >> "$out/runs"
case "$(cat "$out/behaviour")" in
  exit) exit 3 ;;
  long4) [ "$n" -eq 4 ] && sleep ${(600 / scale + 0.5).toFixed(1)}; echo "end $n $(date +%s.%N)" >> "$out/runs"; exit 1 ;;
  run) echo $$ > "$out/node.pid"; exec sleep 1000 ;;
esac
`, { mode: 0o755 });
  const creds = path.join(inst, 'guestprep', 'credentials.cred');
  fs.writeFileSync(creds, 'secret', { mode: 0o644 });
  const self = path.join(inst, 'guestprep', 'proactive-node');
  const logDir = path.join(inst, 'node', 'logs');
  const pidFile = path.join(dir, 'run', 'proactive-node.pid');
  fs.writeFileSync(self, controlScriptText(input({
    serviceUser: user, installDir: inst, selfPath: self, launcherPath: launcher, logDir, credentialsPath: creds, pidFile,
    tools: { runuser: '/usr/sbin/runuser', su: '/bin/su' },
  })), { mode: 0o755 });
  const env = { ...process.env, GUESTPREP_DELAY_SCALE: String(scale) };
  const started: number[] = [];
  return {
    dir, self, out, pidFile,
    logFile: serviceLogPath(logDir, 'proactive-node'),
    run(cmd, asUser) {
      const argv = asUser ? ['/usr/sbin/runuser', '-u', asUser, '--', '/bin/sh', self, cmd] : ['/bin/sh', self, cmd];
      const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 30_000 });
      const pid = cmd === 'start' ? readPid(pidFile) : undefined;
      if (pid && pid !== process.pid) started.push(pid);
      return { status: r.status, stdout: r.stdout + r.stderr };
    },
    runs() {
      return fs.existsSync(path.join(out, 'runs')) ? fs.readFileSync(path.join(out, 'runs'), 'utf8').trim().split('\n') : [];
    },
    cleanup() {
      // Processes this test started: the supervisors, and the launchers they ran.
      const pids = [...started, ...this.runs().filter((l) => l.startsWith('start ')).map((l) => Number(l.split(' ')[4]))];
      for (const pid of pids) if (pid > 1 && pid !== process.pid && isAlive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rootOnly = !isRoot && 'needs root (start and stop check for it)';

test('supervise restarts a node that exits, with growing delays; start is idempotent; stop and status', { skip: rootOnly }, async () => {
  const sb = sandbox('root', 'exit');
  try {
    const first = sb.run('start');
    assert.equal(first.status, 0, first.stdout);
    assert.match(first.stdout, /Started proactive-node/);
    const pid = readPid(sb.pidFile);
    assert.ok(pid && isAlive(pid));
    await until('five runs', () => sb.runs().length >= 5);
    const times = sb.runs().slice(0, 5).map((l) => Number(l.split(' ')[2]));
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Scale 100: 10, 20, 40, 80 s become 0.1, 0.2, 0.4, 0.8 s. A sleep is never shorter than asked.
    [0.1, 0.2, 0.4, 0.8].forEach((nominal, i) => assert.ok(gaps[i] >= nominal * 0.95, `gap ${i}: ${gaps[i]} < ${nominal}`));
    assert.ok(sb.runs().every((l) => l.split(' ')[3] === 'root'));

    const again = sb.run('start');
    assert.equal(again.status, 0);
    assert.match(again.stdout, /already running/);
    assert.equal(readPid(sb.pidFile), pid, 'no second supervisor');
    assert.equal(sb.run('status').status, 0);

    const stop = sb.run('stop');
    assert.equal(stop.status, 0, stop.stdout);
    assert.ok(!isAlive(pid as number), 'supervisor gone');
    assert.equal(sb.run('status').status, 3);
    assert.equal(sb.run('stop').status, 0, 'stopping a stopped service is fine');

    const log = fs.readFileSync(sb.logFile, 'utf8');
    const delays = [...log.matchAll(/exited with code 3 after \d+ s; restarting in (\d+) s/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 80]);
    assert.match(log, /supervisor started; the node runs as root \(via direct\)/);
    assert.match(log, /stopped/);
    assert.equal((fs.statSync(path.dirname(sb.logFile)).mode & 0o777), 0o755, 'root: logs 0755');
  } finally {
    sb.cleanup();
  }
});

test('the delay goes back to 10 s after a long run, and is capped at 180 s', { skip: rootOnly }, async () => {
  const sb = sandbox('root', 'long4', 200);
  try {
    assert.equal(sb.run('start').status, 0);
    await until('the fifth run', () => sb.runs().filter((l) => l.startsWith('start ')).length >= 5, 20_000);
    assert.equal(sb.run('stop').status, 0);
    const log = fs.readFileSync(sb.logFile, 'utf8');
    const delays = [...log.matchAll(/restarting in (\d+) s/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 10], log);
  } finally {
    sb.cleanup();
  }
  // The cap: the script doubles the delay and clamps it at 180.
  assert.match(controlScriptText(input()), /delay=\$\(\(delay \* 2\)\)\n\t\t\[ "\$delay" -le 180 \] \|\| delay=180/);
});

test('stop stops the running node (its whole process group) and the supervisor', { skip: rootOnly }, async () => {
  const sb = sandbox('root', 'run');
  try {
    assert.equal(sb.run('start').status, 0);
    const nodePidFile = path.join(sb.out, 'node.pid');
    await until('the node', () => readPid(nodePidFile) !== undefined);
    const node = readPid(nodePidFile) as number;
    const sup = readPid(sb.pidFile) as number;
    assert.ok(isAlive(node) && isAlive(sup));
    const t0 = Date.now();
    assert.equal(sb.run('stop').status, 0);
    assert.ok(Date.now() - t0 < 10_000);
    await until('the node to be gone', () => !isAlive(node), 3000);
    assert.ok(!isAlive(sup));
    assert.ok(!fs.existsSync(sb.pidFile));
    assert.equal(sb.runs().length, 1, 'not restarted while stopping');
  } finally {
    sb.cleanup();
  }
});

test('the node runs as the service user, who gets the logs dir and the credentials', { skip: (rootOnly || (nobodyUid < 0 && 'no user nobody')) as string | false }, async () => {
  const sb = sandbox('nobody', 'run');
  try {
    const r = sb.run('start');
    assert.equal(r.status, 0, r.stdout);
    await until('the node', () => sb.runs().length >= 1);
    assert.equal(sb.runs()[0].split(' ')[3], 'nobody');
    const logs = fs.statSync(path.dirname(sb.logFile));
    assert.equal(logs.uid, nobodyUid);
    assert.equal(logs.mode & 0o777, 0o750);
    const creds = fs.statSync(path.join(sb.dir, 'inst', 'guestprep', 'credentials.cred'));
    assert.equal(creds.uid, nobodyUid);
    assert.equal(creds.mode & 0o777, 0o600);
    assert.match(fs.readFileSync(sb.logFile, 'utf8'), /the node runs as nobody \(via runuser\)/);
    assert.equal(sb.run('stop').status, 0);
  } finally {
    sb.cleanup();
  }
});

test('LSB exit codes: not root 4, usage 2, stale pid file 1', { skip: (rootOnly || (nobodyUid < 0 && 'no user nobody')) as string | false }, () => {
  const sb = sandbox('root', 'exit');
  try {
    const r = sb.run('start', 'nobody');
    assert.equal(r.status, 4, r.stdout);
    assert.match(r.stdout, /must be run as root/);
    assert.equal(sb.run('frobnicate').status, 2);
    fs.writeFileSync(sb.pidFile, '4194303\n');
    assert.equal(sb.run('status').status, 1);
    // A pid file naming some other live process (our own test runner) is not "running".
    fs.writeFileSync(sb.pidFile, `${process.pid}\n`);
    assert.equal(sb.run('status').status, 1);
  } finally {
    sb.cleanup();
  }
});
