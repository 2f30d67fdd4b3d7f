import type { Redactor } from './redact';

/**
 * The vendor an error or request belongs to.
 *
 * @example
 * const who: ProviderName = error.provider; // 'scenario' | 'modelslab'
 */
export type ProviderName = 'scenario' | 'modelslab';

/**
 * One problem found while validating a request or a response: a JSON path, a stable code and a sentence.
 *
 * @example
 * for (const i of error.issues) console.log(i.path.join('.'), i.code, i.message);
 */
export interface ProviderIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

/**
 * Fields every provider error carries; built by {@link createProviderError} or the client itself.
 *
 * @example
 * new ProviderError({ provider: 'scenario', code: 'conflict', retryable: false, message: 'Model is busy.' });
 */
export interface ProviderErrorInit {
  provider: ProviderName | undefined;
  message: string;
  code: string;
  retryable: boolean;
  status?: number | undefined;
  reason?: string | undefined;
  body?: unknown;
  retryAfterMs?: number | undefined;
  issues?: ProviderIssue[] | undefined;
  /** False when the request never left this process (so even a create may be sent again). */
  requestSent?: boolean | undefined;
}

/**
 * The base of every error a provider client throws. Its message, reason and body have been redacted:
 * they never contain an API key or secret.
 *
 * @example
 * try { await client.getModel('model_x'); }
 * catch (e) { if (e instanceof ProviderError && e.retryable) scheduleRetry(e.retryAfterMs); }
 */
export class ProviderError extends Error {
  static {
    // On the prototype, so the stack's first line already names the class.
    ProviderError.prototype.name = 'ProviderError';
  }
  /** Which vendor answered (or was being called); undefined only for a {@link downloadImage} made without a client. */
  readonly provider: ProviderName | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** Stable machine-readable code, e.g. `rate_limited`, `not_found`, `invalid_response`. */
  readonly code: string;
  /** Whether sending the same request again later may succeed. */
  readonly retryable: boolean;
  /** The vendor's own explanation (`reason`, `message` or `messege`), redacted. */
  readonly reason: string | undefined;
  /** The parsed response body, redacted. */
  readonly body: unknown;
  /** How long the vendor asked us to wait before retrying, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Validation problems with their JSON paths (request or response validation). */
  readonly issues: ProviderIssue[];
  /** False when the request certainly never reached the server. */
  readonly requestSent: boolean;

  constructor(init: ProviderErrorInit) {
    super(init.message);
    this.provider = init.provider;
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
    this.reason = init.reason;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs;
    this.issues = init.issues ?? [];
    this.requestSent = init.requestSent ?? true;
  }

