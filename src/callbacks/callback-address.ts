import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Why an address may not receive callbacks. */
export type ForbiddenReason =
  'loopback' | 'unspecified' | 'metadata' | 'private' | 'link-local' | 'multicast' | 'reserved';

/** Longer URLs are refused: they are stored with every message and shown in GET. */
export const MAX_CALLBACK_URL_LENGTH = 2_048;

/**
 * The ranges callbacks may not reach, from IANA's special-purpose address registries (every range that is
 * not globally reachable) plus the cloud metadata addresses by name, checked in this order so that an
 * address gets its most telling reason (169.254.169.254 is "metadata", not merely "link-local").
 */
const RULES: ReadonlyArray<{ reason: ForbiddenReason; v4: readonly string[]; v6: readonly string[] }> = [
  { reason: 'loopback', v4: ['127.0.0.0/8'], v6: ['::1/128'] },
  {
    reason: 'metadata',
    // AWS, GCP, Azure, OpenStack; AWS ECS tasks; Alibaba; Oracle; AWS over IPv6.
    v4: ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', '192.0.0.192/32'],
    v6: ['fd00:ec2::254/128'],
  },
  { reason: 'unspecified', v4: ['0.0.0.0/8'], v6: ['::/128'] },
  {
    reason: 'private',
    // 100.64/10 is carrier-grade NAT space; 64:ff9b:1::/48 is NAT64 for local use.
    v4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'],
    v6: ['fc00::/7', '64:ff9b:1::/48'],
  },
  { reason: 'link-local', v4: ['169.254.0.0/16'], v6: ['fe80::/10'] },
  { reason: 'multicast', v4: ['224.0.0.0/4'], v6: ['ff00::/8'] },
  {
    reason: 'reserved',
    // Protocol assignments, documentation, benchmarking, the 6to4 relay, 240/4 (with the broadcast address);
    // discard-only, IETF protocol assignments (Teredo among them), documentation, deprecated site-local, SRv6.
    v4: [
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.88.99.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
    ],
    v6: ['100::/64', '2001::/23', '2001:db8::/32', '3fff::/20', '5f00::/16', 'fec0::/10'],
  },
];

/**
 * IPv6 forms that carry an IPv4 address, which a dual-stack socket, a NAT64 gateway or a 6to4 relay may
 * turn into a connection to that IPv4 address: each gets the IPv4 ranges, embedded at its offset.
 */
const IPV4_CARRIERS: ReadonlyArray<(v4: string, prefix: number) => [string, number]> = [
  (v4, prefix) => [`::ffff:${v4}`, 96 + prefix], // IPv4-mapped
  (v4, prefix) => [`::${v4}`, 96 + prefix], // IPv4-compatible (deprecated)
  (v4, prefix) => [`64:ff9b::${v4}`, 96 + prefix], // NAT64 well-known prefix
  (v4, prefix) => [`2002:${hexPair(v4, 0)}:${hexPair(v4, 2)}::`, 16 + prefix], // 6to4
];

function hexPair(v4: string, first: number): string {
  const octets = v4.split('.').map(Number);
  return ((octets[first] << 8) | octets[first + 1]).toString(16);
}

const LISTS: ReadonlyArray<{ reason: ForbiddenReason; list: BlockList }> = RULES.map(({ reason, v4, v6 }) => {
  const list = new BlockList();
  for (const subnet of v4) {
    const [network, bits] = subnet.split('/');
    list.addSubnet(network, Number(bits), 'ipv4');
    for (const carry of IPV4_CARRIERS) list.addSubnet(...carry(network, Number(bits)), 'ipv6');
  }
  for (const subnet of v6) {
    const [network, bits] = subnet.split('/');
    list.addSubnet(network, Number(bits), 'ipv6');
  }
  return { reason, list };
});

/** Host names that reach the machine itself or a cloud's metadata service whatever DNS says. */
const FORBIDDEN_NAMES: ReadonlyMap<string, ForbiddenReason> = new Map([
  ['localhost', 'loopback'],
  ['metadata', 'metadata'],
  ['metadata.goog', 'metadata'],
  ['metadata.google.internal', 'metadata'],
  ['instance-data', 'metadata'],
  ['instance-data.ec2.internal', 'metadata'],
]);

/** Suffixes reserved for names that never leave the machine (RFC 6761) or the private network (ICANN, 2024). */
const FORBIDDEN_SUFFIXES: ReadonlyArray<[string, ForbiddenReason]> = [
  ['.localhost', 'loopback'],
  ['.internal', 'private'],
];

