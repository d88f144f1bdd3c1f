// Smoke test of the bootable fixture guests: libguestfs inspection recognises each one (the
// product depends on that) and each has the init layout it is meant to test. Read-only.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBootableGuests, guestfish, type BootableGuests, type GuestName } from './fixtures';

let guests: BootableGuests;
before(async () => { guests = await ensureBootableGuests(); }, { timeout: 30 * 60_000 });

/** One guestfish -i session; returns the output of each command (separated by echo markers). */
async function inspectAndRun(vdi: string, commands: string[]): Promise<string[]> {
  const script = ['inspect-get-roots', ...commands].flatMap((c, i) => [c, `echo @@${i}@@`]).join('\n') + '\n';
  const r = await guestfish(['--ro', '--format=vdi', '-a', vdi, '-i'], script);
  assert.equal(r.code, 0, `guestfish failed: ${r.stderr}`);
  const outs: string[] = [];
  let rest = r.stdout;
  for (let i = 0; i <= commands.length; i++) {
    const at = rest.indexOf(`@@${i}@@\n`);
    assert.ok(at >= 0, `marker ${i} missing in:\n${r.stdout}`);
    outs.push(rest.slice(0, at).trim());
    rest = rest.slice(at + `@@${i}@@\n`.length);
  }
  return outs;
}

const COMMON = [
  'inspect-get-distro /dev/sda1', 'inspect-get-major-version /dev/sda1', 'inspect-get-arch /dev/sda1',
  'inspect-get-hostname /dev/sda1', 'cat /etc/fstab', 'is-file /usr/local/sbin/guestprep-test-watch',
];

const LAYOUT: Record<GuestName, { commands: string[]; expect: string[] }> = {
  systemd: {
    commands: ['readlink /sbin/init', 'readlink /etc/systemd/system/multi-user.target.wants/guestprep-test-watch.service',
      'is-file /etc/systemd/system/guestprep-test-watch.service', 'is-file /usr/bin/systemd-sysusers',
      'readlink /etc/systemd/system/serial-getty@ttyS0.service', 'exists /etc/inittab', 'exists /etc/rc.local', 'ls /etc/rc2.d'],
    // Real Debian 12: /etc/rc2.d exists on a systemd system too (empty); no inittab, no rc.local.
    expect: ['/lib/systemd/systemd', '../guestprep-test-watch.service', 'true', 'true', '/dev/null', 'false', 'false', ''],
  },
  sysvinit: {
    commands: ['is-symlink /sbin/init', 'is-file /sbin/init', 'is-dir /etc/init.d', 'is-dir /etc/rc2.d', 'is-dir /etc/rc5.d',
      'exists /lib/systemd/systemd', 'grep "^gpw:2345:once:" /etc/inittab'],
    expect: ['false', 'true', 'true', 'true', 'true', 'false', 'gpw:2345:once:/usr/local/sbin/guestprep-test-watch'],
  },
  rclocal: {
    commands: ['is-dir /etc/init.d', 'is-dir /etc/rc2.d', 'is-dir /etc/rc3.d', 'is-dir /etc/rc4.d', 'is-dir /etc/rc5.d',
      'grep "^l2:" /etc/inittab', 'cat /etc/rc.local', 'stat /etc/rc.local | grep mode'],
    expect: ['true', 'false', 'false', 'false', 'false', 'l2:2:wait:/etc/rc.local',
      '#!/bin/sh -e\n# rc.local: runs at the end of each multi-user runlevel (this guest has no other boot hook).\nexit 0\n'
      + '# (a trailing comment after exit 0, as some hand-edited rc.local files have)',
      'mode: 33261'],
  },
};

for (const name of ['systemd', 'sysvinit', 'rclocal'] as const) {
  test(`fixture ${name}: inspected as Debian 12 x86_64 gp-${name}, with the ${name} boot layout`, { timeout: 300_000 }, async () => {
    const g = guests[name];
    assert.ok(g.vdi.includes(`VirtualBox VMs/Node (${name})/node.vdi`));
    const { commands, expect } = LAYOUT[name];
    const [roots, ...outs] = await inspectAndRun(g.vdi, [...COMMON, ...commands]);
    assert.equal(roots, '/dev/sda1');
    assert.deepEqual(outs.slice(0, COMMON.length), ['debian', '12', 'x86_64', `gp-${name}`, '/dev/sda1 / ext4 defaults 0 1', 'true']);
    assert.deepEqual(outs.slice(COMMON.length), expect);
  });
}
