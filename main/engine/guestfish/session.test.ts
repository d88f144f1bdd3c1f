// Shutting a session down: a clean `quit` is reported as clean; a guestfish that does not finish `quit` in
// time is killed together with its appliance (guestfish leaves qemu running when it is killed), and the
// caller is told, so a transaction never commits an overlay whose writes may not have been flushed.
// A stand-in guestfish on PATH plays the part; no appliance is launched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, GuestfishSession } from './session';

/** Starts a stand-in "appliance" (a sleep) at `run`, writes its pid to $GP_APPLIANCE_PID; quits or hangs. */
const FAKE = `#!/bin/sh
while IFS= read -r line; do
  case "$line" in
    run) sleep 600 & echo $! >"$GP_APPLIANCE_PID" ;;
    "echo "*) printf '%s\\n' "\${line#echo }" ;;
    quit)
      if [ "$GP_QUIT" = hang ]; then exec sleep 600; fi
      kill "$(cat "$GP_APPLIANCE_PID")"; exit 0 ;;
  esac
done
`;

function aliveNow(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process is still there after a moment (a killed child stays a zombie until it is reaped). */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 20 && aliveNow(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return aliveNow(pid);
}

async function withFake<T>(quit: 'ok' | 'hang', body: (s: GuestfishSession, appliancePid: () => number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-session-'));
  writeFileSync(join(dir, 'guestfish'), FAKE);
  chmodSync(join(dir, 'guestfish'), 0o755);
  const pidFile = join(dir, 'appliance.pid');
  const s = await GuestfishSession.launch({
    drives: [], readonly: true, hypervisor: 'tcg',
    env: { PATH: `${dir}:${process.env.PATH}`, GP_APPLIANCE_PID: pidFile, GP_QUIT: quit },
  });
  return body(s, () => Number(readFileSync(pidFile, 'utf8').trim()));
}

test('a clean quit is reported as clean', async () => {
  await withFake('ok', async (s, appliance) => {
    const pid = appliance();
    assert.equal(await s.close(5_000), true);
    assert.equal(await alive(pid), false);
  });
});

test('a quit that does not finish: guestfish and its appliance are killed, and close says it was not clean', async () => {
  await withFake('hang', async (s, appliance) => {
    const pid = appliance();
    assert.ok(descendants(s.pid!).includes(pid), 'the appliance is found among guestfish\'s descendants');
    assert.equal(await s.close(300), false);
    assert.equal(await alive(pid), false, 'the appliance did not outlive guestfish');
  });
});

test('descendants reads the process tree from /proc, comm with spaces and parentheses included', () => {
  const proc = mkdtempSync(join(tmpdir(), 'gp-proc-'));
  const stat = (pid: number, ppid: number, comm: string) => {
    const { mkdirSync } = require('node:fs') as typeof import('node:fs');
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} 1 1 0 -1\n`);
  };
  stat(10, 1, 'guestfish');
  stat(11, 10, 'qemu-system-x86');
  stat(12, 11, 'a (b) c');
  stat(13, 1, 'other');
  assert.deepEqual(descendants(10, proc).sort(), [11, 12]);
  assert.deepEqual(descendants(13, proc), []);
});
