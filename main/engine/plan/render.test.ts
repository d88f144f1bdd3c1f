import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, type BuildPlanInput } from './build';
import { renderScript, type RenderOptions } from './render';
import { writeFileCommands } from './common';
import { GF_MAX_LINE } from '../quote/guestfish';
import { gfUnquote } from '../quote/roundtrip';
import { guestFacts, jreInfo, modernProactive, nodeSettings, NOW, rcLocalGuest, VERSION } from './test-fixtures';

const input = (over: Partial<BuildPlanInput> = {}): BuildPlanInput => ({
  guest: guestFacts(), settings: nodeSettings({ credentials: { hostPath: '/home/a/rm.cred', bytes: 10 } }), jre: jreInfo(),
  proactive: modernProactive(), guestprepVersion: VERSION, now: NOW, warnings: ['be careful'], ...over,
});
const opts: RenderOptions = { image: '/vms/a b.vdi', format: 'vdi', uploadPath: (r) => `/dry run/${r.id}` };

test('header: how to run it, what it reads, what happens at boot, warnings', () => {
  const text = renderScript(buildPlan(input()), opts);
  const header = text.slice(0, text.indexOf('\n\n'));
  assert.ok(header.split('\n').every((l) => l.startsWith('#')));
  assert.ok(header.includes("#   guestfish --rw --format=vdi -a '/vms/a b.vdi' -i -f THIS_SCRIPT\n"));
  assert.match(header, /LIBGUESTFS_BACKEND_SETTINGS=force_tcg/);
  assert.ok(header.includes('#   /dry run/jre\n') && header.includes('#   /dry run/proactive\n') && header.includes('#   /dry run/credentials\n'));
  assert.match(header, /At the next boot:\n#   - systemd starts proactive-node\.service/);
  assert.match(header, /Warnings:\n#   - be careful/);
});

test('one "# Step n/N: title (id)" comment per step, followed by its commands', () => {
  const plan = buildPlan(input());
  const text = renderScript(plan, opts);
  const stepLines = text.split('\n').filter((l) => l.startsWith('# Step '));
  assert.deepEqual(stepLines, plan.steps.map((s, i) => `# Step ${i + 1}/${plan.steps.length}: ${s.title} (${s.id})`));
});

test('the command lines are exactly the plan, quoted for guestfish, none too long', () => {
  for (const guest of [guestFacts(), rcLocalGuest('#!/bin/sh\n' + 'echo "a very long rc.local line \\$x"\n'.repeat(600) + 'exit 0\n')]) {
    const plan = buildPlan(input({ guest }));
    const lines = renderScript(plan, opts).split('\n');
    for (const l of lines) assert.ok(l.length <= GF_MAX_LINE, `line of ${l.length}`);
    const commands = lines.filter((l) => l !== '' && !l.startsWith('#')).map(gfUnquote);
    const expected = plan.steps.flatMap((s) => s.commands.map((c) => c.argv.map((a) => (typeof a === 'string' ? a : `/dry run/${a.upload.id}`))));
    assert.deepEqual(commands, expected);
  }
});

test('written texts are previewed as comments; comments never carry raw control characters or long lines', () => {
  const plan = buildPlan(input({ guest: rcLocalGuest('#!/bin/sh\r\necho "' + 'x'.repeat(300) + '"\r\nexit 0\r\n') }));
  const text = renderScript(plan, { ...opts, image: '/vms/evil\nrm-rf /\n.vdi' });
  const comments = text.split('\n').filter((l) => l.startsWith('#'));
  assert.ok(comments.includes('# Content of /etc/rc.d/rc.local:'));
  assert.ok(comments.includes('# | #!/bin/sh\\x0d'));
  for (const c of comments) {
    assert.ok(c.length <= 162, c);
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(c), JSON.stringify(c));
  }
  assert.ok(!text.split('\n').includes('rm-rf /'), 'a newline in the image path stays inside its comment');
  assert.match(text, /-a '\/vms\/evil\\x0arm-rf \/\\x0a\.vdi'/);
});

test('writeFileCommands: one write for short texts; write + write-append pieces that rebuild the text', () => {
  assert.deepEqual(writeFileCommands('/f', 'abc\n').map((c) => c.argv), [['write', '/f', 'abc\n']]);
  assert.deepEqual(writeFileCommands('/f', '').map((c) => c.argv), [['write', '/f', '']]);
  for (const text of ['line\n'.repeat(3000), 'é'.repeat(5000), `${'x'.repeat(9000)}\nend`, '"\\'.repeat(4000)]) {
    const cmds = writeFileCommands('/some/file', text);
    assert.ok(cmds.length > 1);
    assert.equal(cmds[0].argv[0], 'write');
    assert.ok(cmds.slice(1).every((c) => c.argv[0] === 'write-append' && c.argv[1] === '/some/file'));
    assert.equal(cmds.map((c) => c.argv[2]).join(''), text);
  }
  // Pieces end at line ends when lines are short.
  const pieces = writeFileCommands('/f', 'line\n'.repeat(3000)).map((c) => c.argv[2] as string);
  assert.ok(pieces.every((p) => p.endsWith('\n')));
});
