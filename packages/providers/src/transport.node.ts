import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from './http';

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
