// Reads, in the run's session, what a removal plan asked for (plan/remove.ts removalQueries): the kind of
// each path the install record names, the entries of the directories it created, and the exact text, mode
// and owner of the files it must edit. Read-only; pipelined like the rest of the inspection.

import type { GuestfishSession } from '../guestfish/session';
import type { RemovalQueries, RemovalState, PathKind } from '../plan/remove';
import { parseStat } from '../execute/verify';
import { readText, statOf } from './guest';

const S_IFMT = 0o170000;

function kindOf(mode: number): PathKind {
  switch (mode & S_IFMT) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

export async function readRemovalState(s: GuestfishSession, q: RemovalQueries): Promise<RemovalState> {
  const stats = await Promise.all(q.stat.map((p) => s.exec(['lstatns', p], { tolerate: true })));
  const kinds: RemovalState['kinds'] = {};
  q.stat.forEach((p, i) => {
    const st = stats[i].ok ? parseStat(stats[i].output) : undefined;
    kinds[p] = st ? kindOf(st.mode) : 'absent';
  });
  const entries: RemovalState['entries'] = {};
  const listed = await Promise.all(q.list.map((d) => s.exec(['ls', d], { tolerate: true })));
  q.list.forEach((d, i) => {
    if (listed[i].ok) entries[d] = listed[i].output.split('\n').filter((l) => l !== '');
  });
  const texts: RemovalState['texts'] = {};
  // Pipelined too: each file is checked (a regular file, not a link), then stat'ed and downloaded.
  const read = await Promise.all(
    q.read.map(async (p) => {
      const st = await s.exec(['lstatns', p], { tolerate: true });
      const parsed = st.ok ? parseStat(st.output) : undefined;
      if (!parsed || kindOf(parsed.mode) !== 'file') return undefined;
      const [stat, text] = await Promise.all([statOf(s, p), readText(s, p)]);
      return stat ? { p, stat, text } : undefined;
    }),
  );
  for (const r of read) if (r) texts[r.p] = { text: r.text, stat: r.stat };
  return { kinds, entries, texts };
}
