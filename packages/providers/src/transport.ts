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
