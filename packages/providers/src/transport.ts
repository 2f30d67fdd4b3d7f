import type { FetchLike } from './http';

/**
 * The browser (and any non-Node runtime) transport: the global `fetch`.
 *
 * @example
 * const client = new ScenarioClient({ apiKey, apiSecret, fetch: defaultFetch() });
 */
export function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') {
    throw new TypeError('No global fetch is available here: pass `fetch` in the client options.');
  }
  return globalThis.fetch.bind(globalThis);
}

/**
 * Outside Node there is no socket to pin: the browser's fetch is used, and only what the URL itself
 * shows (IP literals, `localhost`) is checked.
 *
 * @example
 * const fetch = publicFetch(10_000);
 */
export function publicFetch(_connectTimeoutMs: number): FetchLike | undefined {
  return undefined;
}

/**
 * Outside Node a host name cannot be resolved: no resolver.
 *
 * @example
 * if (resolveHost) await resolveHost('cdn.example');
 */
export const resolveHost: ((hostname: string) => Promise<string[]>) | undefined = undefined;
