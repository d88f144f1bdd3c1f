// The Resource Manager URL a node joins (-r). ProActive accepts:
//   pnp://HOST[:PORT]    the default protocol of 6.2+ nodes (port 64738); the RM must be able to reach
//                        the node back, so it suits VMs on the RM's network.
//   pnps://HOST[:PORT]   pnp over TLS (port 64739).
//   pamr://AGENT_ID      message routing through a PAMR router (outbound connections only: good behind
//                        NAT). The "host" is the agent id of the RM (usually 0); the router itself is
//                        given with JVM properties, its default port is 33647.
//   rmi://HOST[:PORT]    Java RMI, the default of 3.x nodes (port 1099).
// http(s)://HOST:8080 is the web portal: a classic mistake, caught with a specific message.
//
// One rule for the engine (settings/rm-url.ts wraps it) and the page (checked while the user types).

import type { RmProtocol, RmUrl } from '../engine/types';
import { isIPv4, isIPv6 } from './ip';
import { bad, ok, show, type Verdict } from './verdict';

export const DEFAULT_PORTS: Record<RmProtocol, number> = { pnp: 64738, pnps: 64739, pamr: 33647, rmi: 1099 };

export const RM_PROTOCOLS: readonly RmProtocol[] = ['pnp', 'pnps', 'pamr', 'rmi'];

/** What each protocol asks of the network, shown beside the field. */
export const PROTOCOL_HINTS: Record<RmProtocol, string> = {
  pnp: 'pnp (port 64738): the Resource Manager must be able to connect back to the node, so the VM needs an address the RM can reach (bridged network, not NAT).',
  pnps: 'pnps (port 64739): pnp over TLS; like pnp, the Resource Manager must reach the node back.',
  pamr: 'pamr: the node only makes outbound connections to a PAMR router, which suits VMs behind NAT. Give the router with the JVM option -Dproactive.pamr.router.address=ROUTER_HOST.',
  rmi: 'rmi (port 1099): Java RMI, the default of ProActive 3.x nodes; the RM must reach the node back.',
};

const FIX = 'use pnp://HOST:64738 (or pamr://0 with the router host for VMs behind NAT)';

export const PAMR_NOTE =
  'pamr:// connects through a PAMR router: give the router host to the node with ' +
  '--jvm-option -Dproactive.pamr.router.address=ROUTER_HOST (and -Dproactive.pamr.router.port=PORT if it is not 33647).';

type Step<T> = { value: T; problem?: undefined } | { value?: undefined; problem: ReturnType<typeof bad> };
const fine = <T>(value: T): Step<T> => ({ value });
const no = (message: string, fix: string = FIX) => ({ problem: bad(message, fix) });

/** DNS host names: dot-separated labels of letters, digits and inner dashes (an optional final dot is dropped). */
function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function parseHost(raw: string, input: string): Step<string> {
  if (raw === '') return no(`the Resource Manager URL ${show(input)} has no host`);
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']') || !isIPv6(raw.slice(1, -1))) return no(`${show(raw)} is not a valid IPv6 address`, 'write IPv6 addresses in brackets, e.g. pnp://[2001:db8::1]:64738');
    return fine(raw.toLowerCase());
  }
  if (isIPv6(raw)) return no(`the IPv6 address ${raw} must be written in brackets`, `use pnp://[${raw}]:64738`);
  // All-numeric dotted names are IPv4 addresses and must be valid ones (999.1.1.1 is a typo, not a name).
  if (/^[0-9.]+$/.test(raw)) return isIPv4(raw) ? fine(raw) : no(`${show(raw)} is not a valid IPv4 address`);
  const host = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (!isDnsName(host)) return no(`${show(raw)} is not a valid host name`, 'use a DNS name (letters, digits, dashes and dots) or an IP address');
  return fine(host.toLowerCase());
}

/** What a character the URL must not hold is, in words: a line break is not "a space". */
function describeOddCharacter(c: string): { what: string; fix: string } {
  const code = c.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const oneLine = 'type the URL on one line, without control characters';
  if (c === ' ') return { what: 'a space', fix: 'remove the spaces' };
  if (c === '\n' || c === '\r') return { what: `a line break (${hex})`, fix: oneLine };
  if (c === '\t') return { what: `a control character (${hex}, a tab)`, fix: oneLine };
  if (code < 0x20 || code === 0x7f) return { what: `a control character (${hex})`, fix: oneLine };
  return { what: `${show(c)} (${hex}), which is not a plain ASCII character`, fix: 'type the URL in plain ASCII (use the punycode form of international host names)' };
}

