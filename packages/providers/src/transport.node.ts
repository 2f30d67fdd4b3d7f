import { type LookupAddress, lookup } from 'node:dns';
import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from './http';
import { ForbiddenAddressError, forbiddenRange } from './url-policy';

/**
 * Pool settings for the Node transport.
 *
 * @example
 * createNodeFetch({ connections: 4, keepAliveTimeoutMs: 30_000 });
 */
export interface NodeTransportOptions {
  /** Sockets per origin (default 8): bounds how hard one process can hit a vendor. */
  connections?: number;
  /** How long an idle socket is kept for reuse, in ms (default 10 000). */
  keepAliveTimeoutMs?: number;
}

/**
 * A fetch on an undici Agent with keep-alive and a bounded connection pool (Node only).
 *
 * @example
 * import { createNodeFetch } from '@loraflow/providers/node';
 * const client = new ScenarioClient({ apiKey, apiSecret, fetch: createNodeFetch({ connections: 4 }) });
 */
export function createNodeFetch(options: NodeTransportOptions = {}): FetchLike {
  const agent = new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
  });
  // undici's own Request/Response types differ nominally from the DOM ones; the objects are the same.
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    })) as unknown as FetchLike;
}

let shared: FetchLike | undefined;

/**
 * The Node default transport: one shared keep-alive pool for every client in the process.
 *
 * @example
 * const client = new ModelsLabClient({ apiKey, fetch: defaultFetch() });
 */
export function defaultFetch(): FetchLike {
  shared ??= createNodeFetch();
  return shared;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `net.connect` lookup that resolves every address of a host and refuses the host if any one is not public. */
function publicLookup(
  hostname: string,
  options: { family?: number; all?: boolean },
  callback: LookupCallback,
) {
  lookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
    if (error) return callback(error, []);
    // Refusing the host when any address is not public leaves no address for the socket to pick wrongly.
    for (const a of addresses) {
      const range = forbiddenRange(a.address);
      if (range) return callback(new ForbiddenAddressError(hostname, range) as NodeJS.ErrnoException, []);
    }
    const first = addresses[0];
    if (!first)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    if (options.all) return callback(null, addresses);
    return callback(null, first.address, first.family);
  });
}

const publicFetches = new Map<number, FetchLike>();

/**
 * A fetch that connects only to public addresses: the socket's own DNS lookup checks every address it
 * resolved, so the address checked is the address connected to (no window for DNS rebinding). IP
 * literals never reach a lookup: the download checks them before it calls this fetch.
 *
 * @example
 * const res = await publicFetch(10_000)('https://cdn.example/cat.png');
 */
export function publicFetch(connectTimeoutMs: number): FetchLike {
  let made = publicFetches.get(connectTimeoutMs);
  if (!made) {
    const agent = new Agent({
      connections: 8,
      keepAliveTimeout: 10_000,
      connect: { timeout: connectTimeoutMs, lookup: publicLookup as never },
    });
    made = ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher: agent,
      })) as unknown as FetchLike;
    publicFetches.set(connectTimeoutMs, made);
  }
  return made;
}

/**
 * Every address a host name resolves to (for checking a URL that a caller's own fetch will request).
 *
 * @example
 * await resolveHost('cdn.example'); // ['93.184.216.34']
 */
export const resolveHost: ((hostname: string) => Promise<string[]>) | undefined = (hostname) =>
  new Promise((ok, fail) =>
    lookup(hostname, { all: true }, (error, addresses) =>
      error ? fail(error) : ok(addresses.map((a) => a.address)),
    ),
  );
