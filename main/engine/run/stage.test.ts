import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanStep, UploadRef } from '../types';
import { copyFromStage, stageBytes, stageSteps } from './stage';

const jre: UploadRef = { id: 'jre', kind: 'tar', source: '/a/jre.tar.gz', bytes: 100 };
const node: UploadRef = { id: 'proactive', kind: 'tar', source: '/a/node.zip', bytes: 200 };
const creds: UploadRef = { id: 'credentials', kind: 'file', source: '/a/creds', bytes: 10 };

test('the scratch disk gets ext2 and one folder per archive, unpacked by tar-in', () => {
  const [step] = stageSteps('/dev/sdc', [jre, node]);
  assert.equal(step.bytes, 300);
  assert.deepEqual(step.commands.map((c) => c.argv), [
    ['mkfs', 'ext2', '/dev/sdc'],
    ['mount', '/dev/sdc', '/'],
    ['mkdir', '/jre'],
    ['tar-in', { upload: jre }, '/jre'],
    ['mkdir', '/proactive'],
    ['tar-in', { upload: node }, '/proactive'],
    ['umount', '/'],
  ]);
});

test('stage size: the unpacked archives plus room for the filesystem', () => {
  assert.ok(stageBytes([100 * 2 ** 20, 50 * 2 ** 20]) > 150 * 2 ** 20 + 32 * 2 ** 20);
});

test('staged tar-ins become a copy through a folder that exists only while copying; the rest is untouched', () => {
  const steps: PlanStep[] = [
    { id: 'upload-jre', title: 'JRE', commands: [{ argv: ['mkdir', '/opt/p/jre'] }, { argv: ['tar-in', { upload: jre }, '/opt/p/jre'] }, { argv: ['chmod', '0755', '/opt/p/jre'] }] },
    { id: 'creds', title: 'credentials', commands: [{ argv: ['upload', { upload: creds }, '/opt/p/creds'] }] },
    { id: 'upload-proactive', title: 'node', commands: [{ argv: ['tar-in', { upload: node }, '/opt/p/node'] }] },
  ];
  const out = copyFromStage(steps, '/dev/sdc', new Set(['jre']));
  assert.deepEqual(out[0].commands.map((c) => c.argv), [
    ['mkdir', '/opt/p/jre'],
    ['mkdir', '/opt/p/jre.guestprep-staging'],
    ['mount-ro', '/dev/sdc', '/opt/p/jre.guestprep-staging'],
    ['cp-a', '/opt/p/jre.guestprep-staging/jre/.', '/opt/p/jre'],
    ['umount', '/opt/p/jre.guestprep-staging'],
    ['rmdir', '/opt/p/jre.guestprep-staging'],
    ['chmod', '0755', '/opt/p/jre'],
  ]);
  assert.equal(out[1], steps[1], 'a file upload is not staged');
  assert.equal(out[2], steps[2], 'an archive that was not staged keeps its stream');
  assert.equal(out[0].id, 'upload-jre');
});
