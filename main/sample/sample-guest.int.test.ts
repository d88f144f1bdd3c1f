// Builds each sample flavour for real (virt-make-fs + qemu-img) and checks that libguestfs
// inspection recognises it as the Debian 12 x86_64 guest it claims to be, with the boot-hook
// files of its flavour. One guestfish launch per image (inspection + file checks together).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSampleGuest, type SampleGuestOptions } from './sample-guest';

function tgEnv(): NodeJS.ProcessEnv {
  return process.env.LIBGUESTFS_BACKEND_SETTINGS === undefined ? { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' } : process.env;
}

function run(cmd: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: tgEnv() });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr }));
    c.stdin.end(input);
  });
}

/** Runs guestfish commands separated by markers; returns each command's output. */
async function inspect(image: string, format: string, commands: string[]): Promise<string[]> {
  const script = ['run', 'inspect-os', ...commands].flatMap((c, i) => [c, `echo @@${i}@@`]).join('\n') + '\n';
  const r = await run('guestfish', ['--ro', `--format=${format}`, '-a', image], script);
  assert.equal(r.code, 0, r.stderr);
  const outs: string[] = [];
  let rest = r.stdout;
  for (let i = 0; i < commands.length + 2; i++) {
    const m = `@@${i}@@\n`;
    const at = rest.indexOf(m);
    assert.ok(at >= 0, `missing marker ${i} in ${r.stdout}`);
    outs.push(rest.slice(0, at).trim());
    rest = rest.slice(at + m.length);
  }
  return outs.slice(1); // drop `run`
}

function outDir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-sample-int-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const FLAVOUR_CHECKS: Record<NonNullable<SampleGuestOptions['flavour']>, { commands: string[]; expect: string[] }> = {
  systemd: {
    commands: ['readlink /sbin/init', 'is-file /usr/bin/systemd-sysusers', 'is-dir /etc/systemd/system', 'exists /etc/inittab', 'ls /etc/rc2.d'],
    expect: ['/lib/systemd/systemd', 'true', 'true', 'false', ''],
  },
  sysvinit: {
    commands: ['is-symlink /sbin/init', 'is-file /sbin/init', 'is-dir /etc/init.d', 'is-dir /etc/rc2.d', 'is-dir /etc/rcS.d'],
    expect: ['false', 'true', 'true', 'true', 'true'],
  },
  rclocal: {
    commands: ['is-dir /etc/rc2.d', 'is-dir /etc/rc5.d', 'is-file /etc/rc.local', 'stat /etc/rc.local | grep mode'],
    expect: ['false', 'false', 'true', 'mode: 33261'], // 0100755
  },
};

for (const flavour of ['systemd', 'sysvinit', 'rclocal'] as const) {
  test(`sample ${flavour} guest (vdi) is inspected as Debian 12 x86_64 with its boot hooks`, async (t) => {
    const started = Date.now();
    const img = await buildSampleGuest(outDir(t), { flavour, hostname: `sample-${flavour}` });
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`built in ${seconds.toFixed(1)} s`);
    assert.equal(path.basename(img), `sample-${flavour}.vdi`);
    assert.equal(fs.readFileSync(img).subarray(0x40, 0x44).readUInt32LE(0), 0xbeda107f, 'VDI signature');
    const { commands, expect } = FLAVOUR_CHECKS[flavour];
    const [root, ...outs] = await inspect(img, 'vdi', [
      'inspect-get-type /dev/sda1', 'inspect-get-distro /dev/sda1', 'inspect-get-major-version /dev/sda1',
      'inspect-get-arch /dev/sda1', 'inspect-get-hostname /dev/sda1', 'mount-ro /dev/sda1 /', ...commands,
    ]);
    assert.equal(root, '/dev/sda1');
    assert.deepEqual(outs.slice(0, 5), ['linux', 'debian', '12', 'x86_64', `sample-${flavour}`]);
    assert.deepEqual(outs.slice(6), expect);
  });
}

test('raw format, size and extraFiles are honoured', async (t) => {
  const img = await buildSampleGuest(outDir(t), {
    flavour: 'systemd',
    format: 'raw',
    sizeMb: 40,
    extraFiles: { '/opt/proactive': 'not a directory', '/etc/motd': { content: 'hi\n', mode: 0o600 } },
  });
  assert.ok(img.endsWith('sample-systemd.raw'));
  assert.equal(fs.statSync(img).size, 40 * 1024 * 1024);
  const outs = await inspect(img, 'raw', [
    'inspect-get-hostname /dev/sda1', 'mount-ro /dev/sda1 /', 'is-file /opt/proactive', 'cat /opt/proactive',
    'stat /etc/motd | grep -E "^(mode|uid)"', 'stat /etc/shadow | grep -E "^(mode|gid)"',
  ]);
  assert.deepEqual(outs.slice(1), [
    'gp-sample-systemd', '', 'true', 'not a directory', 'mode: 33152\nuid: 0', 'mode: 33184\ngid: 42',
  ]);
});

test('bad options are refused before any work', async (t) => {
  const d = outDir(t);
  await assert.rejects(buildSampleGuest(d, { sizeMb: 4 }), /sizeMb/);
  await assert.rejects(buildSampleGuest(d, { hostname: 'bad host' }), /hostname/);
  assert.deepEqual(fs.readdirSync(d), []);
});
