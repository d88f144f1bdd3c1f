// Live, keystroke-level check of the Resource Manager URL. The backend ('settings.validate') stays the
// authority; this only mirrors its rules closely enough to answer while the user types, without a
// round trip, and to give the hint that matters for each protocol.

export type RmProtocol = 'pnp' | 'pnps' | 'pamr' | 'rmi';

export interface RmUrlCheck {
  ok: boolean;
  protocol?: RmProtocol;
  message?: string;
  fix?: string;
}

const FIX = 'use pnp://HOST:64738 (or pamr://0 with the router host for VMs behind NAT)';

export const PROTOCOL_HINTS: Record<RmProtocol, string> = {
  pnp: 'pnp (port 64738): the Resource Manager must be able to connect back to the node, so the VM needs an address the RM can reach (bridged network, not NAT).',
  pnps: 'pnps (port 64739): pnp over TLS; like pnp, the Resource Manager must reach the node back.',
  pamr: 'pamr: the node only makes outbound connections to a PAMR router, which suits VMs behind NAT. Give the router with the JVM option -Dproactive.pamr.router.address=ROUTER_HOST.',
  rmi: 'rmi (port 1099): Java RMI, the default of ProActive 3.x nodes; the RM must reach the node back.',
};

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function checkHost(host: string): string | undefined {
  if (host === '') return 'the URL has no host';
  if (host.startsWith('[')) return /^\[[0-9A-Fa-f:.]+\]$/.test(host) ? undefined : `${host} is not a valid IPv6 address`;
  if (/^[0-9.]+$/.test(host)) {
    const parts = host.split('.');
    const ipv4 = parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
    return ipv4 ? undefined : `${host} is not a valid IPv4 address`;
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253 || !name.split('.').every((l) => DNS_LABEL.test(l))) return `${host} is not a valid host name`;
  return undefined;
}

export function checkRmUrl(input: string): RmUrlCheck {
  const s = input.trim();
  if (s === '') return { ok: false, message: 'the Resource Manager URL is empty', fix: FIX };
  // The same words as the engine's check (main/engine/settings/rm-url.ts): a pasted line break is not "a space".
  for (const c of s) {
    const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (c === '\n' || c === '\r') return { ok: false, message: `the URL contains a line break (${code})`, fix: 'give the URL on one line' };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(c)) return { ok: false, message: `the URL contains a control character (${code}${c === '\t' ? ', a tab' : ''})`, fix: 'type the URL without control characters' };
    if (c === ' ') return { ok: false, message: 'the URL contains a space', fix: 'remove the space' };
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(s);
  if (!m) return { ok: false, message: `${s} has no protocol`, fix: FIX };
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === 'http' || scheme === 'https') {
    return { ok: false, message: `${s}: that is the web portal, not the Resource Manager URL`, fix: FIX };
  }
  if (scheme !== 'pnp' && scheme !== 'pnps' && scheme !== 'pamr' && scheme !== 'rmi') {
    return { ok: false, message: `unknown protocol "${scheme}"`, fix: `${FIX}; the protocols are pnp, pnps, pamr and rmi` };
  }
  const protocol: RmProtocol = scheme;
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? '' : rest.slice(slash);
  if (protocol === 'pamr') {
    if (!/^[0-9]+$/.test(authority)) {
      return { ok: false, protocol, message: `after pamr:// comes the agent id of the Resource Manager (usually 0), not "${authority}"`, fix: 'use pamr://0 and give the router with -Dproactive.pamr.router.address=ROUTER_HOST' };
    }
    return /[?#]/.test(tail) ? { ok: false, protocol, message: 'a pamr:// URL must not have a query or fragment', fix: 'use pamr://0' } : { ok: true, protocol };
  }
  if (tail !== '' && tail !== '/') return { ok: false, protocol, message: `unexpected "${tail}" after the host`, fix: FIX };
  let host = authority;
  let port: string | undefined;
  const pm = /^(.*):([^:\]]*)$/.exec(authority);
  if (pm && !(authority.startsWith('[') && !authority.includes(']:'))) {
    host = pm[1]!;
    port = pm[2]!;
  }
  const hostError = checkHost(host);
  if (hostError) return { ok: false, protocol, message: hostError, fix: FIX };
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    return { ok: false, protocol, message: `"${port}" is not a valid port (1 to 65535)`, fix: FIX };
  }
  return { ok: true, protocol };
}
