import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanStep, UploadRef } from '../types';
import { STAGE_MAX_BYTES, stageInMemory } from './memory-staging';

const jre: UploadRef = { id: 'jre', kind: 'tar', source: '/a/jre.zip', bytes: 45 * 1024 * 1024 };
const huge: UploadRef = { id: 'proactive', kind: 'tar', source: '/a/node.zip', bytes: STAGE_MAX_BYTES + 1 };
const wrapper: UploadRef = { id: 'wrapper', kind: 'file', source: '/a/w.exe', bytes: 30_000 };

/** The script a `debug sh` command carries. */
const script = (argv: readonly unknown[]) => Buffer.from(/^echo (\S+) \| base64 -d \| sh$/.exec(String(argv[2]))![1], 'base64').toString();

test('a tar-in becomes: a tmpfs on a staging folder, the tar-in into it, the copy with direct writes that removes it', () => {
  const steps: PlanStep[] = [
    { id: 'upload-jre', title: 'JRE', bytes: jre.bytes, commands: [{ argv: ['mkdir', '/ProActive/jre'] }, { argv: ['tar-in', { upload: jre }, '/ProActive/jre'] }] },
    { id: 'install-service-wrapper', title: 'wrapper', commands: [{ argv: ['upload', { upload: wrapper }, '/ProActive/guestprep/w.exe'] }] },
  ];
  const [a, b] = stageInMemory(steps, { direct: true });
  assert.equal(a.bytes, jre.bytes, 'the step keeps its size: the tar is still streamed, for the progress');
  assert.deepEqual(a.commands.map((c) => c.argv[0]), ['mkdir', 'debug', 'tar-in', 'debug']);
  assert.deepEqual(a.commands[2].argv, ['tar-in', { upload: jre }, '/ProActive/jre.guestprep-staging']);
  const mount = script(a.commands[1].argv);
  assert.match(mount, /^src=\$root'\/ProActive\/jre\.guestprep-staging'$/m);
  assert.match(mount, /^mount -t tmpfs -o mode=0755 guestprep-staging "\$src"$/m);
  const copy = script(a.commands[3].argv);
  assert.match(copy, /^src=\$root'\/ProActive\/jre\.guestprep-staging'$/m);
  assert.match(copy, /^dst=\$root'\/ProActive\/jre'$/m);
  assert.match(copy, /oflag=direct/);
  assert.doesNotMatch(copy, /squashfs/);
  assert.match(copy, /umount "\$src"\nrmdir "\$src"\n$/);
  assert.equal(b, steps[1], 'a file upload is left as it is');
});

test('an archive too large for the appliance memory, or a folder too long for one line, keeps its plain tar-in', () => {
  const steps: PlanStep[] = [
    { id: 'upload-proactive', title: 'node', commands: [{ argv: ['tar-in', { upload: huge }, '/ProActive/node'] }] },
    { id: 'upload-jre', title: 'JRE', commands: [{ argv: ['tar-in', { upload: jre }, '/' + 'j'.repeat(6000)] }] },
  ];
  const out = stageInMemory(steps, { direct: true });
  assert.equal(out[0], steps[0]);
  assert.equal(out[1], steps[1]);
});
