import { type ImageMime, sniffImageType } from '@loraflow/core';
import { z } from 'zod';
import { defaultFetch, publicFetch, resolveHost } from '#transport';
import { readCapped } from './capped-read';
import { abortedError } from './clock';
import {
  DownloadError,
  type DownloadErrorCode,
  type ProviderName,
  parseRetryAfter,
  providerLabel,
  ValidationError,
} from './errors';
import { type FetchLike, retrying, type TransportFailure, toIssues, withDeadline } from './http';
import type { Redactor } from './redact';
import { type RetryOptions, type RetryPolicy, resolveRetryPolicy, retryOptionsSchema } from './retry';
import { type AddressPolicy, forbiddenCause, forbiddenRange, isIpLiteral, literalRange } from './url-policy';

/**
 * Downloaded image bytes and their format, read from the bytes themselves (the Content-Type a
 * server claims is never trusted).
 *
 * @example
 * const { bytes, mimeType }: Download = await downloadImage(url);
 */
export interface Download {
  bytes: Uint8Array;
  mimeType: ImageMime;
}

/**
 * Looks at every URL before it is requested (the first and each redirect) and throws to refuse it.
 * An error that is not a `ProviderError` becomes a {@link DownloadError} `download.refused`.
 *
 * @example
 * const guard: DownloadGuard = (url) => { if (url.hostname === 'localhost') throw new Error('local address'); };
 */
export type DownloadGuard = (url: URL) => void | Promise<void>;

/**
 * The limits every image download runs under (a client's `download` option, or
 * {@link downloadImage}'s options).
 *
 * @example
 * new ScenarioClient({ apiKey, apiSecret, download: { maxBytes: 16 * 1024 * 1024, timeoutMs: 10_000 } });
 */
export interface DownloadLimits {
  /** Largest body accepted, in bytes (default 64 MiB); checked against Content-Length and while streaming. */
  maxBytes?: number;
  /** Time from sending the request to the last byte, per attempt, in ms (default 30 000). */
  timeoutMs?: number;
  /** Called with each URL before it is requested; with a guard, redirects are followed one by one so it sees every hop. */
  guard?: DownloadGuard;
  /**
   * Which addresses a URL (and every redirect) may resolve to (default `public`: loopback, private,
   * link-local, multicast and unspecified addresses are refused with `url.forbidden`).
   */
  addresses?: AddressPolicy;
  /** Origins (`http://127.0.0.1:4010`) downloaded from whatever they resolve to; a client adds its own base URL's origin when that is loopback (the emulator). */
  allowOrigins?: string[];
  /** Time to open the connection, in ms (default 10 000; the default Node transport only). */
  connectTimeoutMs?: number;
}

/**
 * Options of {@link downloadImage}.
 *
 * @example
 * await downloadImage(url, { fetch: services.fetch, signal, maxBytes: 8 * 1024 * 1024 });
 */
export interface DownloadOptions extends DownloadLimits {
  /** The fetch to use (default: the package's transport, as the clients'). */
  fetch?: FetchLike;
  /** Cancels the download; it then rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Retries of 5xx, 408, 429, timeouts and broken connections (default: the clients' policy, 3 retries). */
  retry?: RetryOptions;
}

/**
 * The defaults of {@link DownloadLimits}: 64 MiB, 30 s in all, 10 s to connect.
 *
 * @example
 * DOWNLOAD_DEFAULTS.maxBytes; // 67108864
 */
export const DOWNLOAD_DEFAULTS = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
});

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

export const downloadLimitsShape = {
  maxBytes: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  guard: z.custom<DownloadGuard>((v) => typeof v === 'function', 'expected a function').optional(),
  addresses: z.enum(['public', 'any']).optional(),
  allowOrigins: z
    .array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin))
    .max(100)
    .optional(),
  connectTimeoutMs: z.number().int().positive().max(600_000).optional(),
};
export const downloadLimitsSchema = z.object(downloadLimitsShape).strict();

