// Idempotent and reversible, end to end with real libguestfs on the Linux samples (systemd; Debian
// sysvinit with insserv's .depend files; rc.local only, non-executable, with the install in a folder whose
// parent the guest lacks). For each, from one sample image copied three times:
//   A  prepare                                       B  prepare, prepare (same settings)
//   C  prepare, the node's first boot (simulated: the user and group it creates, a log), retarget
// then A == B (the whole file tree, install.json with its time stamps masked), then remove on all three,
// then base == A == B == C: every path, type, mode, owner, size, link target and content hash, as it was
// before the first run (times aside). Trees are read with one appliance launch per comparison
// (sample/guest-tree.ts: tar-out of each drive).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleGuest, type SampleFile, type SampleFlavour } from '../../sample/sample-guest';
import { makeSampleJre, makeSampleProactive } from '../../sample/archives';
import { diffTrees, readGuestTrees, type GuestTree } from '../../sample/guest-tree';
import { launchAppliance, newLaunchStats } from '../guestfish/launch';
import { GuestprepError } from '../errors';
import { prepare } from './prepare';
import { retarget } from './retarget';
import { remove } from './remove';
import type { SettingsInput } from '../types';

let root: string;
let jre: string;
let modern: string;

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const vdi = (path: string) => ({ path, format: 'vdi' });

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gp reversible (int) '));
  process.env.GUESTPREP_STATE_DIR = join(root, 'state');
  [jre, modern] = await Promise.all([
    makeSampleJre(root, { version: '17.0.9', kind: 'tar.gz' }),
    makeSampleProactive(root, { generation: 'modern', kind: 'zip' }),
  ]);
});