  /** A plain, JSON-safe description (used by logs and run events). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      provider: this.provider,
      status: this.status,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      reason: this.reason,
      retryAfterMs: this.retryAfterMs,
      issues: this.issues,
    };
  }
}

/**
 * 401: the key (or key and secret) were refused.
 * @example if (e instanceof AuthenticationError) askForNewCredentials();
 */
export class AuthenticationError extends ProviderError {
  static {
    AuthenticationError.prototype.name = 'AuthenticationError';
  }
}
/**
 * 403: the credentials are valid but may not touch this resource or project.
 * @example if (e instanceof PermissionError) showProjectHint();
 */
export class PermissionError extends ProviderError {
  static {
    PermissionError.prototype.name = 'PermissionError';
  }
}
/**
 * 404: the model, job, asset or request id does not exist (for these credentials).
 * @example if (e instanceof NotFoundError) forgetCachedModel();
 */
export class NotFoundError extends ProviderError {
  static {
    NotFoundError.prototype.name = 'NotFoundError';
  }
}
/**
 * 400/422 from the vendor, or a request this client refused to send; `reason` and `issues` say why.
 * @example if (e instanceof ValidationError) console.log(e.reason, e.issues);
 */
export class ValidationError extends ProviderError {
  static {
    ValidationError.prototype.name = 'ValidationError';
  }
}
/**
 * 402: the account has no credits (ModelsLab) or a plan limit was hit.
 * @example if (e instanceof InsufficientCreditsError) linkToBilling();
 */
export class InsufficientCreditsError extends ProviderError {
  static {
    InsufficientCreditsError.prototype.name = 'InsufficientCreditsError';
  }
}
/**
 * 429: too many requests or too many queued jobs; `retryAfterMs` comes from `Retry-After` or `retry_after`.
 * @example if (e instanceof RateLimitError) await sleep(e.retryAfterMs ?? 1000);
 */
export class RateLimitError extends ProviderError {
  static {
    RateLimitError.prototype.name = 'RateLimitError';
  }
}
/**
 * 5xx: the vendor failed; the request may or may not have taken effect.
 * @example if (e instanceof ServerError && e.retryable) retryLater();
 */
export class ServerError extends ProviderError {
  static {
    ServerError.prototype.name = 'ServerError';
  }
}
/**
 * The connection failed (refused, reset, DNS); `requestSent` says whether the request may have arrived.
 * @example if (e instanceof ConnectionError && !e.requestSent) sendAgain();
 */
export class ConnectionError extends ProviderError {
  static {
    ConnectionError.prototype.name = 'ConnectionError';
  }
}
/**
 * A request or a wait exceeded its time limit (`code` is `timeout` or `wait_timeout`).
 * @example if (e instanceof TimeoutError) increaseTimeout();
 */
export class TimeoutError extends ProviderError {
  static {
    TimeoutError.prototype.name = 'TimeoutError';
  }
}
/**
 * The caller's AbortSignal fired; never retried.
 * @example controller.abort(); // the pending call rejects with AbortedError
 */
export class AbortedError extends ProviderError {
  static {
    AbortedError.prototype.name = 'AbortedError';
  }
}
/**
 * The vendor answered with a body this client cannot understand; `issues` carry zod's paths and codes.
 * @example if (e instanceof ProviderResponseError) report(e.issues);
 */
export class ProviderResponseError extends ProviderError {
  static {
    ProviderResponseError.prototype.name = 'ProviderResponseError';
  }
}

/**
 * The stable codes of a {@link DownloadError}: the answer was not 2xx (`download.http`, with
 * `status`), the body passed `maxBytes` (`download.too-large`), the download outlasted `timeoutMs`
 * (`download.timeout`), the host could not be reached or the connection broke
 * (`download.connection`), the URL is not http(s) (`download.invalid-url`), the `guard` refused
 * it without an error of its own (`download.refused`), the host (or a redirect's) resolves to a
 * loopback, private, link-local, multicast or unspecified address (`url.forbidden`), or the bytes
 * are not a PNG, JPEG or WebP image whatever the server claimed (`download.not-image`).
 *
 * @example
 * if (e instanceof DownloadError && e.code === 'download.too-large') askForASmallerImage();
 */
export type DownloadErrorCode =
  | 'download.http'
  | 'download.too-large'
  | 'download.timeout'
  | 'download.connection'
  | 'download.invalid-url'
  | 'download.refused'
  | 'download.not-image'
  | 'url.forbidden';

/**
 * An image download failed (see {@link DownloadErrorCode}); cancellation is an {@link AbortedError}.
 * Its message names the URL without its query string (signed URLs carry their signature there).
 *
 * @example
 * try { await downloadImage(url); } catch (e) { if (e instanceof DownloadError && e.retryable) later(); }
 */
export class DownloadError extends ProviderError {
  static {
    DownloadError.prototype.name = 'DownloadError';
  }
  declare readonly code: DownloadErrorCode;
  constructor(init: ProviderErrorInit & { code: DownloadErrorCode }) {
    super(init);
  }
}

const LABEL: Record<ProviderName, string> = { scenario: 'Scenario', modelslab: 'ModelsLab' };

/** The human name of a provider, for messages. */
export function providerLabel(provider: ProviderName): string {
  return LABEL[provider];
}

/** Reads the vendor's explanation from an error body: `reason`, `message`, `messege`, `error` or a text body. */
export function vendorReason(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() ? body.trim().slice(0, 500) : undefined;
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['reason', 'message', 'messege', 'error', 'detail']) {
      const v = o[k];
      if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 500);
      if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') {
        return String((v as Record<string, unknown>).message).slice(0, 500);
      }
    }
  }
  return undefined;
}

/**
 * Parses a retry hint in milliseconds from `retry-after-ms`, `Retry-After` (seconds or an HTTP date)
 * or ModelsLab's `retry_after` body field (seconds).
 *
 * @example
 * parseRetryAfter(new Headers({ 'retry-after': '3' }), undefined, Date.now()); // 3000
 */
