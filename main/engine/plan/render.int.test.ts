// Runs rendered plans (all three flavours) in real guestfish on a scratch disk, then reads back every
// expectation and every written file. One appliance launch for everything (~30 s under TCG).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPlan } from './build';
import { renderScript } from './render';
import { gfQuote } from '../quote/guestfish';
import type { Expectation, Plan } from '../types';
import { guestFacts, jreInfo, modernProactive, nodeSettings, NOW, rcLocalGuest, sysvGuest, VERSION, writtenFiles } from './test-fixtures';

const haveGuestfish = spawnSync('guestfish', ['--version']).status === 0;
const haveTar = spawnSync('tar', ['--version']).status === 0;

function makeTar(dir: string, name: string, files: Record<string, { text: string; mode: number }>): string {
  const root = path.join(dir, `${name}-src`);
  for (const [rel, f] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), f.text);
    fs.chmodSync(path.join(root, rel), f.mode);
  }
  const tar = path.join(dir, `${name}.tar`);
  const r = spawnSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-cf', tar, '-C', root, '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return tar;
}

const RC_LOCAL = '#!/bin/sh -e\n# rc.local of the test guest\necho hello\nexit 0\n# after exit\n';
const DEPEND_START = 'TARGETS = rsyslog rc.local\nrc.local: rsyslog\n';

test('rendered plans run in guestfish and leave exactly what they expect', { skip: !(haveGuestfish && haveTar) && 'needs guestfish and tar', timeout: 600_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-plan-int-'));
  try {
    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 512 * 1024 * 1024);
    const uploads: Record<string, string> = {
      jre: makeTar(dir, 'jre', { 'bin/java': { text: '#!/bin/sh\necho java\n', mode: 0o755 }, release: { text: 'JAVA_VERSION="17.0.9"\n', mode: 0o644 } }),
      proactive: makeTar(dir, 'proactive', { 'bin/proactive-node': { text: '#!/bin/sh\necho node\n', mode: 0o755 }, 'lib/x.jar': { text: 'jar', mode: 0o644 } }),
      credentials: path.join(dir, 'rm.cred'),
    };
    fs.writeFileSync(uploads.credentials, 'encrypted credentials\n');
    const uploadPath = (r: { id: string }) => uploads[r.id];

    const common = { jre: jreInfo(), proactive: modernProactive(), guestprepVersion: VERSION, now: NOW };
    const plans: Plan[] = [
      buildPlan({ ...common, guest: guestFacts(), settings: nodeSettings({ installDir: '/opt/sd', serviceName: 'pn-sd', workers: 2, credentials: { hostPath: uploads.credentials, bytes: 22 } }) }),
      buildPlan({ ...common, guest: sysvGuest({ insservDepend: { start: DEPEND_START, stop: 'TARGETS = sendsigs\n' } }), settings: nodeSettings({ installDir: '/opt/sv', serviceName: 'pn-sv' }) }),
      buildPlan({ ...common, guest: rcLocalGuest(RC_LOCAL, { rcLocalPath: '/etc/rc.local' }), settings: nodeSettings({ installDir: '/usr/local/rl', serviceName: 'pn-rl', serviceUser: 'root' }) }),
    ];

    // A blank file system with what these guests would have: rc directories and an rc.local.
    const preamble = [
      'run', 'part-disk /dev/sda mbr', 'mkfs ext4 /dev/sda1', 'mount /dev/sda1 /',
      ...[0, 1, 2, 3, 4, 5, 6].map((n) => `mkdir-p "/etc/rc${n}.d"`), 'mkdir-p "/etc/init.d"',
      `write "/etc/rc.local" ${gfQuote(RC_LOCAL)}`,
    ];
    // Read back: one marker per expectation, then its state; then every written file.
    const checks: string[] = [];
    // Linux plans only: their expectations are files, dirs, links and absences (no NTFS or registry kinds).
    const expectations = plans.flatMap((p) => p.expectations).filter((e): e is Extract<Expectation, { kind: 'file' | 'dir' | 'symlink' | 'absent' }> => e.kind !== 'present' && e.kind !== 'registry');
    expectations.forEach((e, i) => {
      checks.push(`echo "@@E ${i}"`);
      if (e.kind === 'symlink') checks.push(`readlink ${gfQuote(e.path)}`);
      else if (e.kind === 'absent') checks.push(`exists ${gfQuote(e.path)}`);
      else checks.push(`lstatns ${gfQuote(e.path)}`);
    });
    checks.push('echo "@@END"');
    const written = new Map<string, string>();
    for (const p of plans) for (const [guestPath, text] of writtenFiles(p)) written.set(guestPath, text);
    const downloads = [...written.keys()].map((g, i) => ({ guestPath: g, local: path.join(dir, `written-${i}`) }));
    for (const d of downloads) checks.push(`download ${gfQuote(d.guestPath)} ${gfQuote(d.local)}`);
    const origLocal = path.join(dir, 'rc.local.orig');
    checks.push(`download "/usr/local/rl/guestprep/rc.local.orig" ${gfQuote(origLocal)}`);

    const script = [...preamble, ...plans.map((p) => renderScript(p, { image: disk, format: 'raw', uploadPath })), ...checks].join('\n') + '\n';
    const scriptFile = path.join(dir, 'all.gf');
    fs.writeFileSync(scriptFile, script);
    const env = { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: process.env.LIBGUESTFS_BACKEND_SETTINGS ?? 'force_tcg' };
    const r = spawnSync('guestfish', ['--rw', '--format=raw', '-a', disk, '-f', scriptFile], { encoding: 'utf8', env, timeout: 540_000 });
    assert.equal(r.status, 0, `guestfish failed: ${r.stderr}\n${r.stdout.slice(-2000)}`);

    const out = r.stdout.slice(r.stdout.indexOf('@@E 0'), r.stdout.indexOf('@@END'));
    const blocks = out.split(/^@@E \d+\n/m).slice(1);
    assert.equal(blocks.length, expectations.length);
    expectations.forEach((e, i) => {
      const b = blocks[i];
      if (e.kind === 'symlink') return assert.equal(b.trim(), e.target, e.path);
      if (e.kind === 'absent') return assert.equal(b.trim(), 'false', e.path);
      const field = (k: string) => Number(new RegExp(`^${k}: (-?\\d+)$`, 'm').exec(b)?.[1]);
      const mode = field('st_mode');
      assert.equal(mode & 0o170000, e.kind === 'dir' ? 0o040000 : 0o100000, `${e.path} type`);
      assert.equal(mode & 0o7777, e.mode, `${e.path} mode ${(mode & 0o7777).toString(8)}`);
      assert.equal(field('st_uid'), e.uid, `${e.path} uid`);
      assert.equal(field('st_gid'), e.gid, `${e.path} gid`);
    });
    for (const d of downloads) {
      const got = fs.readFileSync(d.local, 'utf8');
      assert.equal(got, written.get(d.guestPath), d.guestPath);
      const e = expectations.find((x) => x.path === d.guestPath);
      if (e?.kind === 'file' && e.contains) assert.ok(got.includes(e.contains), d.guestPath);
    }
    // The original rc.local was copied, in the guest, before the edit.
    assert.equal(fs.readFileSync(origLocal, 'utf8'), RC_LOCAL);
    assert.ok(written.get('/etc/rc.local')!.startsWith('#!/bin/sh -e\n# rc.local of the test guest\necho hello\n/usr/local/rl/guestprep/pn-rl start'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
