import ipaddr from 'ipaddr.js';

/**
 * Which addresses a download may reach: `public` (the default) refuses loopback, private,
 * link-local, multicast, unspecified and other special-purpose ranges (IPv4 and IPv6, IPv4-mapped
 * included); `any` turns the check off (a host on its own private network, a test server).
 *
 * @example
 * const addresses: AddressPolicy = 'public';
 */
export type AddressPolicy = 'public' | 'any';

/**
 * Why an address is not public: the name of its range (`loopback`, `private`, `linkLocal`, ...),
 * or undefined for a public unicast address. Anything that does not parse is refused as `invalid`.
 *
 * @example
 * forbiddenRange('10.0.0.7'); // 'private'
 * forbiddenRange('::ffff:127.0.0.1'); // 'loopback'
 * forbiddenRange('93.184.216.34'); // undefined
 */
export function forbiddenRange(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return 'invalid';
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it carries.
  const range = ipaddr.process(bare).range();
  return range === 'unicast' ? undefined : range;
}

/**
 * Whether a host name is an IP literal (as `URL.hostname` gives it, IPv6 in brackets).
 *
 * @example
 * isIpLiteral('[::1]'); // true
 * isIpLiteral('example.com'); // false
 */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare));
}

/**
 * What can be said about a URL's host without asking DNS: the range of an IP literal, or
 * `loopback` for `localhost` and its sub-domains (RFC 6761 reserves them); undefined when only
 * a lookup can tell.
 *
 * @example
 * literalRange(new URL('http://127.0.0.1:9/')); // 'loopback'
 * literalRange(new URL('https://cdn.example/')); // undefined
 */
export function literalRange(url: URL): string | undefined {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return isIpLiteral(host) ? (forbiddenRange(host) ?? undefined) : undefined;
}

/**
 * The origin of a base URL when it is itself on loopback (the emulator), else undefined: the one
 * origin a provider's client may download from although it is not public.
 *
 * @example
 * loopbackOrigin('http://127.0.0.1:4010/scenario/v1'); // 'http://127.0.0.1:4010'
 * loopbackOrigin('https://api.cloud.scenario.com/v1'); // undefined
 */
export function loopbackOrigin(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  return literalRange(url) === 'loopback' ? url.origin : undefined;
}

/**
 * Raised inside the transport when a host resolves to an address the policy refuses; the download
 * turns it into a `url.forbidden` {@link DownloadError}. It never says which address, only its range.
 *
 * @example
 * throw new ForbiddenAddressError('cdn.example', 'private');
 */
export class ForbiddenAddressError extends Error {
  static {
    ForbiddenAddressError.prototype.name = 'ForbiddenAddressError';
  }
  readonly code = 'ERR_FORBIDDEN_ADDRESS';
  readonly host: string;
  readonly range: string;
  constructor(host: string, range: string) {
    super(`${host} resolves to a ${range} address`);
    this.host = host;
    this.range = range;
  }
}

/** The {@link ForbiddenAddressError} somewhere in an error's cause chain (fetch wraps what the socket threw). */
export function forbiddenCause(e: unknown): ForbiddenAddressError | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    if (cur instanceof ForbiddenAddressError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
