import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GuestprepError } from '../errors';
import type { ErrorCode } from '../errors';
import { checkWritable, createOverlay, progressParser, qemuImgFailure, qemuImgInfo, runQemuImg } from './qemu-img';
import { hasCommand, isRoot, makeImage, makeTempDir, removeTempDir } from './testing';

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: ErrorCode, message?: RegExp, fix?: RegExp): Promise<GuestprepError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GuestprepError, `expected ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  if (fix) assert.match(caught.fix, fix);
  return caught;
}

let dir: string;
before(() => {
  dir = makeTempDir();
});
after(() => removeTempDir(dir));

describe('progressParser', () => {
  it('reports each new percentage once, in order, across split chunks', () => {
    const seen: number[] = [];
    const feed = progressParser((p) => seen.push(p));
    for (const chunk of ['    (0.00/100%)\r', '    (0.00/100%)\r    (3.1', '2/100%)\r    (6.25/100%)\r', '(6.25/100%)\r', '    (100.00/100%)\r', 'Image committed.\n']) {
      feed(chunk);
    }
    assert.deepEqual(seen, [0, 3.12, 6.25, 100]);
  });

  it('ignores text that only looks similar', () => {
    const seen: number[] = [];
    const feed = progressParser((p) => seen.push(p));
    feed('(12/50%) (abc/100%) 7/100%');
    assert.deepEqual(seen, []);
  });
});

describe('runQemuImg', () => {
  it('says how to install qemu-img when it is missing', async () => {
    const saved = process.env.GUESTPREP_QEMU_IMG;
    process.env.GUESTPREP_QEMU_IMG = path.join(dir, 'no-such-qemu-img');
    try {
      await rejectsWith(runQemuImg(['--version']), 'QEMU_IMG_MISSING', /not installed/, /apt install qemu-utils/);
    } finally {
      if (saved === undefined) delete process.env.GUESTPREP_QEMU_IMG;
      else process.env.GUESTPREP_QEMU_IMG = saved;
    }
  });

  it('runs the real one', async () => {
    const r = await runQemuImg(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /qemu-img version/);
  });
});

describe('qemuImgInfo', () => {
  it('returns QEMU\'s view of an image', async () => {
    const file = makeImage(dir, 'info.vdi', 'vdi', '64M');
    const info = await qemuImgInfo(file, 'vdi');
    assert.equal(info.format, 'vdi');
    assert.equal(info.virtualSize, 64 << 20);
  });

  it('maps a differencing VDI refused by QEMU to IMAGE_DIFFERENCING_VDI', async () => {
    const file = makeImage(dir, 'diff.vdi', 'vdi', '64M');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(16, 0x42), 0, 16, 0x1a8);
    fs.closeSync(fd);
    await rejectsWith(qemuImgInfo(file, 'vdi'), 'IMAGE_DIFFERENCING_VDI', /differencing/, /VBoxManage clonemedium/);
  });

  it('reports a file qemu-img cannot open as that format', async () => {
    const file = path.join(dir, 'notvdi.img');
    fs.writeFileSync(file, Buffer.alloc(4096));
    await rejectsWith(qemuImgInfo(file, 'vdi'), 'IMAGE_UNREADABLE', /cannot open .* as vdi/, /qemu-img check/);
  });
});

describe('qemuImgFailure', () => {
  const locked = `qemu-img: Could not open '/vm/disk.vdi': Failed to get shared "write" lock\nIs another process using the image [/vm/disk.vdi]?\n`;

  it('recognises QEMU\'s lock error and tells the user to power off the VM', () => {
    const e = assert.throws(() => qemuImgFailure('/vm/disk.vdi', 'vdi', locked, 'info'), (err: unknown) => {
      assert.ok(err instanceof GuestprepError);
      assert.equal(err.code, 'IMAGE_LOCKED');
      assert.match(err.message, /another program \(a running VM\?\) has it open/);
      assert.match(err.fix, /Power off the virtual machine/);
      assert.match(err.detail ?? '', /Failed to get shared "write" lock/);
      return true;
    });
    void e;
  });

  it('recognises the exclusive lock error of commit too, and says nothing was committed', () => {
    assert.throws(
      () => qemuImgFailure('/vm/disk.vdi', 'qcow2', `qemu-img: Could not open 'o.qcow2': Failed to get "write" lock\n`, 'commit'),
      (err: unknown) => err instanceof GuestprepError && err.code === 'IMAGE_LOCKED' && /Nothing was committed/.test(err.message),
    );
  });

  it('makes other commit failures COMMIT_FAILED and warns the image may be partly written', () => {
    assert.throws(
      () => qemuImgFailure('/vm/disk.vdi', 'qcow2', 'qemu-img: Block job failed: No space left on device\n', 'commit'),
      (err: unknown) => err instanceof GuestprepError && err.code === 'COMMIT_FAILED' && /partly written/.test(err.message) && /No space left/.test(err.message),
    );
  });

  it('makes overlay failures a failed create-overlay step', () => {
    assert.throws(
      () => qemuImgFailure('/vm/disk.vdi', 'vdi', "qemu-img: /tmp/x/o.qcow2: Could not create '/tmp/x/o.qcow2': No such file or directory\n", 'create-overlay'),
      (err: unknown) => err instanceof GuestprepError && err.code === 'STEP_FAILED' && err.step === 'create-overlay',
    );
  });
});

describe('createOverlay', () => {
  it('refuses to overwrite an existing file', async () => {
    const img = makeImage(dir, 'ov-base.vdi', 'vdi', '8M');
    const existing = path.join(dir, 'existing.qcow2');
    fs.writeFileSync(existing, 'precious');
    await rejectsWith(createOverlay(img, 'vdi', existing), 'INTERNAL', /already exists/);
    assert.equal(fs.readFileSync(existing, 'utf8'), 'precious');
  });

  it('creates a qcow2 overlay whose backing file is the image\'s absolute path', async () => {
    const img = makeImage(dir, 'ov-base2.vdi', 'vdi', '8M');
    const overlay = path.join(dir, 'ov2.qcow2');
    const rel = path.relative(process.cwd(), img);
    await createOverlay(rel, 'vdi', overlay);
    const info = JSON.parse(spawnSync('qemu-img', ['info', '--output=json', '-U', overlay], { encoding: 'utf8' }).stdout);
    assert.equal(info.format, 'qcow2');
    assert.equal(info['backing-filename'], fs.realpathSync(img));
    assert.equal(info['backing-filename-format'], 'vdi');
  });
});

describe('checkWritable', () => {
  it('accepts a writable file in a writable folder', async () => {
    const file = makeImage(dir, 'rw.vdi', 'vdi', '8M');
    await checkWritable(file);
  });

  it('refuses a file without write permission (as root: because no write bit is set at all)', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'ro-'));
    const file = makeImage(sub, 'ro.vdi', 'vdi', '8M');
    fs.chmodSync(file, 0o444);
    await rejectsWith(checkWritable(file), 'IMAGE_READ_ONLY', isRoot() ? /marked read-only/ : /permission denied/, /chmod u\+w/);
  });

  it('refuses a folder without write permission', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'rodir-'));
    const file = makeImage(sub, 'in-ro-dir.vdi', 'vdi', '8M');
    fs.chmodSync(sub, 0o555);
    try {
      await rejectsWith(checkWritable(file), 'IMAGE_READ_ONLY', /folder that holds the image/);
    } finally {
      fs.chmodSync(sub, 0o755);
    }
  });

  it('refuses an immutable file, which even root cannot write', async (t) => {
    const sub = fs.mkdtempSync(path.join(dir, 'imm-'));
    const file = makeImage(sub, 'immutable.vdi', 'vdi', '8M');
    if (!isRoot() || !hasCommand('chattr') || spawnSync('chattr', ['+i', file]).status !== 0) {
      return t.skip('needs root and a file system with the immutable attribute');
    }
    try {
      await rejectsWith(checkWritable(file), 'IMAGE_READ_ONLY', /immutable/, /chattr -i/);
    } finally {
      spawnSync('chattr', ['-i', file]);
    }
  });

  it('refuses a missing file as not found', async () => {
    await rejectsWith(checkWritable(path.join(dir, 'gone.vdi')), 'IMAGE_NOT_FOUND');
  });
});
