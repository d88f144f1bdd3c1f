import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { executeSteps } from './executor';
import { GuestprepError } from '../errors';
import type { GuestfishSession } from '../guestfish/session';
import type { PlanStep, UploadRef } from '../types';

/** A session that records the lines it is sent and answers ok (no appliance needed). */
function fakeSession(onLine: (line: string) => void = () => undefined): GuestfishSession {
  return { execRaw: async (line: string) => { onLine(line); return { ok: true, output: '' }; } } as unknown as GuestfishSession;
}

const noUpload = { openUpload: () => Readable.from([]) };
const content = (text: string): UploadRef => ({ id: 'service-reg', kind: 'content', source: '', bytes: 0, content: text, fileName: 'service.reg' });
const scratch: UploadRef = { id: 'system-hive', kind: 'scratch', source: '', bytes: 0, fileName: 'SYSTEM.hive' };

test('content refs are written before the command, scratch refs keep one path per id, local commands run on the host', async () => {
  const lines: string[] = [];
  let copied = '';
  const steps: PlanStep[] = [{
    id: 'register-service',
    title: 'Register',
    commands: [
      { argv: ['download', '/Windows/System32/config/SYSTEM', { upload: scratch }] },
      // A host program that copies the generated text into the scratch file: both paths resolved, no shell.
      { local: true, argv: ['cp', { upload: content('merged\r\n') }, { upload: scratch }] },
      { argv: ['upload', { upload: scratch }, '/Windows/System32/config/SYSTEM'] },
    ],
  }];
  const session = fakeSession((l) => {
    lines.push(l);
    const m = /^upload "([^"]+)"/.exec(l);
    if (m) copied = readFileSync(m[1], 'utf8');
  });
  const timings = await executeSteps(session, steps, noUpload);
  assert.equal(timings.length, 1);
  assert.equal(lines.length, 2, 'the local command never reaches guestfish');
  const downloaded = /^download "\/Windows\/System32\/config\/SYSTEM" "([^"]+)"$/.exec(lines[0])![1];
  assert.ok(lines[1].startsWith(`upload "${downloaded}" `), 'the same scratch file for the same id');
  assert.equal(copied, 'merged\r\n');
});

test('a host program that fails fails the step, with its stderr in the details', async () => {
  const steps: PlanStep[] = [{ id: 'register-service', title: 'Register the service', commands: [{ local: true, argv: ['sh', '-c', 'echo "cannot create key" >&2; exit 3'] }] }];
  await assert.rejects(executeSteps(fakeSession(), steps, noUpload), (e: unknown) =>
    e instanceof GuestprepError && e.code === 'STEP_FAILED' && e.step === 'register-service' && /exited with code 3: cannot create key/.test(e.message) && /cannot create key/.test(e.detail ?? ''));
  const missing: PlanStep[] = [{ id: 'x', title: 'X', commands: [{ local: true, argv: ['guestprep-no-such-program-here'] }] }];
  await assert.rejects(executeSteps(fakeSession(), missing, noUpload), (e: unknown) => e instanceof GuestprepError && /could not be started/.test(e.message));
});

test('a sized step that streams nothing (a copy from an archive disk) reports its bytes when it ends', async () => {
  const events: unknown[] = [];
  const steps: PlanStep[] = [
    { id: 'upload-jre', title: 'JRE', bytes: 4096, commands: [{ argv: ['cp-a', '/opt/p/jre.guestprep-staging/.', '/opt/p/jre'] }] },
    { id: 'write-launcher', title: 'Launcher', commands: [{ argv: ['mkdir-p', '/opt/p/bin'] }] },
  ];
  const timings = await executeSteps(fakeSession(), steps, { ...noUpload, onEvent: (e) => events.push(e) });
  assert.deepEqual(timings.map((t) => t.bytes), [4096, undefined]);
  assert.deepEqual(events.filter((e) => (e as { type: string }).type === 'bytes'), [{ type: 'bytes', stepId: 'upload-jre', sent: 4096, total: 4096 }]);
});
