// IP address syntax without node:net (this folder runs in the page too). Same answers as Node's isIPv4 and
// isIPv6 for what a URL host can hold (zone ids like fe80::1%eth0 are not valid in a URL host anyway).

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(s: string): boolean {
  if (s === '' || /[^0-9A-Fa-f:.]/.test(s)) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  // An embedded IPv4 address (::ffff:1.2.3.4) may only come last and counts as two groups.
  const last = all[all.length - 1];
  let width = all.length;
  if (last !== undefined && last.includes('.')) {
    if (!isIPv4(last)) return false;
    all.pop();
    width += 1;
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? width <= 7 : width === 8;
}
