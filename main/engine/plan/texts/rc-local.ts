// Editing rc.local: one line that starts the node's control script, marked so that Guestprep (and a
// human) can find it again.
//
// The line is `<script> start || true  # added by guestprep`:
// - `|| true` because many rc.local files run under `sh -e`: a failing start must not stop the rest.
// - the marker comment ends the line, so a CRLF file's stray \r lands in the comment, harmlessly.
//
// Where it goes (decisions, each covered by a test):
// - Before the LAST line that is a top-level `exit 0`: the line, with trailing whitespace and \r
//   removed, is `exit 0`, optionally followed by whitespace and a `#` comment (`exit 0 # done` exits as
//   surely as `exit 0`; putting our line after it would mean never running). Bare `exit` counts too.
//   It need not be the file's last line.
// - An INDENTED `exit 0` does not count: indentation means it is inside a block (if/case/function), and
//   a line put before it would only run when that block does.
// - No such line: the line is appended at the end.
// - A marked line already present is replaced in place (first one kept, any others dropped): never two.
// - The file's line ending style (LF or CRLF) is kept, and so is a missing final newline.
// - An empty (or blank) rc.local is treated as absent: a fresh script is made.
// removeRcLocalLine undoes insertRcLocalLine exactly for any non-blank text without the marker.

export const RC_LOCAL_MARKER = '# added by guestprep';

/** The line for a control script path (paths are validated to plain characters, so no quoting is needed). */
export function rcLocalLine(controlScript: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(controlScript)) throw new Error(`unexpected control script path ${JSON.stringify(controlScript)}`);
  return `${controlScript} start || true  ${RC_LOCAL_MARKER}`;
}

/** A new rc.local for guests that have none. `-e` as Debian's default one, harmless thanks to `|| true`. */
export function newRcLocalText(line: string): string {
  return `#!/bin/sh -e\n#\n# rc.local: run at the end of each multi-user boot. Created by Guestprep.\n${line}\nexit 0\n`;
}

/** A line and its terminator as found: '\n', '\r\n', or '' for a last line without one. */
interface Line {
  body: string;
  term: string;
}

function parse(text: string): Line[] {
  const out: Line[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      out.push({ body: text.slice(pos), term: '' });
      break;
    }
    const crlf = nl > pos && text[nl - 1] === '\r';
    out.push({ body: text.slice(pos, crlf ? nl - 1 : nl), term: crlf ? '\r\n' : '\n' });
    pos = nl + 1;
  }
  return out;
}

const render = (lines: Line[]) => lines.map((l) => l.body + l.term).join('');

const isMarked = (l: Line) => l.body.trimEnd().endsWith(RC_LOCAL_MARKER);
const isTopLevelExit = (l: Line) => /^exit(?:[ \t]+0)?(?:[ \t]+#.*)?$/.test(l.body.replace(/[ \t\r]+$/, ''));

export function insertRcLocalLine(text: string, line: string): string {
  if (text.trim() === '') return newRcLocalText(line);
  const lines = parse(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';

  const marked = lines.flatMap((l, i) => (isMarked(l) ? [i] : []));
  if (marked.length > 0) {
    lines[marked[0]] = { body: line, term: lines[marked[0]].term };
    for (const i of marked.slice(1).reverse()) dropLine(lines, i);
    return render(lines);
  }

  let exitAt = -1;
  lines.forEach((l, i) => { if (isTopLevelExit(l)) exitAt = i; });
  if (exitAt >= 0) {
    lines.splice(exitAt, 0, { body: line, term: eol });
    return render(lines);
  }
  // Append. When the text had no final newline, the new line does not get one either, so that
  // removeRcLocalLine can restore the text exactly.
  const last = lines[lines.length - 1];
  if (last.term === '') {
    last.term = eol;
    lines.push({ body: line, term: '' });
  } else {
    lines.push({ body: line, term: eol });
  }
  return render(lines);
}

/** Removes a line; if it was the last one and had no terminator, the new last line loses its own. */
function dropLine(lines: Line[], i: number): void {
  const [gone] = lines.splice(i, 1);
  if (i === lines.length && gone.term === '' && lines.length > 0) lines[lines.length - 1].term = '';
}

export function removeRcLocalLine(text: string): string {
  const lines = parse(text);
  for (let i = lines.length - 1; i >= 0; i--) if (isMarked(lines[i])) dropLine(lines, i);
  return render(lines);
}
