// The seed procedures the benchmark runs are the seed's own: given the seed's names, the generated scripts
// are the seed's text, except for the deviations the runners document (scratch folder, upload file name,
// the blank line between .reg keys).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedInitScript, seedLinuxScript } from './seed-linux';
import { seedServiceReg, seedStartBat, seedWindowsScript } from './seed-windows';

const SEED_LINUX_SCRIPT = `umask 000
mkdir-p /opt/tools
tgz-in jdk-7u10-linux-i586.gz /opt/tools/
tgz-in ProActiveScheduling-3.3.2_bin.tgz /opt/tools/
mkdir-p /opt/tools/ProActiveScheduling-3.3.2_bin/.logs
chmod 0777 /opt/tools/ProActiveScheduling-3.3.2_bin/.logs
copy-in proactive-node /etc/init.d/
cp /etc/rc.local /etc/rc.local.old
download /etc/rc.local /tmp/rc.local
! head -n -1 /tmp/rc.local > /tmp/rc.local.new
! echo /etc/init.d/proactive-node start >> /tmp/rc.local.new
! echo exit 0 >> /tmp/rc.local.new
upload /tmp/rc.local.new /etc/rc.local
chmod 0775 /etc/init.d/proactive-node
chown 0 0 /etc/init.d/proactive-node
exit
`;

const SEED_WINDOWS_SCRIPT = `mkdir /tools
tgz-in jre1.6.tgz /tools/
tgz-in ProActiveScheduling-3.3.2_bin.tgz /tools/
upload rhsrvany.exe /tools/rhsrvany.exe
upload start-node-with-jre.bat /tools/ProActiveScheduling-3.3.2_bin/bin/windows
exit
`;

test('Linux: with the seed names and /tmp as scratch folder, the script is the seed script, byte for byte', () => {
  const s = seedLinuxScript({
    jreName: 'jdk-7u10-linux-i586.gz', proactiveName: 'ProActiveScheduling-3.3.2_bin.tgz', proactiveTop: 'ProActiveScheduling-3.3.2_bin', scratch: '/tmp',
  });
  assert.equal(s, SEED_LINUX_SCRIPT);
});

test('Linux: names that the unquoted seed script would mangle are refused', () => {
  assert.throws(() => seedLinuxScript({ jreName: 'a b.tgz', proactiveName: 'p.tgz', proactiveTop: 'p', scratch: '/tmp' }));
  assert.throws(() => seedLinuxScript({ jreName: 'a.tgz', proactiveName: 'p.tgz', proactiveTop: 'p', scratch: '/tmp/x y' }));
});

test('Linux: the init script is the seed one, with our JRE folder, node folder and RM URL', () => {
  const s = seedInitScript({ jreTop: 'jdk1.7.0_10', proactiveTop: 'ProActiveScheduling-3.3.2_bin', rmUrl: 'rmi://node0.entreprise.com:1099' });
  assert.ok(s.startsWith('#!/bin/sh\n# chkconfig: 98 02\n'));
  for (const line of [
    'SCRIPT_BASE=/opt/tools/ProActiveScheduling-3.3.2_bin/bin/unix',
    'SCRIPT_LOG_LOCATION=/opt/tools/ProActiveScheduling-3.3.2_bin/.logs/',
    'START_UP_LOG=${SCRIPT_LOG_LOCATION}/startup',
    'export JAVA_HOME=/opt/tools/jdk1.7.0_10',
    'nohup ${SCRIPT_BASE}/rm-start-node -r rmi://node0.entreprise.com:1099 >> ${START_UP_LOG} &',
    'killall -s 9 java>>${SHUT_DOWN_LOG}',
    'echo $"Usage: $0 {start|stop|status|restart|condrestart}"',
    'exit $RETVAL',
  ]) {
    assert.ok(s.split('\n').includes(line), line);
  }
});

test('Windows: the script is the seed script, but the .bat upload names the file (guestfish refuses a folder)', () => {
  const s = seedWindowsScript({ jreName: 'jre1.6.tgz', proactiveName: 'ProActiveScheduling-3.3.2_bin.tgz', proactiveTop: 'ProActiveScheduling-3.3.2_bin' });
  assert.equal(s, SEED_WINDOWS_SCRIPT.replace('/bin/windows\n', '/bin/windows/start-node-with-jre.bat\n'));
});

test('Windows: service.reg holds the seed keys and values, keys separated by a blank line', () => {
  const reg = seedServiceReg({ proactiveTop: 'ProActiveScheduling-3.3.2_bin' });
  assert.equal(reg, [
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\RHSrvAny]',
    '"Type"=dword:00000010',
    '"Start"=dword:00000002',
    '"ErrorControl"=dword:00000001',
    '"ImagePath"="c:\\\\tools\\\\rhsrvany.exe"',
    '"DisplayName"="RHSrvAny"',
    '"ObjectName"="LocalSystem"',
    '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services\\RHSrvAny\\Parameters]',
    '"CommandLine"="c:\\\\tools\\\\ProActiveScheduling-3.3.2_bin\\\\bin\\\\windows\\\\start-node-with-jre.bat"',
    '"PWD"="c:\\\\tools\\\\ProActiveScheduling-3.3.2_bin\\\\bin\\\\windows"',
    '',
  ].join('\n'));
});

test('Windows: the start .bat sets JAVA_HOME to the unpacked JRE and starts the 3.x node', () => {
  assert.equal(seedStartBat({ jreTop: 'jre1.6.0_32', rmUrl: 'rmi://node0.entreprise.com:1099' }),
    'set JAVA_HOME=c:\\tools\\jre1.6.0_32\r\nrm-start-node.bat -r rmi://node0.entreprise.com:1099\r\n');
});
