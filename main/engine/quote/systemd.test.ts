import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { systemdExecArg, systemdExecLine, systemdValue, unitTableField } from './systemd';
import { NASTY_STRINGS, systemdExecSplit, systemdSplit, systemdValueUnescape, unitTableSplit } from './roundtrip';
import { GuestprepError } from '../errors';

function refused(fn: () => unknown, field: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GuestprepError);
    assert.equal(e.code, 'SETTING_INVALID');
    assert.ok(e.message.includes(field), `message names the field: ${e.message}`);
    return true;
  });
}

const hasLineBreakOrControl = (s: string) => /[\u0000-\u0008\u000a-\u001f\u007f]/.test(s);

test('systemdExecArg: exact forms', () => {
  assert.equal(systemdExecArg('/opt/proactive/guestprep/start-node.sh', 'ExecStart'), '/opt/proactive/guestprep/start-node.sh');
  assert.equal(systemdExecArg('a b', 'ExecStart'), '"a b"');
  assert.equal(systemdExecArg('100%', 'ExecStart'), '"100%%"');
  assert.equal(systemdExecArg('$HOME', 'ExecStart'), '"$$HOME"');
  assert.equal(systemdExecArg('say "hi" \\', 'ExecStart'), '"say \\"hi\\" \\\\"');
  assert.equal(systemdExecArg('a\tb', 'ExecStart'), '"a\\tb"');
  assert.equal(systemdExecArg('', 'ExecStart'), '""');
});

test('systemdExecLine round-trips every expressible nasty string', () => {
  for (const s of NASTY_STRINGS) {
    if (hasLineBreakOrControl(s) || s === ';') continue;
    const line = systemdExecLine(['/usr/bin/x', s, 'tail'], 'ExecStart');
    assert.deepEqual(systemdExecSplit(line), ['/usr/bin/x', s, 'tail'], JSON.stringify(s));
  }
});

test('systemdExecArg round-trips (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
      fc.pre(!hasLineBreakOrControl(s) && s !== ';');
      assert.deepEqual(systemdExecSplit(`/bin/x ${systemdExecArg(s, 'ExecStart')}`), ['/bin/x', s]);
    }),
  );
});

test('systemdExecArg refuses what cannot be expressed, naming the field', () => {
  refused(() => systemdExecArg('a\nb', 'ExecStart'), 'ExecStart');
  refused(() => systemdExecArg('a\rb', 'ExecStart'), 'ExecStart');
  refused(() => systemdExecArg('a\0b', 'ExecStart'), 'ExecStart');
  refused(() => systemdExecArg(';', 'ExecStart'), 'ExecStart');
  refused(() => systemdExecLine(['start-node.sh'], 'ExecStart'), 'ExecStart');
  refused(() => systemdExecLine([], 'ExecStart'), 'ExecStart');
});

test('systemdValue doubles % and refuses line breaks, NUL, edges', () => {
  assert.equal(systemdValue('ProActive node 100%', 'Description'), 'ProActive node 100%%');
  assert.equal(systemdValueUnescape(systemdValue('a%b%%c', 'Description')), 'a%b%%c');
  refused(() => systemdValue('two\nlines', 'Description'), 'Description');
  refused(() => systemdValue('x\0', 'User'), 'User');
  refused(() => systemdValue(' lead', 'Description'), 'Description');
  refused(() => systemdValue('continued\\', 'Description'), 'Description');
  refused(() => systemdValue('', 'User'), 'User');
});

test('unitTableField: bare, quoted, %-escaped; round-trips', () => {
  assert.equal(unitTableField('/opt/proactive/node/logs', 'path'), '/opt/proactive/node/logs');
  assert.equal(unitTableField('ProActive node', 'GECOS'), '"ProActive node"');
  assert.equal(unitTableField('50%', 'GECOS'), '"50%%"');
  const fields = ['u', unitTableField('proactive', 'name'), '-', unitTableField("Pro'Active node 100%", 'GECOS'), unitTableField('/opt/x y', 'home')];
  assert.deepEqual(unitTableSplit(fields.join(' ')), ['u', 'proactive', '-', "Pro'Active node 100%", '/opt/x y']);
  for (const s of NASTY_STRINGS) {
    if (s === '' || s === '-' || /[\\"]/.test(s) || /[\u0000-\u001f\u007f]/.test(s)) continue;
    assert.deepEqual(unitTableSplit(`d ${unitTableField(s, 'path')} 0750`), ['d', s, '0750'], JSON.stringify(s));
  }
});

test('unitTableField refuses what these tables cannot carry', () => {
  for (const bad of ['', '-', 'a\nb', 'tab\there', 'back\\slash', 'q"uote', 'nul\0']) refused(() => unitTableField(bad, 'the GECOS field'), 'the GECOS field');
});

test('systemdSplit follows systemd C escapes and quotes', () => {
  assert.deepEqual(systemdSplit(`a "b c" 'd e' f\\sg "\\x41\\101\\u00e9"`), ['a', 'b c', 'd e', 'f g', 'AAé']);
  assert.throws(() => systemdSplit('"open'));
  assert.throws(() => systemdExecSplit('/bin/x $HOME'));
  assert.throws(() => systemdExecSplit('/bin/x %n'));
});
