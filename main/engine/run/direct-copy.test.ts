import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestprepError } from '../errors';
import type { CommandResult, GuestfishSession } from '../guestfish/session';
import { DIRECT_MIN_BYTES, directCopyCommand, directCopyEnabled, directCopyScript, useDirectCopy } from './direct-copy';

test('the script names its folders under the sysroot, single-quoted, and stops at the first error', () => {
  const s = directCopyScript("/Program Files/it's/node.guestprep-staging", "/Program Files/it's/node");
  assert.match(s, /^set -eu$/m);
  assert.match(s, /^src=\$root'\/Program Files\/it'\\''s\/node\.guestprep-staging'$/m);
  assert.match(s, /^dst=\$root'\/Program Files\/it'\\''s\/node'$/m);
  assert.match(s, new RegExp(`-size \\+${DIRECT_MIN_BYTES - 1}c`));
  assert.match(s, /oflag=direct/);
});

test('a folder name with a NUL byte is refused with a setting error, not passed on', () => {
  assert.throws(() => directCopyScript('/a', '/b\0c'), (e: unknown) => e instanceof GuestprepError && e.code === 'SETTING_INVALID');
});

test('a path too long for one guestfish line gives no command (the caller keeps cp -a)', () => {
  assert.ok(directCopyCommand('/a.guestprep-staging', '/a'));
  const long = '/' + 'd'.repeat(3000);
  assert.equal(directCopyCommand(`${long}.guestprep-staging`, long), undefined);
});

test('GUESTPREP_DIRECT_COPY=0 turns it off', () => {
  assert.equal(directCopyEnabled({}), true);
  assert.equal(directCopyEnabled({ GUESTPREP_DIRECT_COPY: '0' }), false);
});

test('only Windows guests get it, and only when the appliance runs scripts; a Linux guest costs no probe', async () => {
  let probes = 0;
  const session = (ok: boolean) =>
    ({ exec: async (): Promise<CommandResult> => (probes++, ok ? { ok: true, output: 'guestprep-appliance-shell' } : { ok: false, output: '', error: 'no' }) }) as unknown as GuestfishSession;
  const logs: string[] = [];
  assert.equal(await useDirectCopy(session(true), { osType: 'linux' }), false);
  assert.equal(probes, 0);
  assert.equal(await useDirectCopy(session(true), { osType: 'windows' }), true);
  assert.equal(await useDirectCopy(session(false), { osType: 'windows' }, (m) => logs.push(m)), false);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /cannot run scripts/);
});

// ---- the script itself, run by the host's sh and coreutils (the appliance's are the same programs)

const MiB = 1024 * 1024;

/** Every entry under `dir`: type, mode, owner, mtime (ns), size, content hash or link target. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p, { bigint: true });
    const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
    out.push(`${JSON.stringify(rel)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeNs} ${st.isDirectory() ? '' : st.size} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel === '.' ? name : join(rel, name));
  };
  walk('.');
  return out;
}

/** A source tree with what archives hold: large and small files, odd names, links, an empty private folder. */
function makeSource(src: string): void {
  const t = new Date('2001-02-03T04:05:06Z');
  const file = (rel: string, bytes: number, mode: number, seed: number) => {
    const data = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i += 4096) data[i] = (i / 4096 + seed) & 0xff;
    writeFileSync(join(src, rel), data);
    chmodSync(join(src, rel), mode);
    utimesSync(join(src, rel), t, t);
  };
  mkdirSync(join(src, 'lib', 'sub dir'), { recursive: true });
  mkdirSync(join(src, 'empty-private'));
  file('lib/sub dir/modules', 3 * MiB + 1, 0o640, 1); // direct, with a last block that is not a whole MiB
  file('lib/exactly-1MiB', DIRECT_MIN_BYTES, 0o644, 2); // direct
  file('lib/just-under', DIRECT_MIN_BYTES - 1, 0o600, 3); // with the tree
  file("-it's\nodd $name", 2 * MiB, 0o755, 4); // direct, a name no shell may see unquoted
  file('release', 100, 0o644, 5);
  symlinkSync('sub dir/modules', join(src, 'lib', 'link'));
  chmodSync(join(src, 'empty-private'), 0o700);
  // Folder times last, as an archive's are: writing into a folder moves its mtime.
  for (const d of ['lib/sub dir', 'lib', 'empty-private', '.']) utimesSync(join(src, d), t, t);
}