/** Why callbacks may not go to this IP address, or null if they may. Anything that is not an IP address is 'reserved'. */
export function forbiddenAddressReason(address: string): ForbiddenReason | null {
  const ip = address.replace(/%.*$/, ''); // an IPv6 zone (fe80::1%eth0) names an interface, not an address
  const family = isIP(ip);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return LISTS.find(({ list }) => list.check(ip, type))?.reason ?? null;
}

/** Why callbacks may not go to this host name, whatever it resolves to, or null. Expects a URL's (lower-cased) hostname. */
export function forbiddenHostnameReason(hostname: string): ForbiddenReason | null {
  const name = hostname.replace(/\.$/, '');
  return FORBIDDEN_NAMES.get(name) ?? FORBIDDEN_SUFFIXES.find(([suffix]) => name.endsWith(suffix))?.[1] ?? null;
}

const REASON_TEXT: Record<ForbiddenReason, string> = {
  loopback: 'a loopback address',
  unspecified: 'the unspecified address',
  metadata: 'a cloud metadata address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/** The host of a URL as net.connect takes it: IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * What is wrong with a callback URL on its face, or null: not a URL, not http(s), too long, credentials in
 * it, or a literal address or a reserved name that callbacks may not reach (unless allowPrivate). Needs no
 * DNS, so configuration can use it. The WHATWG parser has already turned 2130706433, 0x7f.1 and
 * 017700000001 into 127.0.0.1, and undici connects to what the same parser gives.
 */
export function callbackUrlProblem(value: string, { allowPrivate }: { allowPrivate: boolean }): string | null {
  if (value.length > MAX_CALLBACK_URL_LENGTH) {
    return `must be at most ${MAX_CALLBACK_URL_LENGTH} characters; it has ${value.length}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  // Credentials would be stored with each message, shown in GET and sent in the clear over http.
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (allowPrivate) return null;
  const host = hostOf(url);
  const reason = isIP(host) ? forbiddenAddressReason(host) : forbiddenHostnameReason(host);
  return reason && `must not point to ${REASON_TEXT[reason]}`;
}

type LookupAllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** dns.lookup with all: true (every address of a name), or a stand-in for it (tests). */
export type LookupAll = (hostname: string, options: LookupOptions & { all: true }, callback: LookupAllCallback) => void;

const systemLookup = dnsLookup as LookupAll;

/** At POST, a host that has not resolved by then counts as unresolved: the guard at delivery still applies. */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 2_000;

export interface CallbackUrlCheckOptions {
  readonly allowPrivate: boolean;
  readonly lookup?: LookupAll;
  readonly resolveTimeoutMs?: number;
}

/**
 * The check at POST: callbackUrlProblem, then the host's addresses, every one of which must be allowed.
 * A host that does not resolve (or not in time) is accepted: the receiver's DNS may not be up yet, and the
 * delivery guard checks the addresses actually connected to.
 */
export async function checkCallbackUrl(value: string, options: CallbackUrlCheckOptions): Promise<string | null> {
  const problem = callbackUrlProblem(value, options);
  if (problem !== null || options.allowPrivate) return problem;
  const host = hostOf(new URL(value));
  if (isIP(host)) return null;
  const lookup = options.lookup ?? systemLookup;
  const resolved = new Promise<LookupAddress[]>((resolve) =>
    lookup(host, { all: true }, (error, addresses) => resolve(error ? [] : addresses)),
  );
  const addresses = await withTimeout(resolved, options.resolveTimeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS, []);
  for (const { address } of addresses) {
    const reason = forbiddenAddressReason(address);
    if (reason) return `must not point to ${REASON_TEXT[reason]}: its host resolves to one`;
  }
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, fallback)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A connection refused because of the address it would reach. Names no secret; says which kind of address. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_CALLBACK_FORBIDDEN_ADDRESS';

  constructor(readonly reason: ForbiddenReason) {
    super(`refused to connect to ${REASON_TEXT[reason]}`);
    this.name = 'ForbiddenAddressError';
  }
}

/**
 * A `lookup` for net.connect / tls.connect (and so undici's connect options) that resolves every address
 * and refuses the connection if any is forbidden. The socket connects only to what its lookup returns, so
 * the check is on the address actually used: a name that resolved to a public address at POST and to a
 * private one now (DNS rebinding) is refused now. Literal IP hosts skip lookups: check them before connecting.
 * With allowPrivate it only resolves (through `lookupAll`, which tests replace).
 */
export function guardedLookup(lookupAll: LookupAll = systemLookup, { allowPrivate = false } = {}): LookupFunction {
  return (hostname, options, callback) => {
    lookupAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const reasons = allowPrivate ? [] : addresses.map(({ address }) => forbiddenAddressReason(address));
      const forbidden = reasons.find((reason) => reason !== null);
      if (forbidden) return callback(new ForbiddenAddressError(forbidden), '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
