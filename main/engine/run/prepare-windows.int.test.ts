// The prepare transaction on the phony Windows samples, with real libguestfs and hivexregedit: one appliance
// launch per run (files and registry in the same session), then the COMMITTED image is read back with plain
// guestfish + hivexregedit (not Guestprep's own code): registry values in the control set that boots, and
// only there; the wrapper's bytes; the .cmd; java.exe. Plus the refusals and failures that must leave the
// image byte-identical, and the dry run's script and .reg.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleWindows } from '../../sample/sample-windows';
import { makeSampleJre, makeSampleProactive } from '../../sample/archives';
import { prepare } from './prepare';
import { readEntries } from '../archive/entries';
import { memoryJournal } from './journal';
import { WarmSession } from './warm';
import { GuestprepError } from '../errors';
import { wrapperPath } from '../windows/wrapper';
import { compareRegValues, findRegKey, parseRegText } from '../quote/reg';
import type { RegistryValue } from '../types';

const haveTools = spawnSync('guestfish', ['--version']).status === 0 && spawnSync('hivexregedit', ['--help']).error === undefined;
const skip = haveTools ? false : 'needs guestfish and hivexregedit';

let root: string;
let jreX64: string;
let jreX86: string;
let modern: string;
let legacy: string;
/** Node distributions made for Windows only (no POSIX start script), and one for Linux only. */
let modernWin: string;
let legacyWin: string;
let modernLinux: string;

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function tcgEnv(): NodeJS.ProcessEnv {
  return process.env.LIBGUESTFS_BACKEND_SETTINGS === undefined ? { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' } : process.env;
}

/** Plain guestfish, read-only, with inspection (-i): runs the lines, returns stdout. */
function guestfishRo(image: string, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('guestfish', ['--ro', '--format=vdi', '-a', image, '-i'], { env: tcgEnv() });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`guestfish exited ${code}: ${err}`))));
    c.stdin.end(lines.join('\n') + '\n');
  });
}

/** Size and sha256 of the zip entry whose path ends with `suffix`. */
async function entrySha256(zip: string, suffix: string): Promise<{ bytes: number; sha256: string }> {
  for await (const e of readEntries(zip, 'zip')) {
    if (!e.info.path.endsWith(suffix)) continue;
    const h = createHash('sha256');
    let bytes = 0;
    for await (const chunk of e.open()) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { bytes, sha256: h.digest('hex') };
  }
  throw new Error(`${suffix} not in ${zip}`);
}

function exportKey(hive: string, key: string): { ok: boolean; text: string } {
  const r = spawnSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hive, key], { encoding: 'utf8' });
  return { ok: r.status === 0, text: r.stdout };
}

function leftoverRuns(): string[] {
  const d = join(root, 'state', 'runs');
  return existsSync(d) ? readdirSync(d) : [];
}

