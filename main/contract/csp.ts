// The Content-Security-Policy of the page, for the two ways it is shown, from this one place:
//   - 'electron': the desktop window loads the built page from file:// and talks to the backend over IPC, so
//     it needs no network source at all (connect-src 'none');
//   - 'served': `guestprep serve` sends the same page over http://127.0.0.1:PORT and the page talks to it
//     through the WebSocket at ws://127.0.0.1:PORT/api, and nothing else.
// Neither page uses images, fonts or blobs from anywhere (downloads are blob: links, which CSP does not
// govern), so no data: or blob: source is allowed.
//
// The page carries its policy twice: as a <meta> (the renderer build writes the Electron one into
// index.html, since file:// responses may carry no header; the bridge rewrites it when it serves the page),
// and as a header (Electron's session, the bridge). Both come from `cspPolicy`, so they cannot drift apart.
//
// Node-free and dependency-free: the renderer's Vite config imports it at build time.

export type CspMode = 'electron' | 'served';

/** Directive name and its sources, in the order they are written. */
export type CspDirectives = ReadonlyArray<readonly [string, string]>;

/** The policy for a mode; `port` is the bridge's (served mode only). */
export function cspPolicy(mode: CspMode, port?: number): CspDirectives {
  let connect: string;
  if (mode === 'electron') connect = "'none'";
  else {
    if (!Number.isInteger(port) || port! < 1 || port! > 65535) throw new Error(`the served page's CSP needs the bridge's port, not ${String(port)}`);
    connect = `ws://127.0.0.1:${port}`;
  }
  return [
    ['default-src', "'self'"],
    ['script-src', "'self'"],
    ['style-src', "'self'"],
    ['img-src', "'self'"],
    ['connect-src', connect],
    ['object-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
}

function join(d: CspDirectives): string {
  return d.map(([name, value]) => `${name} ${value}`).join('; ');
}

/** The Content-Security-Policy header value. */
export function cspHeaderValue(mode: CspMode, port?: number): string {
  return join(cspPolicy(mode, port));
}

/**
 * The content of the page's <meta>. `frame-ancestors` is left out: browsers ignore it (with a console
 * warning) in a <meta>; it only works as a header, which carries it.
 */
export function cspMetaContent(mode: CspMode, port?: number): string {
  return join(cspPolicy(mode, port).filter(([name]) => name !== 'frame-ancestors'));
}

export function cspMetaTag(mode: CspMode, port?: number): string {
  return `<meta http-equiv="Content-Security-Policy" content="${cspMetaContent(mode, port)}">`;
}

/** Every CSP <meta> of a page (any attribute order and quoting). */
export const CSP_META_PATTERN = /<meta\b[^>]*\bhttp-equiv\s*=\s*["']?Content-Security-Policy["']?[^>]*>/gi;

/** The policies of the page's CSP <meta> elements, in order. */
export function cspMetaContents(html: string): string[] {
  return [...html.matchAll(CSP_META_PATTERN)].map((m) => /\bcontent\s*=\s*"([^"]*)"/i.exec(m[0])?.[1] ?? /\bcontent\s*=\s*'([^']*)'/i.exec(m[0])?.[1] ?? '');
}

/**
 * The page with exactly one CSP <meta>, for `mode`: an existing one is replaced, else it is put at the top of
 * <head> (a <meta> policy governs only what comes after it).
 */
export function withCspMeta(html: string, mode: CspMode, port?: number): string {
  const tag = cspMetaTag(mode, port);
  let replaced = false;
  const out = html.replace(CSP_META_PATTERN, () => {
    if (replaced) return '';
    replaced = true;
    return tag;
  });
  if (replaced) return out;
  // After <meta charset> (which must come first), before anything the page loads; a page without <head>
  // gets it after its doctype (the parser opens the head there anyway).
  const anchor = /<meta\s+charset\s*=[^>]*>/i.exec(out) ?? /<head\b[^>]*>/i.exec(out) ?? /^\s*<!doctype[^>]*>/i.exec(out);
  const at = anchor ? anchor.index + anchor[0].length : 0;
  return `${out.slice(0, at)}\n    ${tag}${out.slice(at)}`;
}