const optionsSchema = z
  .object({
    ...downloadLimitsShape,
    fetch: fn.optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
    retry: retryOptionsSchema.optional(),
  })
  .strict();

/** Everything one download needs, resolved: a client builds it from its own settings. */
export interface DownloadConfig {
  provider: ProviderName | undefined;
  fetch: FetchLike;
  retry: RetryPolicy;
  redactor: Redactor | undefined;
  maxBytes: number;
  timeoutMs: number;
  guard: DownloadGuard | undefined;
  now: () => number;
  addresses: AddressPolicy;
  /** Origins exempt from the address check. */
  allowOrigins: ReadonlySet<string>;
  /** A fetch whose sockets connect only to checked public addresses (Node's default transport); undefined with a caller's own fetch. */
  publicFetch: FetchLike | undefined;
}

/**
 * The download settings a client or {@link downloadImage} resolves from its options: the caller's
 * own fetch (then hosts are resolved and checked before it is called) or the pinned public transport.
 */
export function downloadConfig(o: {
  provider: ProviderName | undefined;
  fetch: FetchLike | undefined;
  retry: RetryPolicy;
  redactor: Redactor | undefined;
  limits: DownloadLimits | undefined;
  now: () => number;
  ownOrigin?: string | undefined;
}): DownloadConfig {
  const l = o.limits ?? {};
  const allow = new Set((l.allowOrigins ?? []).map((u) => new URL(u).origin));
  if (o.ownOrigin) allow.add(o.ownOrigin);
  return {
    provider: o.provider,
    fetch: o.fetch ?? defaultFetch(),
    retry: o.retry,
    redactor: o.redactor,
    maxBytes: l.maxBytes ?? DOWNLOAD_DEFAULTS.maxBytes,
    timeoutMs: l.timeoutMs ?? DOWNLOAD_DEFAULTS.timeoutMs,
    guard: l.guard,
    now: o.now,
    addresses: l.addresses ?? 'public',
    allowOrigins: allow,
    publicFetch: o.fetch ? undefined : publicFetch(l.connectTimeoutMs ?? DOWNLOAD_DEFAULTS.connectTimeoutMs),
  };
}

// Browsers and curl stop at 20; an image URL needs a signed-URL hop or two, so 5 is plenty.
const MAX_REDIRECTS = 5;

/** What a message may say about a URL: origin and path, never the query (signed URLs keep their signature there). */
function describeUrl(url: URL, redactor: Redactor | undefined): string {
  const where = `${url.origin}${url.pathname}`;
  return redactor ? redactor.text(where) : where;
}

function subject(cfg: DownloadConfig, where: string): string {
  return cfg.provider ? `${providerLabel(cfg.provider)} download of ${where}` : `Download of ${where}`;
}

function failure(
  cfg: DownloadConfig,
  code: DownloadErrorCode,
  message: string,
  extra: {
    status?: number;
    retryable?: boolean;
    retryAfterMs?: number | undefined;
    requestSent?: boolean;
  } = {},
): DownloadError {
  return new DownloadError({
    provider: cfg.provider,
    code,
    message,
    retryable: extra.retryable ?? false,
    status: extra.status,
    retryAfterMs: extra.retryAfterMs,
    requestSent: extra.requestSent ?? true,
  });
}

function transportFailure(cfg: DownloadConfig, what: string, f: TransportFailure): Error {
  if (f.kind === 'aborted') return abortedError(cfg.provider, what);
  if (f.kind === 'timeout') {
    return failure(cfg, 'download.timeout', `${what} did not finish within ${cfg.timeoutMs} ms.`, {
      retryable: true,
    });
  }
  const why = f.answered
    ? 'the connection broke while reading the image'
    : `the server could not be reached${f.code ? ` (${f.code})` : ''}`;
  return failure(cfg, 'download.connection', `${what} failed: ${why}.`, {
    retryable: true,
    requestSent: f.sent,
  });
}

