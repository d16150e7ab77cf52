/**
 * Which network addresses a feed may be fetched from, and the DNS lookup that enforces it at
 * connect time (server-side request forgery guard).
 *
 * Two checks, one rule:
 * - {@link createGuardedLookup} is handed to the HTTP client as its `lookup`, so the addresses
 *   vetted are exactly the ones the socket connects to: there is no window between "checked" and
 *   "connected" for DNS rebinding.
 * - Node skips `lookup` when the host is an IP literal, so literals must be vetted by the caller
 *   before connecting ({@link literalAddress} + the policy); {@link checkUrlHost} does both for
 *   creation-time checks.
 *
 * Odd IPv4 spellings (`127.1`, `0x7f.1`, `2130706433`, `017700000001`, `0177.0.0.1`, `127.0.0.1.`)
 * are canonicalised to dotted decimal by the WHATWG URL parser for http(s) URLs, so hosts are
 * always taken from `new URL(...)` and never parsed by hand.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** Decides whether a resolved IP address (no brackets, no port) may be connected to. */
export type AddressPolicy = (ip: string) => boolean;

/** Resolves a host name to all its addresses; `dns.promises.lookup` with `all: true` by default. */
export type Resolver = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

/** A connection was refused because the address is not allowed by the policy. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKED';

  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    // Never the address a name resolved to: a token holder could map internal DNS with it.
    super(
      hostname === address
        ? `Refusing to connect to ${address}: feeds may not be fetched from this address ` +
            '(loopback, private, link-local or another reserved network).'
        : `Refusing to connect to ${hostname}: it is, or resolves to, a private address, and ` +
            'feeds may not be fetched from loopback, private, link-local or other reserved networks.',
    );
    this.name = 'BlockedAddressError';
  }
}

/** A feed URL that cannot be fetched at all: not http(s), credentials in it, or unparseable. */
export class InvalidFeedUrlError extends Error {
  readonly code = 'EINVALIDURL';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidFeedUrlError';
  }
}

// ---------------------------------------------------------------------------------------------
// Address classification

type Cidr = readonly [prefix: readonly number[], bits: number];

/** IPv4 ranges that are not publicly routable unicast (IANA special-purpose registry). */
const IPV4_REFUSED: readonly Cidr[] = [
  [[0, 0, 0, 0], 8], // "this network", includes the unspecified 0.0.0.0
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // carrier-grade NAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, includes cloud metadata 169.254.169.254
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation TEST-NET-1
  [[192, 88, 99, 0], 24], // deprecated 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation TEST-NET-2
  [[203, 0, 113, 0], 24], // documentation TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, includes broadcast 255.255.255.255
];

/** IPv6 ranges refused inside global unicast 2000::/3 (everything outside it is refused). */
const IPV6_REFUSED_GLOBAL: readonly Cidr[] = [
  // IETF protocol assignments: Teredo 2001::/32 (its IPv4 is obfuscated, and it tunnels to
  // arbitrary IPv4 hosts), benchmarking 2001:2::/48, ORCHID 2001:10::/28 and 2001:20::/28.
  [[0x20, 0x01, 0x00, 0x00], 23],
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x3f, 0xff], 20], // documentation (RFC 9637)
];

const IPV6_GLOBAL_UNICAST: Cidr = [[0x20], 3];
const NAT64_WELL_KNOWN: Cidr = [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96];
const SIX_TO_FOUR: Cidr = [[0x20, 0x02], 16];

function inCidr(bytes: readonly number[], [prefix, bits]: Cidr): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Four bytes of a dotted-decimal IPv4 address already validated by `isIP`. */
function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Sixteen bytes of an IPv6 address already validated by `isIP` (zone id removed). */
function ipv6Bytes(ip: string): number[] {
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    tail = ipv4Bytes(last);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function isPublicIPv4(bytes: readonly number[]): boolean {
  return !IPV4_REFUSED.some((cidr) => inCidr(bytes, cidr));
}

/** The IPv4 address an IPv6 address stands for, when it embeds one the network may act on. */
function embeddedIPv4(bytes: readonly number[]): number[] | undefined {
  const zeros = (from: number, to: number): boolean =>
    bytes.slice(from, to).every((byte) => byte === 0);
  // ::a.b.c.d (IPv4-compatible, deprecated; also covers :: and ::1, judged as 0.0.0.x)
  if (zeros(0, 12)) return bytes.slice(12, 16);
  // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12, 16);
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT)
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) {
    return bytes.slice(12, 16);
  }
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  if (inCidr(bytes, NAT64_WELL_KNOWN)) return bytes.slice(12, 16);
  // 2002:aabb:ccdd::/48 (6to4)
  if (inCidr(bytes, SIX_TO_FOUR)) return bytes.slice(2, 6);
  return undefined;
}