before(async () => {
  if (!haveTools) return;
  root = mkdtempSync(join(tmpdir(), 'gp prepare windows (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  [jreX64, jreX86, modern, legacy, modernWin, legacyWin, modernLinux] = await Promise.all([
    // lib/modules above 1 MiB, and not a whole number of MiB: written with direct I/O (direct-copy.ts).
    makeSampleJre(join(root, 'OpenJDK17U-jre_x64_windows.zip'), { version: '17.0.9', os: 'windows', arch: 'x86_64', fillerBytes: 3 * 1024 * 1024 + 17 }),
    makeSampleJre(join(root, 'jre-8u392-windows-i586.zip'), { version: '1.8.0_392', os: 'windows', arch: 'i386' }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip' }),
    makeSampleProactive(root, { generation: 'legacy', kind: 'tar.gz' }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip', scripts: 'windows' }),
    makeSampleProactive(join(root, 'ProActiveScheduling-3.3.2_bin-windows.zip'), { generation: 'legacy', kind: 'zip', scripts: 'windows' }),
    makeSampleProactive(join(root, 'activeeon_enterprise-node-linux-x64-13.0.0-linux-only.zip'), { generation: 'modern', kind: 'zip', scripts: 'linux' }),
  ]);
  assert.match(modernWin, /activeeon_enterprise-node-windows-x64-13\.0\.0\.zip$/);
});

after(() => {
  delete process.env.GUESTPREP_STATE_DIR;
  if (root) rmSync(root, { recursive: true, force: true });
});

const win = (variant: 'win7-x86' | 'win10-x64', name: string, opts: Omit<Parameters<typeof buildSampleWindows>[1], 'variant'> = {}) =>
  buildSampleWindows(join(root, name), { variant, ...opts });

/** Reads back the committed image: the SYSTEM hive and the installed files, with plain guestfish. */
async function readBack(image: string, dir: string) {
  const hive = join(dir, 'SYSTEM');
  const exe = join(dir, 'wrapper.exe');
  const cmd = join(dir, 'start-node.cmd');
  const out = await guestfishRo(image, [
    `download /Windows/System32/config/SYSTEM "${hive}"`,
    `download /ProActive/guestprep/guestprep-service.exe "${exe}"`,
    `download /ProActive/guestprep/start-node.cmd "${cmd}"`,
    'is-file /ProActive/jre/bin/java.exe',
    'is-dir /ProActive/node/logs',
    'is-file /ProActive/guestprep/install.json',
  ]);
  return { hive, exe: readFileSync(exe), cmd: readFileSync(cmd, 'utf8'), checks: out.trim().split('\n') };
}

function serviceValues(cs: string, wantCmdLine = '"%SystemRoot%\\System32\\cmd.exe" /c ""C:\\ProActive\\guestprep\\start-node.cmd""'): Record<string, Record<string, RegistryValue>> {
  return {
    [`${cs}\\Services\\proactive-node`]: {
      Type: { type: 'dword', data: 0x10 },
      Start: { type: 'dword', data: 2 },
      ErrorControl: { type: 'dword', data: 1 },
      ImagePath: { type: 'expand_sz', data: '"C:\\ProActive\\guestprep\\guestprep-service.exe"' },
      DisplayName: { type: 'sz', data: 'ProActive node' },
      ObjectName: { type: 'sz', data: 'LocalSystem' },
    },
    [`${cs}\\Services\\proactive-node\\Parameters`]: {
      CommandLine: { type: 'expand_sz', data: wantCmdLine },
      WorkingDirectory: { type: 'sz', data: 'C:\\ProActive\\node' },
      LogFile: { type: 'sz', data: 'C:\\ProActive\\node\\logs\\guestprep-service.log' },
    },
  };
}

test('win10 x64, 6.2+ Windows-only node: one launch, the service in ControlSet002 only, the files in C:\\ProActive', { skip, timeout: 600_000 }, async () => {
  const image = await win('win10-x64', 'w10');
  const before = sha256(image);
  const trace = join(root, 'w10-commands.txt');
  process.env.GUESTPREP_TRACE_COMMANDS = trace;
  let r: Awaited<ReturnType<typeof prepare>>;
  try {
    // The Windows node distribution: bin\\proactive-node.bat only.
    r = await prepare({ image, jre: jreX64, proactive: modernWin, settings: { rmUrl: 'pnp://rm.example.org', workers: 2 } });
  } finally {
    delete process.env.GUESTPREP_TRACE_COMMANDS;
  }
  // Both archives went in through the appliance's shell (direct writes), not cp -a.
  const commands = readFileSync(trace, 'utf8');
  assert.equal(commands.match(/\tdebug "sh" "echo [A-Za-z0-9+/=]+ \| base64 -d \| sh"$/gm)?.length, 3, 'the probe and one copy per archive');
  assert.doesNotMatch(commands, /\tcp-a /);
  assert.equal(r.launches, 1);
  assert.equal(r.settings.installDir, 'C:\\ProActive');
  assert.equal(r.settings.serviceUser, 'LocalSystem');
  assert.equal(r.settings.nodeName, 'WIN10-NODE');
  assert.ok(r.verification && r.verification.failures.length === 0 && r.verification.checked >= 10, JSON.stringify(r.verification));
  assert.deepEqual(r.steps.map((s) => s.id), ['prepare-install-dir', 'upload-jre', 'upload-proactive', 'create-logs-dir', 'write-start-cmd', 'install-service-wrapper', 'register-service', 'write-install-record']);
  assert.notEqual(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);

  const got = await readBack(image, mkdtempSync(join(root, 'rb10-')));
  assert.deepEqual(got.checks, ['true', 'true', 'true']);
  // The large file, byte for byte as the archive holds it.
  const [size, sum] = (await guestfishRo(image, ['filesize /ProActive/jre/lib/modules', 'checksum sha256 /ProActive/jre/lib/modules'])).trim().split('\n');
  const want = await entrySha256(jreX64, 'lib/modules');
  assert.deepEqual([Number(size), sum], [want.bytes, want.sha256]);
  assert.ok(got.exe.equals(readFileSync(wrapperPath('x64'))), 'the x64 wrapper, byte for byte');
  assert.ok(!/[^\r]\n/.test(got.cmd), 'the .cmd is CRLF');
  assert.ok(got.cmd.includes('\r\nset "JAVA_HOME=C:\\ProActive\\jre"\r\n'));
  assert.ok(got.cmd.includes('\r\ncall "C:\\ProActive\\node\\bin\\proactive-node.bat" -r pnp://rm.example.org:64738 -s Default -n WIN10-NODE -w 2\r\n'));
  for (const [key, values] of Object.entries(serviceValues('ControlSet002'))) {
    const x = exportKey(got.hive, key);
    assert.ok(x.ok, `${key} exported`);
    const k = findRegKey(parseRegText(x.text), `HKEY_LOCAL_MACHINE\\SYSTEM\\${key}`);
    assert.deepEqual(compareRegValues(values, k), [], key);
    if (!key.endsWith('Parameters')) assert.match(String(k!.values.Description.data), /installed by Guestprep/);
  }
  assert.equal(exportKey(got.hive, 'ControlSet001\\Services\\proactive-node').ok, false, 'ControlSet001 (not booted) did not get the service');
  // What the sample had stays: the hostname of the booted control set.
  assert.ok(exportKey(got.hive, 'ControlSet002\\Services\\Tcpip\\Parameters').ok);

  // Again, with another URL and a distribution with both start scripts: inspection finds the install, which
  // is replaced in place (one launch).
  const again = await prepare({ image, jre: jreX64, proactive: modern, settings: { rmUrl: 'pnp://rm2.example.org' } });
  assert.equal(again.launches, 1);
  assert.ok(again.verification && again.verification.failures.length === 0, JSON.stringify(again.verification));
  assert.ok(again.warnings.some((w) => /already had a Guestprep install/.test(w)));
  const got2 = await readBack(image, mkdtempSync(join(root, 'rb10b-')));
  assert.ok(got2.cmd.includes(' -r pnp://rm2.example.org:64738 -s Default -n WIN10-NODE\r\n'));
  const d = findRegKey(parseRegText(exportKey(got2.hive, 'ControlSet002\\Services\\proactive-node').text), 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node');
  assert.match(String(d!.values.Description.data), /rm2\.example\.org/);
});

test('win10 x64 with a warm session: a Linux-only node refused from its facts, then the archives staged in memory and copied with direct writes, no launch, nothing left over', { skip, timeout: 600_000 }, async (t) => {
  const image = await win('win10-x64', 'w10warm');
  const journal = memoryJournal();
  // The session reads the trace setting when it starts: at the inspection.
  const trace = join(root, 'w10warm-commands.txt');
  process.env.GUESTPREP_TRACE_COMMANDS = trace;
  let r: Awaited<ReturnType<typeof prepare>>;
  try {
    const warm = await WarmSession.open(image, { journal, program: 'test' });
    t.after(() => warm.release('test over'));
    // The Linux node distribution does not fit this Windows guest: refused from the session's facts, before
    // the run takes the session, which stays up for the next try.
    await assert.rejects(
      prepare({ image, jre: jreX64, proactive: modernLinux, settings: { rmUrl: 'pnp://rm.example.org' } }, { journal, warm }),
      (e: unknown) => e instanceof GuestprepError && e.code === 'PROACTIVE_NOT_FOUND' &&
        /has bin\/proactive-node but not bin\\proactive-node\.bat, the start script the node needs in this Windows guest/.test(e.message) &&
        /activeeon_enterprise-node-windows-x64-13\.0\.0\.zip/.test(e.fix),
    );
    assert.ok(warm.matches(image), 'the warm session is still there');
    r = await prepare({ image, jre: jreX64, proactive: modern, settings: { rmUrl: 'pnp://rm.example.org' } }, { journal, warm });
  } finally {
    delete process.env.GUESTPREP_TRACE_COMMANDS;
  }
  assert.equal(r.launches, 0);
  assert.ok(r.verification && r.verification.failures.length === 0, JSON.stringify(r.verification));
  const commands = readFileSync(trace, 'utf8');
  assert.equal(commands.match(/\ttar-in "[^"]*" "\/ProActive\/(jre|node)\.guestprep-staging"$/gm)?.length, 2, commands);
  assert.equal(commands.match(/\tdebug "sh" /g)?.length, 5, 'the probe, then a tmpfs and a copy per archive');
  assert.deepEqual(leftoverRuns(), []);
  const [size, sum, ...left] = (await guestfishRo(image, [
    'filesize /ProActive/jre/lib/modules',
    'checksum sha256 /ProActive/jre/lib/modules',
    'is-dir /ProActive/jre.guestprep-staging',
    'is-dir /ProActive/node.guestprep-staging',
    'is-file /ProActive/node/bin/proactive-node.bat',
  ])).trim().split('\n');
  const want = await entrySha256(jreX64, 'lib/modules');
  assert.deepEqual([Number(size), sum], [want.bytes, want.sha256]);
  assert.deepEqual(left, ['false', 'false', 'true'], 'no staging folder left, the node in place');
});

test('win7 x86, 3.x Windows-only node with an x86 JRE and rmi: one launch, the x86 wrapper, ControlSet001', { skip, timeout: 600_000 }, async () => {
  const image = await win('win7-x86', 'w7');
  // bin\\windows\\rm-start-node.bat only.
  const r = await prepare({ image, jre: jreX86, proactive: legacyWin, settings: { rmUrl: 'rmi://rm.example.org:1099' } });
  assert.equal(r.launches, 1);
  assert.ok(r.verification && r.verification.failures.length === 0, JSON.stringify(r.verification));
  const got = await readBack(image, mkdtempSync(join(root, 'rb7-')));
  assert.deepEqual(got.checks, ['true', 'true', 'true']);
  assert.ok(got.exe.equals(readFileSync(wrapperPath('x86'))), 'the x86 wrapper, byte for byte');
  assert.ok(got.cmd.includes('\r\ncd /d "C:\\ProActive\\node\\bin\\windows" || exit /b 1\r\n'));
  assert.ok(got.cmd.includes('\r\ncall "C:\\ProActive\\node\\bin\\windows\\rm-start-node.bat" -r rmi://rm.example.org:1099 -n WIN7-NODE -s Default\r\n'));
  for (const [key, values] of Object.entries(serviceValues('ControlSet001'))) {
    const k = findRegKey(parseRegText(exportKey(got.hive, key).text), `HKEY_LOCAL_MACHINE\\SYSTEM\\${key}`);
    assert.deepEqual(compareRegValues(values, k), [], key);
  }
});

test('a 64-bit JRE on 32-bit Windows 7 is refused before any write; the image is byte-identical', { skip, timeout: 600_000 }, async () => {
  const image = await win('win7-x86', 'w7-arch');
  const before = sha256(image);
  await assert.rejects(
    prepare({ image, jre: jreX64, proactive: legacy, settings: { rmUrl: 'rmi://rm.example.org' } }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'JRE_WRONG_ARCH' && e.step === undefined,
  );
  assert.equal(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);
});

test('a hive that cannot take the service key fails register-service; the image is byte-identical', { skip, timeout: 600_000 }, async () => {
  // Without ControlSet002\Services, hivexregedit --merge cannot create Services\proactive-node (no parent).
  const image = await win('win10-x64', 'w10-broken', {
    extraReg: { system: 'Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services]\r\n' },
  });
  const before = sha256(image);
  await assert.rejects(
    // (Tcpip went with Services, so the guest has no hostname: the node is named explicitly.)
    prepare({ image, jre: jreX64, proactive: modern, settings: { rmUrl: 'pnp://rm.example.org', nodeName: 'broken-node' } }),
    (e: unknown) => e instanceof GuestprepError && e.code === 'STEP_FAILED' && e.step === 'register-service' && /since parent/.test(e.message) && /registry/.test(e.fix),
  );
  assert.equal(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);
});

test('dry run with a Windows-only node: writes the script and the .reg next to it, and changes nothing', { skip, timeout: 600_000 }, async () => {
  const image = await win('win10-x64', 'w10-dry');
  const before = sha256(image);
  const script = join(root, 'out', 'win10.gf');
  const r = await prepare({ image, jre: jreX64, proactive: modernWin, settings: { rmUrl: 'pnp://rm.example.org' }, dryRun: true, scriptPath: script });
  assert.equal(sha256(image), before);
  assert.equal(r.scriptPath, script);
  const text = readFileSync(script, 'utf8');
  const regPath = join(root, 'out', 'win10.service.reg');
  assert.ok(r.stagedFiles?.includes(regPath));
  const reg = readFileSync(regPath, 'utf8');
  assert.ok(reg.startsWith('Windows Registry Editor Version 5.00\r\n'));
  assert.ok(reg.includes('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\proactive-node]\r\n'));
  assert.ok(text.includes(`#   virt-win-reg --merge \\\n#     '${image}' \\\n#     '${regPath}'\n`), 'the manual route, with whole paths');
  assert.match(text, /^! 'hivexregedit' '--merge' '--prefix' 'HKEY_LOCAL_MACHINE\\SYSTEM' '.*win10\.SYSTEM\.hive' '.*win10\.service\.reg'$/m);
  assert.match(text, /tar-in ".*win10\.jre\.tar" "\/ProActive\/jre"/);
});
