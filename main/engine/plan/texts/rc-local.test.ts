import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { insertRcLocalLine, newRcLocalText, rcLocalLine, removeRcLocalLine, RC_LOCAL_MARKER } from './rc-local';

const LINE = rcLocalLine('/opt/proactive/guestprep/proactive-node');

test('the line and its marker', () => {
  assert.equal(LINE, '/opt/proactive/guestprep/proactive-node start || true  # added by guestprep');
  assert.equal(RC_LOCAL_MARKER, '# added by guestprep');
  assert.throws(() => rcLocalLine('/opt/x y'));
});

const cases: Array<[string, string, string]> = [
  ['Debian default: before the final exit 0',
    '#!/bin/sh -e\n#\n# rc.local\n\nexit 0\n',
    `#!/bin/sh -e\n#\n# rc.local\n\n${LINE}\nexit 0\n`],
  ['exit 0 not on the last line',
    '#!/bin/sh\necho hi\nexit 0\n# end of file\n\n',
    `#!/bin/sh\necho hi\n${LINE}\nexit 0\n# end of file\n\n`],
  ['several exit 0: before the last one',
    '#!/bin/sh\n[ -f /a ] || exit 0\nexit 0\necho unreachable\nexit 0\n',
    `#!/bin/sh\n[ -f /a ] || exit 0\nexit 0\necho unreachable\n${LINE}\nexit 0\n`],
  ['no exit 0: appended',
    '#!/bin/sh\ntouch /var/lock/subsys/local\n',
    `#!/bin/sh\ntouch /var/lock/subsys/local\n${LINE}\n`],
  ['indented exit 0 is inside a block and does not count',
    '#!/bin/sh\nif [ -f /etc/skip ]; then\n  exit 0\nfi\necho go\n',
    `#!/bin/sh\nif [ -f /etc/skip ]; then\n  exit 0\nfi\necho go\n${LINE}\n`],
  ['`exit 0 # comment` and trailing blanks count as a top-level exit',
    '#!/bin/sh\necho go\nexit 0   # all done  \n',
    `#!/bin/sh\necho go\n${LINE}\nexit 0   # all done  \n`],
  ['bare exit counts; exit 1 does not',
    '#!/bin/sh\nexit\nexit 1\n',
    `#!/bin/sh\n${LINE}\nexit\nexit 1\n`],
  ['exit 00 / exit 0; are not "exactly exit 0"',
    '#!/bin/sh\nexit 0; echo x\n',
    `#!/bin/sh\nexit 0; echo x\n${LINE}\n`],
  ['CRLF text keeps CRLF',
    '#!/bin/sh\r\necho hi\r\nexit 0\r\n',
    `#!/bin/sh\r\necho hi\r\n${LINE}\r\nexit 0\r\n`],
  ['CRLF without exit: appended with CRLF',
    '#!/bin/sh\r\necho hi\r\n',
    `#!/bin/sh\r\necho hi\r\n${LINE}\r\n`],
  ['no final newline, exit 0 last',
    '#!/bin/sh\nexit 0',
    `#!/bin/sh\n${LINE}\nexit 0`],
  ['no final newline, no exit',
    '#!/bin/sh\necho hi',
    `#!/bin/sh\necho hi\n${LINE}`],
  ['already present: replaced in place, not duplicated',
    `#!/bin/sh\n/opt/old/guestprep/proactive-node start || true  ${RC_LOCAL_MARKER}\necho after\nexit 0\n`,
    `#!/bin/sh\n${LINE}\necho after\nexit 0\n`],
  ['present twice: the first is replaced, the others dropped',
    `#!/bin/sh\n${LINE}\necho mid\n/x start || true  ${RC_LOCAL_MARKER}\nexit 0\n`,
    `#!/bin/sh\n${LINE}\necho mid\nexit 0\n`],
];

for (const [name, before, after] of cases) {
  test(`insertRcLocalLine: ${name}`, () => {
    assert.equal(insertRcLocalLine(before, LINE), after);
    assert.equal(insertRcLocalLine(after, LINE), after, 'idempotent');
    if (!before.includes(RC_LOCAL_MARKER)) assert.equal(removeRcLocalLine(after), before, 'remove restores the original');
  });
}

test('an empty or blank rc.local is treated as absent', () => {
  assert.equal(insertRcLocalLine('', LINE), newRcLocalText(LINE));
  assert.equal(insertRcLocalLine(' \n\n', LINE), newRcLocalText(LINE));
  const fresh = newRcLocalText(LINE);
  assert.match(fresh, /^#!\/bin\/sh -e\n/);
  assert.ok(fresh.endsWith(`${LINE}\nexit 0\n`));
  assert.equal(removeRcLocalLine('#!/bin/sh\n'), '#!/bin/sh\n');
});

test('properties: one marked line, idempotent, removable exactly', () => {
  const lineArb = fc.oneof(
    fc.constantFrom('exit 0', '  exit 0', 'exit 0 # c', 'exit', 'exit 1', '#!/bin/sh -e', '', 'echo hi', 'fi', 'exit 0\r'),
    fc.string({ maxLength: 12 }).filter((s) => !s.includes('\n') && !s.includes('guestprep')),
  );
  fc.assert(
    fc.property(fc.array(lineArb, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), (ls, eol, finalEol) => {
      const text = ls.join(eol) + (finalEol ? eol : '');
      fc.pre(text.trim() !== '');
      const once = insertRcLocalLine(text, LINE);
      assert.equal(once.split(RC_LOCAL_MARKER).length - 1, 1);
      assert.equal(insertRcLocalLine(once, LINE), once);
      assert.equal(removeRcLocalLine(once), text);
    }),
  );
});

test('a real shell runs the inserted line, even under sh -e and with exit 0 in the middle', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestprep-rclocal-'));
  try {
    const script = path.join(dir, 'ctl');
    const ran = path.join(dir, 'ran');
    fs.writeFileSync(script, `#!/bin/sh\necho "$1" > '${ran}'\nexit 7\n`, { mode: 0o755 });
    const rc = insertRcLocalLine('#!/bin/sh -e\necho before\nexit 0\n# trailing\n', rcLocalLine(script));
    fs.writeFileSync(path.join(dir, 'rc.local'), rc, { mode: 0o755 });
    const r = spawnSync('/bin/sh', ['-e', path.join(dir, 'rc.local')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(ran, 'utf8'), 'start\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