/**
 * The host's dd behind a shim that logs each call (record separator between calls: names may hold newlines) and, with `refuseDirect`, fails as a filesystem without
 * O_DIRECT support does (tmpfs accepts it since Linux 6.6, so no real filesystem is at hand for that).
 */
function ddShim(dir: string, refuseDirect: boolean): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const real = spawnSync('sh', ['-c', 'command -v dd'], { encoding: 'utf8' }).stdout.trim();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'dd.log');
  writeFileSync(log, '');
  writeFileSync(
    join(bin, 'dd'),
    ['#!/bin/sh', `printf '%s\\036' "$*" >> '${log}'`, refuseDirect ? 'case "$*" in *oflag=direct*) echo "dd: Invalid argument" >&2; exit 1;; esac' : '', `exec '${real}' "$@"`, ''].join('\n'),
    { mode: 0o755 },
  );
  return { env: { PATH: `${bin}:${process.env.PATH}` }, calls: () => readFileSync(log, 'utf8').split('\x1e').filter(Boolean) };
}

function runScript(root: string, from: string, to: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync('sh', ['-c', directCopyScript(from, to)], { env: { ...process.env, ...env, root }, encoding: 'utf8' });
}

/** Runs the script and `cp -a` on the same source, compares the two copies, and returns the dd calls. */
function compareWithCpA(refuseDirect: boolean): string[] {
  const root = mkdtempSync(join(tmpdir(), 'gp-direct-'));
  try {
    makeSource(join(root, 'src'));
    mkdirSync(join(root, 'dst'));
    const dd = ddShim(root, refuseDirect);
    const r = runScript(root, '/src', '/dst', dd.env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, '', 'silent when all goes well (a refused O_DIRECT included)');
    const ref = join(root, 'ref');
    mkdirSync(ref);
    const c = spawnSync('cp', ['-a', join(root, 'src') + '/.', ref], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    // The top folders are the plan's own (mkdir'd), compared apart from their times.
    const [dstTop, ...dst] = tree(join(root, 'dst'));
    const [refTop, ...want] = tree(ref);
    assert.deepEqual(dst, want);
    assert.equal(dstTop.split(' ')[1], refTop.split(' ')[1]);
    assert.equal(dst.length, 9, 'every entry of the source is there');
    return dd.calls();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the copy equals cp -a (contents, modes, owners, times, links), the files of 1 MiB and more written with O_DIRECT', () => {
  const calls = compareWithCpA(false);
  assert.equal(calls.length, 3, calls.join('\n'));
  assert.ok(calls.every((c) => c.includes('oflag=direct') && c.includes('bs=1M')));
  assert.deepEqual(calls.map((c) => /if=(.*?) of=/s.exec(c)![1]).sort(), ["./-it's\nodd $name", './lib/exactly-1MiB', './lib/sub dir/modules']);
});

test('where O_DIRECT is refused, each large file is written buffered instead, with the same result', () => {
  const calls = compareWithCpA(true);
  assert.equal(calls.length, 6, calls.join('\n'));
  assert.equal(calls.filter((c) => c.includes('oflag=direct')).length, 3);
});

test('it refuses to copy into a folder that is not empty, and leaves that folder as it was', () => {
  const root = mkdtempSync(join(tmpdir(), 'gp-direct-'));
  try {
    makeSource(join(root, 'src'));
    mkdirSync(join(root, 'dst'));
    writeFileSync(join(root, 'dst', 'release'), 'mine');
    const r = runScript(root, '/src', '/dst');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dst is not an empty folder/);
    assert.deepEqual(readdirSync(join(root, 'dst')), ['release']);
    assert.equal(readFileSync(join(root, 'dst', 'release'), 'utf8'), 'mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a missing source or target stops the script with an error', () => {
  const root = mkdtempSync(join(tmpdir(), 'gp-direct-'));
  try {
    mkdirSync(join(root, 'dst'));
    assert.notEqual(runScript(root, '/nowhere', '/dst').status, 0);
    mkdirSync(join(root, 'src'));
    assert.notEqual(runScript(root, '/src', '/missing').status, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