export function checkRmUrl(input: string): Verdict<RmUrl> {
  const s = input.trim();
  if (s === '') return bad('the Resource Manager URL is empty', FIX);
  const odd = [...s].find((c) => !/[\x21-\x7e]/.test(c));
  if (odd !== undefined) {
    const { what, fix } = describeOddCharacter(odd);
    return bad(`the Resource Manager URL ${show(input)} contains ${what}`, fix);
  }

  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(s);
  if (!m) return bad(`${show(input)} is not a URL (expected SCHEME://HOST:PORT)`, FIX);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;

  if (scheme === 'http' || scheme === 'https') return bad(`${s}: that is the web portal, not the Resource Manager URL`, FIX);
  if (!(RM_PROTOCOLS as readonly string[]).includes(scheme)) {
    return bad(`unknown protocol ${show(scheme)} in the Resource Manager URL`, `${FIX}; the protocols are pnp, pnps, pamr and rmi`);
  }
  const protocol = scheme as RmProtocol;

  // Split authority from path, query and fragment.
  const cut = rest.search(/[/?#]/);
  const authority = cut < 0 ? rest : rest.slice(0, cut);
  const tail = cut < 0 ? '' : rest.slice(cut);

  if (authority.includes('@')) return bad('the Resource Manager URL must not contain a user name or password', 'remove the USER@ part; give the node\'s credentials as a credentials file');

  if (protocol === 'pamr') return parsePamr(authority, tail);

  // A bare trailing slash (rmi://host:1099/) is common and harmless; anything else after the authority is not.
  if (tail !== '' && tail !== '/') return bad(`the Resource Manager URL must not have a path, query or fragment (${show(tail)})`, `use ${protocol}://HOST:${DEFAULT_PORTS[protocol]}`);

  if (!authority.startsWith('[') && (authority.match(/:/g) ?? []).length > 1) {
    return bad(`the IPv6 address in ${show(input)} must be written in brackets`, `use ${protocol}://[ADDRESS]:${DEFAULT_PORTS[protocol]}`);
  }
  let hostRaw = authority;
  let port = DEFAULT_PORTS[protocol];
  const portMatch = /^(.*):([^:\]]*)$/.exec(authority);
  if (portMatch) {
    hostRaw = portMatch[1]!;
    const p = portMatch[2]!;
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) return bad(`${show(p)} is not a valid port (1 to 65535)`, FIX);
    port = Number(p);
  }
  const host = parseHost(hostRaw, input);
  if (host.problem) return host.problem;
  return ok({ protocol, host: host.value, port, url: `${protocol}://${host.value}:${port}` });
}

/**
 * pamr://AGENT_ID[/PATH]: kept as given (the node passes it to ProActive unchanged). The port is the
 * router's default port, which is not part of the URL: the router is set with JVM properties.
 */
function parsePamr(authority: string, tail: string): Verdict<RmUrl> {
  if (!/^[0-9]+$/.test(authority)) {
    return bad(`in a pamr:// URL the part after pamr:// is the agent id of the Resource Manager (a number, usually 0), not ${show(authority)}`,
      'use pamr://0 and give the router with the JVM option -Dproactive.pamr.router.address=ROUTER_HOST');
  }
  if (/[?#]/.test(tail)) return bad('a pamr:// URL must not have a query or fragment', 'use pamr://0');
  if (tail !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(tail)) return bad(`the path ${show(tail)} of the pamr:// URL has unexpected characters`, 'use pamr://0');
  return ok({ protocol: 'pamr', host: authority, port: DEFAULT_PORTS.pamr, url: `pamr://${authority}${tail}`, note: PAMR_NOTE });
}

/** The protocol the user has typed so far, if it is one of the four (for the hint shown while typing). */
export function rmProtocolOf(input: string): RmProtocol | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input);
  const scheme = m?.[1]?.toLowerCase();
  return scheme && (RM_PROTOCOLS as readonly string[]).includes(scheme) ? (scheme as RmProtocol) : undefined;
}
