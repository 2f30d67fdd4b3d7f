import { z } from 'zod';
import { defaultFetch } from '#transport';
import { type DownloadLimits, downloadLimitsSchema } from './download';
import type { ProviderName } from './errors';
import type { FetchLike, HttpConfig } from './http';
import type { Redactor } from './redact';
import { type RetryOptions, resolveRetryPolicy, retryOptionsSchema } from './retry';

/**
 * Options every public method takes.
 *
 * @example
 * await client.getModel(id, { signal: AbortSignal.timeout(10_000), timeoutMs: 5_000 });
 */
export interface CallOptions {
  /** Cancels the call (and its retries); the call rejects with `AbortedError`. */
  signal?: AbortSignal | undefined;
  /** Overrides the client's per-request timeout for this call, in ms. */
  timeoutMs?: number | undefined;
}

export const callOptionsSchema = z
  .object({
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
    timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  })
  .strict()
  .optional();

/**
 * Options of a client's `download`: a call's `maxBytes` lowers the client's limit for that one download (a
 * thumbnail), never raises it.
 *
 * @example
 * await scenario.download(url, { signal, timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 });
 */
export interface DownloadCallOptions extends CallOptions {
  maxBytes?: number | undefined;
}

export const downloadCallOptionsSchema = callOptionsSchema
  .unwrap()
  .extend({ maxBytes: z.number().int().positive().optional() })
  .optional();

const fetchSchema = z.custom<FetchLike>((v) => typeof v === 'function', 'expected a fetch function');

/**
 * Options shared by both clients.
 *
 * @example
 * const common: CommonClientOptions = { baseUrl: `${url}/scenario/v1`, retry: { maxRetries: 5 } };
 */
export interface CommonClientOptions {
  /** Overrides the vendor's base URL (e.g. the emulator's `${url}/scenario/v1`). */
  baseUrl?: string;
  /** A WHATWG fetch (a proxy, an in-process emulator, a browser's). Default: undici pool in Node, global fetch elsewhere. */
  fetch?: FetchLike;
  /** Retry and backoff for reads, polls and safely repeatable creates. */
  retry?: RetryOptions;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Clock for retry-after dates (default `Date.now`). */
  now?: () => number;
  /** Limits of the client's image downloads (default 64 MiB, 30 s) and the hook that may refuse a URL. */
  download?: DownloadLimits;
  /**
   * Largest JSON answer read, in bytes (default 8 MiB, {@link ANSWER_DEFAULTS}); a larger one is refused with
   * `provider.answer-too-large` before it is parsed. `timeoutMs` bounds the time to its last byte.
   */
  maxAnswerBytes?: number;
}

/**
 * The default cap of a client's JSON answers: 8 MiB, far above any catalogue page or job the vendors send.
 *
 * @example
 * new ModelsLabClient({ apiKey, maxAnswerBytes: ANSWER_DEFAULTS.maxBytes * 2 });
 */
export const ANSWER_DEFAULTS = Object.freeze({ maxBytes: 8 * 1024 * 1024 });

export const commonOptionsShape = {
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  fetch: fetchSchema.optional(),
  retry: retryOptionsSchema.optional(),
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  now: z.custom<() => number>((v) => typeof v === 'function', 'expected a function').optional(),
  download: downloadLimitsSchema.optional(),
  maxAnswerBytes: z.number().int().positive().optional(),
};

/**
 * The transport settings of a client from its validated common options (both clients share them).
 *
 * @example
 * this.#http = httpConfig('scenario', parsedOptions, options.retry, redactor);
 */
export function httpConfig(
  provider: ProviderName,
  o: {
    fetch?: FetchLike | undefined;
    timeoutMs?: number | undefined;
    now?: (() => number) | undefined;
    maxAnswerBytes?: number | undefined;
  },
  retry: RetryOptions | undefined,
  redactor: Redactor,
): HttpConfig {
  return {
    provider,
    fetch: o.fetch ?? defaultFetch(),
    timeoutMs: o.timeoutMs ?? 60_000,
    retry: resolveRetryPolicy(retry),
    redactor,
    now: o.now ?? Date.now,
    maxAnswerBytes: o.maxAnswerBytes ?? ANSWER_DEFAULTS.maxBytes,
  };
}
