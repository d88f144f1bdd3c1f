import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { diffTrees, parseTreeTar } from './guest-tree';

/** A tar like `tar-out / numericowner:true` makes: ./-relative names, numeric owners, any mtime. */
async function tarOf(path: string, mtime: Date, text: string, linkTarget = 'passwd'): Promise<string> {
  const pack = tar.pack();
  const out = pipeline(pack, createWriteStream(path));
  pack.entry({ name: './', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
  pack.entry({ name: './etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
  pack.entry({ name: './etc/passwd', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime }, text);
  pack.entry({ name: './etc/link', type: 'symlink', linkname: linkTarget, mode: 0o777, uid: 0, gid: 0, mtime });
  pack.finalize();
  await out;
  return path;
}

test('a tree from tar-out: type, mode, owner, size, link target and content hash per path; times left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-tree-'));
  try {
    const a = await parseTreeTar(await tarOf(join(dir, 'a.tar'), new Date(1e12), 'root:x:0:0\n'), (p) => p === '/etc/passwd');
    const b = await parseTreeTar(await tarOf(join(dir, 'b.tar'), new Date(2e12), 'root:x:0:0\n'));
    assert.deepEqual([...a.keys()].sort(), ['/', '/etc', '/etc/link', '/etc/passwd']);
    assert.deepEqual({ ...a.get('/etc/passwd'), sha256: undefined, content: undefined }, { type: 'file', mode: 0o644, uid: 0, gid: 0, size: 11, sha256: undefined, content: undefined });
    assert.equal(a.get('/etc/passwd')!.content!.toString(), 'root:x:0:0\n');
    assert.equal(a.get('/etc/link')!.target, 'passwd');
    assert.deepEqual(diffTrees(a, b), [], 'only the mtimes differ');
    const c = await parseTreeTar(await tarOf(join(dir, 'c.tar'), new Date(1e12), 'root:x:0:1\n', 'shadow'));
    const d = diffTrees(a, c);
    assert.equal(d.length, 2);
    assert.match(d.join('\n'), /^~ \/etc\/link: symlink 0777 0:0 -> passwd => symlink 0777 0:0 -> shadow$/m);
    assert.match(d.join('\n'), /^~ \/etc\/passwd: /m);
    assert.deepEqual(diffTrees(a, c, { ignore: (p) => p.startsWith('/etc/') }), []);
    c.delete('/etc/link');
    assert.match(diffTrees(a, c, { ignore: (p) => p === '/etc/passwd' }).join(), /^- \/etc\/link/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
