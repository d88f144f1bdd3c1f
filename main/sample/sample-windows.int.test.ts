// Builds a phony Windows sample for real (hivexregedit + virt-make-fs + MBR stamp) in raw format with
// extra files and extra registry keys, and checks with plain guestfish (not Guestprep's own inspection)
// that libguestfs sees the Windows it claims to be. One appliance launch.
// (The VDI builds of both variants are inspected in main/engine/inspect/windows.int.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSampleWindows, WINDOWS_VARIANTS } from './sample-windows';

function tcgEnv(): NodeJS.ProcessEnv {
  return process.env.LIBGUESTFS_BACKEND_SETTINGS === undefined ? { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' } : process.env;
}

/** Runs guestfish commands separated by markers; returns each command's output. */
function guestfish(image: string, format: string, commands: string[]): Promise<string[]> {
  const script = ['run', ...commands].flatMap((c, i) => [c, `echo @@${i}@@`]).join('\n') + '\n';
  return new Promise((resolve, reject) => {
    const c = spawn('guestfish', ['--ro', `--format=${format}`, '-a', image], { env: tcgEnv() });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`guestfish exited ${code}: ${stderr}`));
      const outs: string[] = [];
      let rest = stdout;
      for (let i = 0; i <= commands.length; i++) {
        const m = `@@${i}@@\n`;
        const at = rest.indexOf(m);
        if (at < 0) return reject(new Error(`missing marker ${i} in ${stdout}`));
        outs.push(rest.slice(0, at).trim());
        rest = rest.slice(at + m.length);
      }
      resolve(outs.slice(1));
    });
    c.stdin.end(script);
  });
}

test('win10-x64 sample (raw, extra files and keys) is inspected as Windows 10 Pro x86_64 on ControlSet002', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp win sample (int) '));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const info = WINDOWS_VARIANTS['win10-x64'];
  const t0 = Date.now();
  const img = await buildSampleWindows(dir, {
    variant: 'win10-x64',
    format: 'raw',
    sizeMb: 48,
    extraFiles: { '/Tools/readme.txt': 'hello\r\n', '/Tools/bin/tool.exe': Buffer.from([0x4d, 0x5a, 0, 0xff]) },
    extraReg: {
      software: 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Guestprep]\n"Marker"="extra"\n',
    },
  });
  t.diagnostic(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(img, path.join(dir, 'VirtualBox VMs', 'Windows 10 (64)', 'Windows 10 (64).raw'));
  assert.equal(fs.statSync(img).size, 48 * 1024 * 1024);
  const mbr = Buffer.alloc(512);
  const fd = fs.openSync(img, 'r');
  fs.readSync(fd, mbr, 0, 512, 0);
  fs.closeSync(fd);
  assert.equal(mbr.readUInt32LE(0x1b8), 0x5be2039f, 'disk signature that MountedDevices names');

  const r = '/dev/sda1';
  const out = await guestfish(img, 'raw', [
    'inspect-os', `inspect-get-type ${r}`, `inspect-get-distro ${r}`, `inspect-get-major-version ${r}`, `inspect-get-minor-version ${r}`,
    `inspect-get-product-name ${r}`, `inspect-get-product-variant ${r}`, `inspect-get-arch ${r}`, `inspect-get-hostname ${r}`,
    `inspect-get-windows-systemroot ${r}`, `inspect-get-windows-current-control-set ${r}`, `inspect-get-drive-mappings ${r}`,
    `vfs-type ${r}`, `mount-ro ${r} /`, 'cat /Tools/readme.txt', 'filesize /Tools/bin/tool.exe',
    'file-architecture /Windows/SysWOW64/cmd.exe',
    // 4128 = 0x1020: emptyHive() puts the root key in the first cell of the first hbin.
    'hivex-open /Windows/System32/config/SOFTWARE', 'hivex-node-get-child 4128 Guestprep',
  ]);
  assert.deepEqual(out.slice(0, 13), [
    r, 'windows', 'windows', String(info.majorVersion), String(info.minorVersion), info.productName, 'Client', 'x86_64', info.hostname,
    '/Windows', 'ControlSet002', `C: ${r}`, 'ntfs',
  ]);
  assert.equal(out[14], 'hello');
  assert.equal(out[15], '4');
  assert.equal(out[16], 'i386', 'the 32-bit cmd.exe in SysWOW64 is there, and System32 still decides the arch');
  assert.notEqual(out[18], '0', 'the extra SOFTWARE key was merged');
});