function tooLarge(cfg: DownloadConfig, what: string): DownloadError {
  const mib = Math.round((cfg.maxBytes / (1024 * 1024)) * 100) / 100;
  return failure(cfg, 'download.too-large', `${what} is larger than ${mib} MiB (maxBytes ${cfg.maxBytes}).`);
}

function notImage(cfg: DownloadConfig, what: string, claimed: string | null): DownloadError {
  const said = claimed ? ` (the server called it ${JSON.stringify(claimed.slice(0, 80))})` : '';
  return failure(cfg, 'download.not-image', `${what} is not a PNG, JPEG or WebP image${said}.`);
}

/** Parses `raw` (relative to `base`, for a redirect) and refuses anything but http(s) with `download.invalid-url`. */
function httpUrl(cfg: DownloadConfig, raw: string | URL, base: URL | undefined): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw, base);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
  const text = String(raw).slice(0, 200);
  const shown = cfg.redactor ? cfg.redactor.text(text) : text;
  throw failure(
    cfg,
    'download.invalid-url',
    `${subject(cfg, `"${shown}"`)} is not possible: only http(s) URLs are downloaded.`,
    { requestSent: false },
  );
}

function forbidden(cfg: DownloadConfig, what: string, range: string): DownloadError {
  return failure(
    cfg,
    'url.forbidden',
    `${what} was refused: the host is a ${range} address, and only public addresses are downloaded.`,
    { requestSent: false },
  );
}

/** Whether every hop can be checked here (Node), so redirects are followed one by one; a browser follows its own. */
function checksHosts(cfg: DownloadConfig): boolean {
  return cfg.addresses === 'public' && (cfg.publicFetch !== undefined || resolveHost !== undefined);
}

/** Applies the address policy to one URL and answers the fetch to request it with. */
async function route(cfg: DownloadConfig, url: URL, what: string): Promise<FetchLike> {
  if (cfg.addresses === 'any' || cfg.allowOrigins.has(url.origin)) return cfg.fetch;
  const literal = literalRange(url);
  if (literal) throw forbidden(cfg, what, literal);
  // A public IP literal needs no lookup; a name is checked by the pinned transport as it connects.
  if (isIpLiteral(url.hostname) || cfg.publicFetch) return cfg.publicFetch ?? cfg.fetch;
  if (resolveHost) {
    // With the caller's own fetch the check is this lookup (that fetch resolves again on its own).
    const addresses = await resolveHost(url.hostname).catch((e: unknown) => {
      const code = (e as { code?: unknown }).code;
      throw failure(
        cfg,
        'download.connection',
        `${what} failed: its host could not be resolved to check its address${typeof code === 'string' ? ` (${code})` : ''}; an origin that the given fetch answers in process belongs in allowOrigins.`,
        {
          retryable: true,
          requestSent: false,
        },
      );
    });
    for (const a of addresses) {
      const range = forbiddenRange(a);
      if (range) throw forbidden(cfg, what, range);
    }
  }
  return cfg.fetch;
}

async function checkGuard(cfg: DownloadConfig, url: URL, what: string): Promise<void> {
  if (!cfg.guard) return;
  try {
    await cfg.guard(url);
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw failure(cfg, 'download.refused', `${what} was refused: ${cfg.redactor?.text(why) ?? why}.`, {
      requestSent: false,
    });
  }
}

