// The QEMU boot harness, end to end, on the real fixture guests:
//  - an UNPREPARED guest boots, its watcher reports "no record" (short gp.watch), and the VDI
//    given to bootAndCollect is byte-for-byte unchanged (it is only the overlay's backing file);
//  - with a hand-made stand-in node hooked into each guest's boot (systemd unit, init.d script,
//    rc.local line), the record written at boot comes back both on the console and, decisively,
//    from the overlay disk. This also proves each fixture's boot hook really runs at boot.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { bootAndCollect } from './boot';
import { copyGuest, ensureBootableGuests, guestfish, sha256File, type BootableGuests, type CopiedGuest, type GuestName } from './fixtures';

let guests: BootableGuests;
const copies: CopiedGuest[] = [];
before(async () => { guests = await ensureBootableGuests(); }, { timeout: 30 * 60_000 });
after(async () => { for (const c of copies) await fsp.rm(c.dir, { recursive: true, force: true }); });

async function copy(name: GuestName): Promise<CopiedGuest> {
  const c = await copyGuest(guests[name]);
  copies.push(c);
  return c;
}

test('an unprepared systemd guest boots, reports no record, and its VDI stays unchanged', { timeout: 600_000 }, async (t) => {
  const g = await copy('systemd');
  const before = await sha256File(g.vdi);
  const r = await bootAndCollect(g, { watchSeconds: 5 });
  t.diagnostic(`boot + read-back took ${(r.durationMs / 1000).toFixed(1)} s`);
  assert.equal(r.booted, true, r.console.slice(-3000));
  assert.equal(r.poweredOff, true, 'the watcher should power the guest off');
  assert.equal(r.watcherTimedOut, true);
  assert.equal(r.record, undefined);
  assert.equal(r.overlayRecord, undefined);
  assert.deepEqual(r.overlayRecordPaths, []);
  assert.match(r.diagnostics ?? '', /^--- ls -laR \/opt/m);
  assert.equal(await sha256File(g.vdi), before);
});

// Runs inside the guest (guestfish `command`): a stand-in node and the flavour's boot hook.
const HOOK_SCRIPT = `set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/gp-harness-node <<'EOF'
#!/bin/sh
# Harness test stand-in for a node start script: record like the fake node does, keep running.
logs=/opt/harness/node/logs
mkdir -p "$logs"
{
  echo "start-script=$0"
  echo "user=$(id -un)"
  echo "hook=$1"
  echo "hostname=$(cat /etc/hostname)"
  echo java-ran
} >> "$logs/guestprep-record.txt"
exec sleep 100000
EOF
chmod 0755 /usr/local/bin/gp-harness-node
case "$1" in
systemd)
  cat > /etc/systemd/system/gp-harness.service <<'EOF'
[Unit]
Description=Harness test stand-in node
[Service]
ExecStart=/usr/local/bin/gp-harness-node systemd
[Install]
WantedBy=multi-user.target
EOF
  ln -s ../gp-harness.service /etc/systemd/system/multi-user.target.wants/gp-harness.service ;;
sysvinit)
  # Debian's /etc/init.d/rc boots with startpar from /etc/init.d/.depend.start: a bare
  # rc2.d link is NOT run. update-rc.d (insserv) reads the LSB header and updates both.
  cat > /etc/init.d/gp-harness <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          gp-harness
# Required-Start:    $local_fs $remote_fs
# Required-Stop:     $local_fs $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Harness test stand-in node
### END INIT INFO
case "$1" in start) /usr/local/bin/gp-harness-node sysvinit >/dev/null 2>&1 </dev/null & ;; esac
exit 0
EOF
  chmod 0755 /etc/init.d/gp-harness
  update-rc.d gp-harness defaults
  grep -q gp-harness /etc/init.d/.depend.start ;;
rclocal)
  # Insert before the (only) exit 0, which is not the last line of this rc.local.
  awk '/^exit 0$/ { print "/usr/local/bin/gp-harness-node rclocal >/dev/null 2>&1 &" } { print }' /etc/rc.local > /etc/rc.local.new
  cat /etc/rc.local.new > /etc/rc.local
  rm /etc/rc.local.new ;;
esac
`;

async function installHook(g: CopiedGuest): Promise<void> {
  const hostScript = path.join(g.dir, 'hook.sh');
  fs.writeFileSync(hostScript, HOOK_SCRIPT);
  const r = await guestfish(['--format=vdi', '-a', g.vdi, '-m', '/dev/sda1'], [
    `upload "${hostScript}" /tmp/gp-hook.sh`,
    `command "/bin/sh /tmp/gp-hook.sh ${g.name}"`,
    'rm /tmp/gp-hook.sh',
    '',
  ].join('\n'));
  assert.equal(r.code, 0, `installing the hook failed: ${r.stderr}`);
}

for (const name of ['systemd', 'sysvinit', 'rclocal'] as const) {
  test(`${name} guest: a record written at boot comes back from the console and the overlay`, { timeout: 600_000 }, async (t) => {
    const g = await copy(name);
    await installHook(g);
    const sum = await sha256File(g.vdi);
    const r = await bootAndCollect(g);
    t.diagnostic(`boot + read-back took ${(r.durationMs / 1000).toFixed(1)} s`);
    assert.equal(r.booted, true, r.console.slice(-3000));
    assert.equal(r.watcherTimedOut, false, r.diagnostics);
    assert.equal(r.poweredOff, true);
    assert.deepEqual(r.overlayRecordPaths, ['/opt/harness/node/logs/guestprep-record.txt']);
    const disk = r.overlayRecord ?? '';
    for (const line of ['start-script=/usr/local/bin/gp-harness-node', 'user=root', `hook=${name}`, `hostname=gp-${name}`, 'java-ran']) {
      assert.ok(disk.split('\n').includes(line), `overlay record lacks ${line}:\n${disk}`);
    }
    // The console copy is the same record (it is for diagnostics; the disk is the evidence).
    assert.equal(r.record, disk);
    assert.match(r.ps ?? '', /^root +sleep 100000$/m);
    assert.equal(await sha256File(g.vdi), sum, 'booting must not write to the VDI');
  });
}

test('bootAndCollect kills QEMU at the timeout and still reads the overlay', { timeout: 300_000 }, async () => {
  const g = await copy('systemd');
  const started = Date.now();
  const r = await bootAndCollect(g, { timeoutMs: 4000 });
  assert.equal(r.poweredOff, false);
  assert.equal(r.booted, false);
  assert.deepEqual(r.overlayRecordPaths, []);
  assert.ok(Date.now() - started < 120_000);
  // The QEMU it started is gone.
  assert.ok(r.qemuPid !== undefined);
  assert.throws(() => process.kill(r.qemuPid!, 0), { code: 'ESRCH' });
});
