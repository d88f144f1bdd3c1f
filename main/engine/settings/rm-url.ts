// The Resource Manager URL a node joins (-r). ProActive accepts:
//   pnp://HOST[:PORT]    the default protocol of 6.2+ nodes (port 64738); the RM must be able to reach
//                        the node back, so it suits VMs on the RM's network.
//   pnps://HOST[:PORT]   pnp over TLS (port 64739).
//   pamr://AGENT_ID      message routing through a PAMR router (outbound connections only: good behind
//                        NAT). The "host" is the agent id of the RM (usually 0); the router itself is
//                        given with JVM properties, its default port is 33647.
//   rmi://HOST[:PORT]    Java RMI, the default of 3.x nodes (port 1099).
// http(s)://HOST:8080 is the web portal: a classic mistake, caught with a specific message.

import { isIPv4, isIPv6 } from 'node:net';
import { fail } from '../errors';
import type { RmProtocol, RmUrl } from '../types';

export const DEFAULT_PORTS: Record<RmProtocol, number> = { pnp: 64738, pnps: 64739, pamr: 33647, rmi: 1099 };

const FIX = 'use pnp://HOST:64738 (or pamr://0 with the router host for VMs behind NAT)';

function invalid(message: string, fix: string = FIX): never {
  return fail('SETTING_INVALID', message, `Check --rm-url: ${fix}.`);
}

/** DNS host names: dot-separated labels of letters, digits and inner dashes (an optional final dot is dropped). */
function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function parseHost(raw: string, input: string): string {
  if (raw === '') invalid(`the Resource Manager URL ${JSON.stringify(input)} has no host`);
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']') || !isIPv6(raw.slice(1, -1))) invalid(`${JSON.stringify(raw)} is not a valid IPv6 address`, 'write IPv6 addresses in brackets, e.g. pnp://[2001:db8::1]:64738');
    return raw.toLowerCase();
  }
  if (isIPv6(raw)) invalid(`the IPv6 address ${raw} must be written in brackets`, `use pnp://[${raw}]:64738`);
  // All-numeric dotted names are IPv4 addresses and must be valid ones (999.1.1.1 is a typo, not a name).
  if (/^[0-9.]+$/.test(raw)) {
    if (!isIPv4(raw)) invalid(`${JSON.stringify(raw)} is not a valid IPv4 address`);
    return raw;
  }
  const host = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (!isDnsName(host)) invalid(`${JSON.stringify(raw)} is not a valid host name`, 'use a DNS name (letters, digits, dashes and dots) or an IP address');
  return host.toLowerCase();
}

function parsePort(raw: string): number {
  if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    invalid(`${JSON.stringify(raw)} is not a valid port (1 to 65535)`);
  }
  return Number(raw);
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Names the first character no URL may hold, as what it is: a line break pasted from a file is not "a
 * space", and a non-breaking space looks like one but is not ASCII.
 */
function checkCharacters(s: string, input: string): void {
  const url = `the Resource Manager URL ${JSON.stringify(input)}`;
  for (const c of s) {
    if (c === '\n' || c === '\r') invalid(`${url} contains a line break (${codePoint(c)})`, 'give the URL on one line');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(c)) {
      invalid(`${url} contains a control character (${codePoint(c)}${c === '\t' ? ', a tab' : ''})`, 'type the URL without control characters');
    }
    if (c === ' ') invalid(`${url} contains a space`, 'remove the space');
    if (!/^[\x21-\x7e]$/.test(c)) {
      invalid(`${url} contains ${JSON.stringify(c)} (${codePoint(c)}), which is not a plain ASCII character`,
        'type the URL in plain ASCII (use the punycode form of international host names)');
    }
  }
}

export function parseRmUrl(input: string): RmUrl {
  const s = input.trim();
  if (s === '') invalid('the Resource Manager URL is empty');
  checkCharacters(s, input);

  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(s);
  if (!m) invalid(`${JSON.stringify(input)} is not a URL (expected SCHEME://HOST:PORT)`);
  const scheme = m[1].toLowerCase();
  const rest = m[2];

  if (scheme === 'http' || scheme === 'https') {
    fail('SETTING_INVALID', `${input}: that is the web portal, not the Resource Manager URL`, FIX);
  }
  if (scheme !== 'pnp' && scheme !== 'pnps' && scheme !== 'pamr' && scheme !== 'rmi') {
    invalid(`unknown protocol ${JSON.stringify(scheme)} in the Resource Manager URL`, `${FIX}; the protocols are pnp, pnps, pamr and rmi`);
  }
  const protocol: RmProtocol = scheme;

  // Split authority from path, query and fragment.
  const cut = rest.search(/[/?#]/);
  const authority = cut < 0 ? rest : rest.slice(0, cut);
  const tail = cut < 0 ? '' : rest.slice(cut);

  if (authority.includes('@')) invalid('the Resource Manager URL must not contain a user name or password', 'remove the USER@ part; use --credentials FILE for the node\'s credentials');

  if (protocol === 'pamr') return parsePamr(input, authority, tail);

  // A bare trailing slash (rmi://host:1099/) is common and harmless; anything else after the authority is not.
  if (tail !== '' && tail !== '/') invalid(`the Resource Manager URL must not have a path, query or fragment (${JSON.stringify(tail)})`, `use ${protocol}://HOST:${DEFAULT_PORTS[protocol]}`);

  if (!authority.startsWith('[') && (authority.match(/:/g) ?? []).length > 1) {
    invalid(`the IPv6 address in ${JSON.stringify(input)} must be written in brackets`, `use ${protocol}://[ADDRESS]:${DEFAULT_PORTS[protocol]}`);
  }
  let hostRaw = authority;
  let port = DEFAULT_PORTS[protocol];
  const portMatch = /^(.*):([^:\]]*)$/.exec(authority);
  if (portMatch) {
    hostRaw = portMatch[1];
    port = parsePort(portMatch[2]);
  }
  const host = parseHost(hostRaw, input);
  return { protocol, host, port, url: `${protocol}://${host}:${port}` };
}

/**
 * pamr://AGENT_ID[/PATH]: kept as given (the node passes it to ProActive unchanged). The port is the
 * router's default port, which is not part of the URL: the router is set with JVM properties.
 */
function parsePamr(input: string, authority: string, tail: string): RmUrl {
  if (!/^[0-9]+$/.test(authority)) {
    invalid(`in a pamr:// URL the part after pamr:// is the agent id of the Resource Manager (a number, usually 0), not ${JSON.stringify(authority)}`,
      'use pamr://0 and give the router with --jvm-option -Dproactive.pamr.router.address=ROUTER_HOST');
  }
  if (/[?#]/.test(tail)) invalid('a pamr:// URL must not have a query or fragment', 'use pamr://0');
  if (tail !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(tail)) invalid(`the path ${JSON.stringify(tail)} of the pamr:// URL has unexpected characters`, 'use pamr://0');
  return {
    protocol: 'pamr',
    host: authority,
    port: DEFAULT_PORTS.pamr,
    url: `pamr://${authority}${tail}`,
    note:
      'pamr:// connects through a PAMR router: give the router host to the node with ' +
      '--jvm-option -Dproactive.pamr.router.address=ROUTER_HOST (and -Dproactive.pamr.router.port=PORT if it is not 33647).',
  };
}