export function parseRetryAfter(
  headers: Headers | undefined,
  body: unknown,
  now: number,
): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const ra = headers?.get('retry-after')?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  if (body && typeof body === 'object') {
    const v = (body as Record<string, unknown>).retry_after;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return Math.round(n * 1000);
  }
  return undefined;
}

/**
 * What the factory needs to classify an HTTP answer.
 *
 * @example
 * createProviderError({ provider: 'modelslab', status: 429, body, headers: res.headers, redactor });
 */
export interface ErrorFactoryInput {
  provider: ProviderName;
  status: number;
  body: unknown;
  headers?: Headers | undefined;
  redactor: Redactor;
  now?: number;
  /** What was being done, e.g. `GET /models/{id}`, for the message. */
  operation?: string | undefined;
}

/**
 * The one factory that turns an HTTP status, body and headers into the right {@link ProviderError}
 * subclass, with the vendor's reason and every secret redacted.
 *
 * @example
 * const err = createProviderError({ provider: 'scenario', status: 404, body: { reason: 'Model m not found' }, redactor });
 * err instanceof NotFoundError; // true
 */
export function createProviderError(input: ErrorFactoryInput): ProviderError {
  const { provider, status, redactor } = input;
  const body = redactor.value(input.body);
  const reason = vendorReason(body);
  const retryAfterMs = parseRetryAfter(input.headers, body, input.now ?? Date.now());
  const what = input.operation ? ` to ${redactor.text(input.operation)}` : '';
  const base = {
    provider,
    status,
    body,
    reason,
    retryAfterMs,
  } as const;
  const msg = (text: string) => `${LABEL[provider]} answered ${status}${what}: ${reason ?? text}`;
  if (status === 401) {
    return new AuthenticationError({
      ...base,
      code: 'authentication',
      retryable: false,
      message: msg('the credentials were refused; check the API key and secret'),
    });
  }
  if (status === 402) {
    return new InsufficientCreditsError({
      ...base,
      code: 'insufficient_credits',
      retryable: false,
      message: msg('the account has no credits left'),
    });
  }
  if (status === 403) {
    return new PermissionError({
      ...base,
      code: 'permission',
      retryable: false,
      message: msg('these credentials may not access this resource or project'),
    });
  }
  if (status === 404) {
    return new NotFoundError({ ...base, code: 'not_found', retryable: false, message: msg('not found') });
  }
  if (status === 400 || status === 422) {
    return new ValidationError({
      ...base,
      code: 'validation',
      retryable: false,
      message: msg('the request was rejected as invalid'),
    });
  }
  if (status === 429) {
    return new RateLimitError({
      ...base,
      code: 'rate_limited',
      retryable: true,
      message: msg('too many requests; slow down and retry later'),
    });
  }
  if (status >= 500) {
    return new ServerError({
      ...base,
      code: 'server',
      retryable: true,
      message: msg('the service failed; it may succeed if retried'),
    });
  }
  return new ProviderError({
    ...base,
    code: status === 408 ? 'timeout' : status === 409 ? 'conflict' : 'http_error',
    retryable: status === 408,
    message: msg('unexpected HTTP status'),
  });
}

/**
 * Maps a ModelsLab `status:"error"` body (often sent with HTTP 200) into the same hierarchy, by message.
 *
 * @example
 * modelsLabBodyError({ status: 'error', message: 'Invalid API key' }, redactor) instanceof AuthenticationError; // true
 */
export function modelsLabBodyError(
  body: unknown,
  redactor: Redactor,
  httpStatus: number,
  now = Date.now(),
  operation?: string,
  headers?: Headers,
): ProviderError {
  const reason = (vendorReason(redactor.value(body)) ?? '').toLowerCase();
  let status = 400;
  if (httpStatus >= 400) status = httpStatus;
  else if (/api key|unauthori[sz]ed|invalid key/.test(reason)) status = 401;
  else if (/credit|balance|wallet|subscription/.test(reason)) status = 402;
  else if (/rate limit|too many|queued requests/.test(reason)) status = 429;
  else if (/not found|does not exist|no such/.test(reason)) status = 404;
  else if (/server error|internal|try again later|unavailable/.test(reason)) status = 500;
  return createProviderError({ provider: 'modelslab', status, body, headers, redactor, now, operation });
}
