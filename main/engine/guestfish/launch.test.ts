// The KVM -> TCG fallback when KVM hangs instead of aborting (as nested KVM now does on our machines): a
// stand-in guestfish on PATH never finishes `run` unless TCG is asked for. No appliance is launched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchAppliance, newLaunchStats, settledHypervisor } from './launch';
import { accessSync, constants } from 'node:fs';
import { KVM_HUNG_REASON, stateFile } from './hypervisor';

const FAKE = `#!/bin/sh
# Stand-in guestfish: answers the session's echo markers; 'run' hangs unless TCG is forced.
while IFS= read -r line; do
  case "$line" in
    run|-run)
      case "$LIBGUESTFS_BACKEND_SETTINGS" in
        *force_tcg*) echo tcg >>"$GP_FAKE_LOG" ;;
        *) echo kvm >>"$GP_FAKE_LOG"; exec sleep 600 ;;
      esac ;;
    "echo "*) printf '%s\\n' "\${line#echo }" ;;
    quit) exit 0 ;;
  esac
done
`;


/** Runs `body` with these environment variables set (undefined: unset), and puts them back after. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

test('a KVM launch that never comes up is given up after its time limit: TCG is used, remembered and told once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-launch-'));
  writeFileSync(join(dir, 'guestfish'), FAKE);
  chmodSync(join(dir, 'guestfish'), 0o755);
  const log = join(dir, 'log');
  writeFileSync(log, '');
  await withEnv({ PATH: `${dir}:${process.env.PATH}`, LIBGUESTFS_BACKEND_SETTINGS: undefined, GUESTPREP_STATE_DIR: join(dir, 'state'), GUESTPREP_KVM_LAUNCH_TIMEOUT_MS: '1500' }, async () => {
    const notices: string[] = [];
    const stats = newLaunchStats();
    const t0 = Date.now();
    const s = await launchAppliance({
      drives: [], readonly: true, stats, env: { GP_FAKE_LOG: log },
      onNotice: (m) => notices.push(m),
      chooseHypervisor: () => ({ hypervisor: 'kvm', reason: 'KVM is available', news: false }),
    });
    await s.close();
    assert.ok(Date.now() - t0 < 15_000, 'the hung attempt was cut at its limit');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['kvm', 'tcg']);
    assert.equal(stats.hypervisor, 'tcg');
    assert.equal(stats.launches, 1);
    assert.equal(stats.failedAttempts, 1);
    assert.deepEqual(notices, [`${KVM_HUNG_REASON}.`]);
    assert.equal(JSON.parse(readFileSync(stateFile(), 'utf8')).hypervisor, 'tcg');
  });
});

function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

test('settledHypervisor finds out once (the probe falls back from a hung KVM) and later answers from memory', { skip: !kvmUsable() && 'no usable /dev/kvm here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-settle-'));
  writeFileSync(join(dir, 'guestfish'), FAKE);
  chmodSync(join(dir, 'guestfish'), 0o755);
  const log = join(dir, 'log');
  writeFileSync(log, '');
  await withEnv({ PATH: `${dir}:${process.env.PATH}`, LIBGUESTFS_BACKEND_SETTINGS: undefined, GUESTPREP_STATE_DIR: join(dir, 'state'), GUESTPREP_KVM_LAUNCH_TIMEOUT_MS: '1500', GP_FAKE_LOG: log }, async () => {
    assert.equal(await settledHypervisor(), 'tcg');
    assert.equal(await settledHypervisor(), 'tcg');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['kvm', 'tcg'], 'one probe, then the remembered verdict');
  });
});
