import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { CommandResult, GuestfishSession } from './session';
import { applianceShellCommand, fitsOneLine, hasApplianceShell } from './appliance-shell';
import { GF_MAX_LINE, renderCommand } from '../quote/guestfish';
import { gfUnquote } from '../quote/roundtrip';

const script = 'set -eu\necho "it\'s $root" | tr a-z A-Z\n# ünïcode\n';

test('a script travels as one base64 word that guestfish cannot split, and decodes to itself', () => {
  const cmd = applianceShellCommand(script);
  assert.equal(cmd.argv[0], 'debug');
  assert.equal(cmd.argv[1], 'sh');
  const m = /^echo ([A-Za-z0-9+/=]+) \| base64 -d \| sh$/.exec(cmd.argv[2] as string);
  assert.ok(m, String(cmd.argv[2]));
  assert.equal(Buffer.from(m[1], 'base64').toString('utf8'), script);
  // What guestfish parses back from the rendered line is the same three words.
  assert.deepEqual(gfUnquote(renderCommand(cmd, () => '')), cmd.argv);
});

test('the command line, run by a real sh as the appliance runs it, executes the script', () => {
  const line = applianceShellCommand('printf "%s|" "a  b" "$root"').argv[2] as string;
  const r = spawnSync('sh', ['-c', line], { env: { ...process.env, root: '/sysroot' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'a  b|/sysroot|', 'blanks inside the script survive, unlike in a plain debug sh argument');
});

test('a script too long for one guestfish line is reported as such', () => {
  assert.equal(fitsOneLine('true'), true);
  assert.equal(fitsOneLine('x'.repeat(GF_MAX_LINE)), false);
  // base64 grows a script by a third: the limit is on the encoded line.
  const longest = Math.floor(((GF_MAX_LINE - 16 - 'debug sh echo  | base64 -d | sh'.length) * 3) / 4) - 3;
  assert.equal(fitsOneLine('y'.repeat(longest)), true);
  assert.equal(fitsOneLine('y'.repeat(longest + 6)), false);
});

/** A session that answers `exec` from a function and counts the calls. */
function fakeSession(answer: (argv: string[]) => Promise<CommandResult>) {
  const calls: string[][] = [];
  const s = { exec: (argv: string[]) => (calls.push(argv), answer(argv)) } as unknown as GuestfishSession;
  return { s, calls };
}

test('the probe says yes only when the script ran and printed its answer, and asks once per session', async () => {
  const yes = fakeSession(async () => ({ ok: true, output: 'guestprep-appliance-shell\n' }));
  assert.equal(await hasApplianceShell(yes.s), true);
  assert.equal(await hasApplianceShell(yes.s), true);
  assert.equal(yes.calls.length, 1, 'memoised per session');
  assert.equal(yes.calls[0][0], 'debug');

  const noDebug = fakeSession(async () => ({ ok: false, output: '', error: "debug: guestfsd was not configured with --enable-debug-command" }));
  assert.equal(await hasApplianceShell(noDebug.s), false);
  const noBase64 = fakeSession(async () => ({ ok: false, output: 'sh: 1: base64: not found', error: 'debug: sh: 1: base64: not found' }));
  assert.equal(await hasApplianceShell(noBase64.s), false);
  const other = fakeSession(async () => ({ ok: true, output: 'something else' }));
  assert.equal(await hasApplianceShell(other.s), false);
  const dead = fakeSession(() => Promise.reject(new Error('guestfish exited')));
  assert.equal(await hasApplianceShell(dead.s), false);
});