after(() => {
  delete process.env.GUESTPREP_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

function leftoverRuns(): string[] {
  const d = join(root, 'state', 'runs');
  return existsSync(d) ? readdirSync(d) : [];
}

/** install.json without the time stamps of the run that wrote it. */
function masked(tree: GuestTree, path: string): unknown {
  const rec = JSON.parse(tree.get(path)!.content!.toString('utf8'));
  delete rec.installedAt;
  delete rec.updatedAt;
  return rec;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const text = (tree: GuestTree, path: string) => tree.get(path)?.content?.toString('utf8') ?? '';

/**
 * What the node's first boot does to the guest that Guestprep must undo: the service user and its group
 * (systemd-sysusers or the init script's useradd), the logs folder handed to them, a log file.
 */
async function simulateFirstBoot(image: string, installDir: string): Promise<void> {
  const s = await launchAppliance({ drives: [vdi(image)], readonly: false, stats: newLaunchStats() });
  try {
    await s.exec(['mount', '/dev/sda1', '/']);
    await s.exec(['write-append', '/etc/passwd', 'proactive:x:999:999:ProActive node:/opt/proactive:/usr/sbin/nologin\n']);
    await s.exec(['write-append', '/etc/shadow', 'proactive:!*:20000::::::\n']);
    await s.exec(['write-append', '/etc/group', 'proactive:x:999:\n']);
    await s.exec(['write-append', '/etc/gshadow', 'proactive:!*::\n']);
    await s.exec(['chown', '999', '999', `${installDir}/node/logs`]);
    await s.exec(['write', `${installDir}/node/logs/node.log`, 'node started\n']);
    await s.exec(['chown', '999', '999', `${installDir}/node/logs/node.log`]);
    await s.close();
  } finally {
    s.kill();
    await s.waitExit();
  }
}

interface Case {
  flavour: SampleFlavour;
  extraFiles?: Record<string, SampleFile>;
  installDir?: string;
  /** Paths whose text the test reads (to count lines, links and entries). */
  watch: string[];
  check(once: GuestTree, twice: GuestTree): void;
}

const CASES: Case[] = [
  {
    flavour: 'systemd',
    watch: [],
    check(once, twice) {
      for (const t of [once, twice]) {
        const wants = [...t.keys()].filter((p) => p.startsWith('/etc/systemd/system/multi-user.target.wants/'));
        assert.deepEqual(wants, ['/etc/systemd/system/multi-user.target.wants/proactive-node.service'], 'one enable link');
        assert.equal([...t.keys()].filter((p) => /proactive-node.*\.service$/.test(p) && p.startsWith('/etc/systemd/system/') && !p.includes('.wants/')).length, 2, 'one unit and one setup unit');
      }
    },
  },
  {
    flavour: 'sysvinit',
    // Debian sysv-rc booting through insserv's makefiles (the .stop one without a final newline).
    extraFiles: {
      '/etc/init.d/.depend.boot': 'TARGETS = mountall.sh\nINTERACTIVE =\n',
      '/etc/init.d/.depend.start': 'TARGETS = rc.local\nINTERACTIVE =\n',
      '/etc/init.d/.depend.stop': 'TARGETS = halt reboot',
    },
    watch: ['/etc/init.d/.depend.start', '/etc/init.d/.depend.stop'],
    check(once, twice) {
      for (const t of [once, twice]) {
        for (const p of ['/etc/init.d/.depend.start', '/etc/init.d/.depend.stop']) assert.equal(count(text(t, p), /^proactive-node:$/gm), 1, `${p}: one entry`);
        for (const n of [0, 1, 2, 3, 4, 5, 6]) {
          assert.equal([...t.keys()].filter((p) => p.startsWith(`/etc/rc${n}.d/`) && p.endsWith('proactive-node')).length, 1, `one link in rc${n}.d`);
        }
      }
    },
  },
  {
    flavour: 'rclocal',
    // A non-executable rc.local (as RHEL 7 ships it), and an install folder whose parent the guest lacks.
    extraFiles: { '/etc/rc.local': { content: '#!/bin/sh -e\n# the only boot hook here\nexit 0\n# (after exit 0)\n', mode: 0o644 } },
    installDir: '/opt/gp/node1',
    watch: ['/etc/rc.local'],
    check(once, twice) {
      for (const t of [once, twice]) assert.equal(count(text(t, '/etc/rc.local'), /# added by guestprep$/gm), 1, 'one rc.local line');
      assert.equal(once.get('/etc/rc.local')!.mode, 0o755);
    },
  },
];

for (const c of CASES) {
  test(`${c.flavour}: prepared twice == prepared once; prepare+remove, prepare x2+remove and prepare+first boot+retarget+remove leave the tree as it was`, { timeout: 1_800_000 }, async () => {
    const dir = join(root, c.flavour);
    mkdirSync(dir, { recursive: true });
    const base = await buildSampleGuest(dir, { flavour: c.flavour, format: 'vdi', sizeMb: 96, ...(c.extraFiles ? { extraFiles: c.extraFiles } : {}) });
    const [a, b, cc] = ['a', 'b', 'c'].map((n) => {
      const p = join(dir, `${n}.vdi`);
      copyFileSync(base, p);
      return p;
    });
    const baseSha = sha256(base);
    const installDir = c.installDir ?? '/opt/proactive';
    const record = `${installDir}/guestprep/install.json`;
    const settings: SettingsInput = { rmUrl: 'pnp://rm.example.org', workers: 2, ...(c.installDir ? { installDir: c.installDir } : {}) };
    const where = c.installDir ? { installDir: c.installDir } : {};

    // ---- idempotent: B prepared twice equals A prepared once
    const ra = await prepare({ image: a, jre, proactive: modern, settings });
    await prepare({ image: b, jre, proactive: modern, settings });
    const rb = await prepare({ image: b, jre, proactive: modern, settings });
    assert.equal(ra.launches, 1);
    assert.equal(rb.launches, 1);
    assert.ok(rb.warnings.some((w) => /already had a Guestprep install/.test(w)));
    const keep = (p: string) => p === record || c.watch.includes(p);
    const [once, twice] = await readGuestTrees([vdi(a), vdi(b)], { keep });
    assert.deepEqual(diffTrees(once, twice, { ignore: (p) => p === record }), [], 'the same tree, install.json aside');
    assert.deepEqual(masked(twice, record), masked(once, record), 'install.json: the same but for its time stamps');
    const recB = JSON.parse(text(twice, record));
    assert.ok(recB.updatedAt > recB.installedAt, 'the second run keeps the first install time and adds its own');
    c.check(once, twice);

    // ---- C: the first boot, then a retarget (no archive), then the same removal
    await prepare({ image: cc, jre, proactive: modern, settings });
    await simulateFirstBoot(cc, installDir);
    const rt = await retarget({ image: cc, settings: { rmUrl: 'pnps://rm2.example.org', nodeName: 'renamed' }, ...where });
    assert.equal(rt.launches, 1);
    assert.equal(rt.bytesStreamed, 0, 'no archive streamed');
    assert.ok(!rt.steps.some((s) => /upload|prepare-install-dir|logs/.test(s.id)), rt.steps.map((s) => s.id).join());
    assert.equal(rt.verification.failures.length, 0);
    assert.equal(rt.settings.rm.url, 'pnps://rm2.example.org:64739');
    assert.deepEqual([rt.previous.rmUrl, rt.settings.nodeSource, rt.settings.workers], ['pnp://rm.example.org:64738', 'Default', 2], 'what was not given stays');

    // ---- remove all three: one launch each, verified, then every tree is the sample's
    for (const image of [a, b, cc]) {
      const r = await remove({ image, ...where });
      assert.equal(r.launches, 1);
      assert.equal(r.verification.failures.length, 0, JSON.stringify(r.verification));
      assert.deepEqual(r.warnings, []);
      if (image === cc) assert.ok(r.steps.some((s) => s.id === 'remove-service-user'), 'the user the first boot made goes');
    }
    const [t0, ta, tb, tc] = await readGuestTrees([vdi(base), vdi(a), vdi(b), vdi(cc)]);
    assert.deepEqual(diffTrees(t0, ta), [], 'prepare + remove');
    assert.deepEqual(diffTrees(t0, tb), [], 'prepare twice + remove');
    assert.deepEqual(diffTrees(t0, tc), [], 'prepare + first boot + retarget + remove');
    assert.equal(sha256(base), baseSha, 'the sample itself was only read');
    assert.deepEqual(leftoverRuns(), []);
  });
}

test('retarget and remove on an image without a Guestprep install: GUEST_NOT_PREPARED with a fix, the image byte-identical', { timeout: 600_000 }, async () => {
  const dir = join(root, 'plain');
  mkdirSync(dir, { recursive: true });
  const image = await buildSampleGuest(dir, { flavour: 'systemd', format: 'vdi' });
  const before = sha256(image);
  const notPrepared = (e: unknown) => e instanceof GuestprepError && e.code === 'GUEST_NOT_PREPARED' && /guestprep prepare/.test(e.fix) && /--install-dir/.test(e.fix);
  await assert.rejects(retarget({ image, settings: { rmUrl: 'pnp://rm.example.org' } }), notPrepared);
  await assert.rejects(remove({ image }), notPrepared);
  assert.equal(sha256(image), before);
  assert.deepEqual(leftoverRuns(), []);
});
