import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeAccountLines } from './accounts';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';

test('the lines of a user the first boot appended come out; every other byte stays', () => {
  const after = `${PASSWD}proactive:x:999:999:ProActive node:/opt/proactive:/usr/sbin/nologin\n`;
  assert.equal(removeAccountLines(after, 'proactive'), PASSWD);
  // In the middle too (useradd may sort), and only the exact name: proactive2 and a comment stay.
  const mixed = 'root:x:0:0::/root:/bin/sh\nproactive:x:999:999::/opt:/bin/false\nproactive2:x:998:998::/:/bin/false\n#proactive:x\n';
  assert.equal(removeAccountLines(mixed, 'proactive'), 'root:x:0:0::/root:/bin/sh\nproactive2:x:998:998::/:/bin/false\n#proactive:x\n');
  // A missing final newline stays missing; nothing to remove leaves the text as it is.
  assert.equal(removeAccountLines('root:x:0:0::/root:/bin/sh', 'proactive'), 'root:x:0:0::/root:/bin/sh');
  assert.throws(() => removeAccountLines(PASSWD, '.*'));
});