/** One attempt: guard, request (redirects one by one when guarded), status, size cap. */
async function once(cfg: DownloadConfig, start: URL, signal: AbortSignal | undefined): Promise<Download> {
  const what = subject(cfg, describeUrl(start, cfg.redactor));
  // Each hop is checked before it is requested: redirects are followed one by one.
  const stepwise = cfg.guard !== undefined || checksHosts(cfg);
  return withDeadline(
    cfg.timeoutMs,
    signal,
    async (s, answered) => {
      let url = start;
      for (let hop = 0; ; hop++) {
        await checkGuard(cfg, url, what);
        const fetcher = await route(cfg, url, what);
        const res = await fetcher(url.href, {
          method: 'GET',
          headers: { accept: 'image/png,image/jpeg,image/webp' },
          signal: s,
          redirect: stepwise ? 'manual' : 'follow',
        }).catch((e: unknown) => {
          const refused = forbiddenCause(e);
          throw refused ? forbidden(cfg, what, refused.range) : e;
        });
        answered();
        const redirect = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
        if (stepwise && redirect) {
          await res.body?.cancel().catch(() => undefined);
          if (hop >= MAX_REDIRECTS) {
            throw failure(cfg, 'download.http', `${what} redirected more than ${MAX_REDIRECTS} times.`, {
              status: res.status,
            });
          }
          url = httpUrl(cfg, redirect, url);
          continue;
        }
        if (!res.ok) {
          await res.body?.cancel().catch(() => undefined);
          const status = res.status;
          throw failure(cfg, 'download.http', `${what} answered HTTP ${status}.`, {
            status,
            retryable: status === 408 || status === 429 || status >= 500,
            retryAfterMs: parseRetryAfter(res.headers, undefined, cfg.now()),
          });
        }
        const declared = Number(res.headers.get('content-length'));
        if (declared > cfg.maxBytes) {
          await res.body?.cancel().catch(() => undefined);
          throw tooLarge(cfg, what);
        }
        const bytes = await readCapped(res, cfg.maxBytes);
        if (!bytes) throw tooLarge(cfg, what);
        const mimeType = sniffImageType(bytes);
        if (!mimeType) throw notImage(cfg, what, res.headers.get('content-type'));
        return { bytes, mimeType };
      }
    },
    (f) => transportFailure(cfg, what, f),
  );
}

/**
 * The one path every image download takes (a client's asset and output downloads included):
 * http(s) only, no credentials sent, streamed under a byte cap and a deadline, retried like a read.
 * `config` is what the caller resolved from its options.
 */
export async function download(
  cfg: DownloadConfig,
  url: string | URL,
  signal: AbortSignal | undefined,
): Promise<Download> {
  const target = httpUrl(cfg, url, undefined);
  const label = subject(cfg, describeUrl(target, cfg.redactor));
  return retrying({ retry: cfg.retry, kind: 'read', signal, provider: cfg.provider, label }, () =>
    once(cfg, target, signal),
  );
}

/**
 * Downloads an image from a URL that no provider client made (e.g. a training image given by URL),
 * through the same path as the clients' downloads: http(s) only, streamed under `maxBytes`
 * (default 64 MiB) and `timeoutMs` (default 30 s), retried on 5xx/408/429/timeouts/broken
 * connections, and refused by `guard` if it throws. Fails with a {@link DownloadError}
 * (`download.http`, `download.too-large`, `download.timeout`, ...) or `AbortedError`.
 *
 * @example
 * const { bytes, mimeType } = await downloadImage('https://example.com/cat.png', { signal, maxBytes: 8 * 1024 * 1024 });
 */
export async function downloadImage(url: string | URL, options: DownloadOptions = {}): Promise<Download> {
  const r = optionsSchema.safeParse(options);
  if (!r.success) {
    const issues = toIssues(r.error);
    throw new ValidationError({
      provider: undefined,
      code: 'invalid_request',
      retryable: false,
      requestSent: false,
      issues,
      message: `Invalid options for downloadImage: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`,
    });
  }
  const { fetch, retry, signal, ...limits } = options;
  const cfg = downloadConfig({
    provider: undefined,
    fetch,
    retry: resolveRetryPolicy(retry),
    redactor: undefined,
    limits,
    now: Date.now,
  });
  return download(cfg, url, signal);
}
