import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { isIPv4, isIPv6 } from './ip';

// The page cannot use node:net; these must give Node's answers on the inputs a URL host can hold.
const SAMPLES = [
  '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '0.0.0.0', '999.1.1.1', '1..2.3', '',
  '::', '::1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:db8::zz', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3',
  '::ffff:1.2.3.4', '::ffff:1.2.3', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', ':1', '1:', '12345::', 'fe80::', '::1.2.3.4',
  '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::',
];

test('isIPv4 and isIPv6 agree with node:net', () => {
  for (const s of SAMPLES) {
    assert.equal(isIPv4(s), isIP(s) === 4, `v4 ${s}`);
    assert.equal(isIPv6(s), isIP(s) === 6, `v6 ${s}`);
  }
});