function isPublicIPv6(bytes: readonly number[]): boolean {
  const v4 = embeddedIPv4(bytes);
  if (v4) return isPublicIPv4(v4);
  // Outside 2000::/3 everything is special: ::/8, 64:ff9b:1::/48, 100::/64, fc00::/7 (unique
  // local), fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8 (multicast)...
  if (!inCidr(bytes, IPV6_GLOBAL_UNICAST)) return false;
  return !IPV6_REFUSED_GLOBAL.some((cidr) => inCidr(bytes, cidr));
}

/**
 * Whether `ip` is a publicly routable unicast address. Anything else — loopback, private,
 * link-local, CGNAT, multicast, reserved, documentation, benchmarking, IPv6 unique-local, Teredo,
 * a zone-scoped address, or a string that is not an IP address — is `false`. IPv4-mapped,
 * IPv4-compatible, SIIT, NAT64 (64:ff9b::/96) and 6to4 addresses are judged by the IPv4 address
 * they embed. Brackets around IPv6 are accepted.
 */
export function isPublicAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (bare.includes('%')) return false; // a zone id only makes sense on link-local addresses
  switch (isIP(bare)) {
    case 4:
      return isPublicIPv4(ipv4Bytes(bare));
    case 6:
      return isPublicIPv6(ipv6Bytes(bare));
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Policies

/** The production default: only public addresses. */
export const publicOnlyPolicy: AddressPolicy = isPublicAddress;

/** `ALLOW_PRIVATE_FEEDS=true`: every address, including loopback and private networks. */
export const allowAllPolicy: AddressPolicy = () => true;

/**
 * The policy for a configuration: public addresses only, unless `allowPrivateFeeds`
 * (`ALLOW_PRIVATE_FEEDS=true`). Returns one of two long-lived functions, so clients keyed by
 * policy are shared.
 */
export function policyFromConfig(config: { readonly allowPrivateFeeds: boolean }): AddressPolicy {
  return config.allowPrivateFeeds ? allowAllPolicy : publicOnlyPolicy;
}

// ---------------------------------------------------------------------------------------------
// Hosts and URLs

/**
 * A host in canonical form, as the WHATWG URL parser (what `fetch` uses) sees it: lower case,
 * IDNA to punycode, every IPv4 spelling to dotted decimal (`0x7f.1` → `127.0.0.1`), IPv6
 * compressed and WITHOUT brackets (`[::ffff:127.0.0.1]` → `::ffff:7f00:1`). A trailing dot on a
 * name is kept (it is a different, fully-qualified spelling of the same name, and DNS is vetted
 * anyway). Throws a {@link InvalidFeedUrlError} for something that is not a host.
 */
export function normalizeHost(hostname: string): string {
  let host = hostname.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIP(host) === 6) host = `[${host}]`;
  else if (host === '' || /[\s/?#@\\:[\]]/u.test(host)) {
    throw new InvalidFeedUrlError(`"${hostname}" is not a valid host name.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(`http://${host}/`);
  } catch {
    throw new InvalidFeedUrlError(`"${hostname}" is not a valid host name.`);
  }
  const canonical = parsed.hostname;
  return canonical.startsWith('[') ? canonical.slice(1, -1) : canonical;
}

/** The IP address a URL host (`url.hostname`, brackets or not) is written as, if it is a literal. */
export function literalAddress(hostname: string): string | undefined {
  const bare =
    hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * Parses a feed URL and checks its shape: http or https only, a host, no user name or password.
 * The host is canonicalised by the WHATWG parser. Throws {@link InvalidFeedUrlError}.
 */
export function parseFeedUrl(input: string | URL, base?: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw new InvalidFeedUrlError(`"${String(input)}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidFeedUrlError(
      `${url.protocol.replace(/:$/u, '')} URLs are not supported: feed URLs must start with http:// or https://.`,
    );
  }
  if (url.hostname === '') throw new InvalidFeedUrlError(`"${url.href}" has no host.`);
  if (url.username !== '' || url.password !== '') {
    throw new InvalidFeedUrlError(
      'Feed URLs may not contain a user name or password; remove the "user:password@" part.',
    );
  }
  return url;
}

/**
 * Names that mean this machine or a private network by their spelling alone, whatever DNS says:
 * `localhost` and `*.localhost` (RFC 6761), mDNS `.local`, `.internal`, `.home.arpa`, and the
 * same with a trailing dot (`localhost.` is the fully-qualified spelling of `localhost`).
 */
const PRIVATE_NAME = /(?:^|\.)(?:localhost|local|internal|home\.arpa|localdomain)\.?$/iu;

/** Whether `hostname` names a private host by its spelling (see {@link PRIVATE_NAME}). */
export function isPrivateName(hostname: string): boolean {
  return PRIVATE_NAME.test(hostname);
}

const defaultResolver: Resolver = (hostname, options) =>
  dnsLookup(hostname, { ...options, all: true });

function blockedAmong(
  hostname: string,
  addresses: readonly LookupAddress[],
  policy: AddressPolicy,
): BlockedAddressError | undefined {
  const refused = addresses.find(({ address }) => !policy(address));
  return refused ? new BlockedAddressError(hostname, refused.address) : undefined;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${hostname} has no address (DNS).`);
  error.code = 'ENOTFOUND';
  return error;
}

/**
 * A `dns.lookup`-compatible function for `net.connect({ lookup })` / undici's `connect.lookup`.
 * It resolves ALL addresses of the name and fails with a {@link BlockedAddressError}
 * (`code: 'EBLOCKED'`) when ANY of them is refused by `policy` — a name that mixes a public and a
 * private answer is refused as a whole — otherwise it answers like `dns.lookup` (one address, or
 * all with `all: true`). The socket then connects to an address this function has just vetted.
 */
export function createGuardedLookup(
  policy: AddressPolicy,
  resolve: Resolver = defaultResolver,
): LookupFunction {
  return (hostname, options, callback) => {
    const all = (options as { all?: boolean }).all === true;
    // Refused before DNS is asked: what a resolver answers for these names is no one's business.
    if (isPrivateName(hostname) && !policy('127.0.0.1')) {
      callback(new BlockedAddressError(hostname, '127.0.0.1'), '');
      return;
    }
    resolve(hostname, { ...options, all: true }).then(
      (addresses) => {
        const first = addresses[0];
        if (first === undefined) {
          callback(notFound(hostname), '');
          return;
        }
        const blocked = blockedAmong(hostname, addresses, policy);
        if (blocked) callback(blocked, '');
        else if (all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), '');
      },
    );
  };
}

/**
 * Creation-time check of a feed URL (e.g. when a feed is added): the URL must be fetchable and its
 * host must be allowed — an IP literal is judged directly, a name by all the addresses it resolves
 * to now. Resolves to the vetted addresses. Throws {@link InvalidFeedUrlError} or
 * {@link BlockedAddressError}; DNS failures are passed through (`ENOTFOUND`...).
 *
 * This is advisory: DNS can change before the fetch, which is why fetching also goes through
 * {@link createGuardedLookup}.
 */
export async function checkUrlHost(
  url: string | URL,
  policy: AddressPolicy,
  resolve: Resolver = defaultResolver,
): Promise<string[]> {
  const { hostname } = parseFeedUrl(url);
  const literal = literalAddress(hostname);
  if (literal !== undefined) {
    if (!policy(literal)) throw new BlockedAddressError(literal, literal);
    return [literal];
  }
  if (isPrivateName(hostname) && !policy('127.0.0.1')) {
    throw new BlockedAddressError(hostname, '127.0.0.1');
  }
  const addresses = await resolve(hostname, { all: true });
  if (addresses.length === 0) throw notFound(hostname);
  const blocked = blockedAmong(hostname, addresses, policy);
  if (blocked) throw blocked;
  return addresses.map(({ address }) => address);
}
