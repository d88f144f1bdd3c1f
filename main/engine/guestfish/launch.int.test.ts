// The broken appliance cache seen on our machines (built while apt was installing: guestfsd fails on
// /dev/disk/by-path) is diagnosed and repaired by the launch itself. We break a private cache on purpose.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchAppliance, newLaunchStats, CACHE_REPAIRED_NOTICE } from './launch';
import { applianceCacheDir } from './session';

test('a broken appliance cache is recognised, deleted, and the launch succeeds after the rebuild', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-cache-'));
  const saved = process.env.LIBGUESTFS_CACHEDIR;
  process.env.LIBGUESTFS_CACHEDIR = dir;
  try {
    const disk = join(dir, 'd.raw');
    assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '16M']).status, 0);
    // Build the private cache with a first launch.
    const s0 = await launchAppliance({ drives: [{ path: disk, format: 'raw' }], readonly: true, stats: newLaunchStats() });
    await s0.close();
    const cache = applianceCacheDir();
    assert.ok(existsSync(join(cache, 'appliance.d', 'root')), `cache built in ${cache}`);
    // Break it the way an apt run did: the appliance's init no longer gets /dev/disk/by-path. Replace the
    // appliance root with a copy whose udev rules that create by-path links are gone.
    const root = join(cache, 'appliance.d', 'root');
    mkdirSync(join(dir, 'other'));
    const fix = spawnSync('guestfish', ['--rw', '-a', root, 'run', ':', 'mount', '/dev/sda', '/', ':', 'rm-f', '/usr/lib/udev/rules.d/60-persistent-storage.rules', ':', 'rm-f', '/lib/udev/rules.d/60-persistent-storage.rules'], {
      env: { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg', LIBGUESTFS_CACHEDIR: join(dir, 'other') },
      encoding: 'utf8',
    });
    assert.equal(fix.status, 0, fix.stderr);
    writeFileSync(join(dir, 'broken'), 'yes');

    const notices: string[] = [];
    const stats = newLaunchStats();
    const s = await launchAppliance({ drives: [{ path: disk, format: 'raw' }], readonly: true, stats, onNotice: (m) => notices.push(m) });
    await s.close();
    assert.equal(stats.launches, 1);
    assert.ok(stats.failedAttempts >= 2, 'the failed launch and its diagnosis');
    assert.ok(notices.some((n) => n.startsWith(CACHE_REPAIRED_NOTICE)), notices.join('\n'));
    assert.ok(readdirSync(cache).length > 0, 'rebuilt');
  } finally {
    if (saved === undefined) delete process.env.LIBGUESTFS_CACHEDIR;
    else process.env.LIBGUESTFS_CACHEDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
