import type { z } from 'zod';
import { abortedError, sleepOrAbort } from './clock';
import {
  ConnectionError,
  createProviderError,
  type ProviderError,
  type ProviderIssue,
  type ProviderName,
  ProviderResponseError,
  providerLabel,
  RateLimitError,
  TimeoutError,
  ValidationError,
} from './errors';
import type { Redactor } from './redact';
import { backoffDelay, type RetryPolicy } from './retry';

/**
 * The WHATWG fetch signature every client is built on (a browser's, undici's, or an in-process handler).
 *
 * @example
 * const viaEmulator: FetchLike = (input, init) => emulator.fetch(new Request(input, init));
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * `read`: idempotent (GET, polls) — retried on any retryable error.
 * `create`: may create something remotely — retried only when the server surely did nothing
 * (429, or a connection that was refused before the request was sent).
 *
 * @example
 * const kind: RequestKind = 'create'; // sent once; the journal decides about a second time
 */
export type RequestKind = 'read' | 'create';

export interface HttpConfig {
  provider: ProviderName;
  fetch: FetchLike;
  timeoutMs: number;
  retry: RetryPolicy;
  redactor: Redactor;
  now: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: URL;
  /** Human label for messages, e.g. `GET /models/{modelId}`; never contains a secret after redaction. */
  operation: string;
  kind: RequestKind;
  headers?: Record<string, string>;
  json?: unknown;
  signal?: AbortSignal | undefined;
  /** Read the body as bytes instead of JSON. */
  binary?: boolean;
  /** Looks inside a successful body for an error (ModelsLab's `status:"error"` on HTTP 200). */
  bodyError?: (body: unknown, status: number, headers: Headers) => ProviderError | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
  bytes: Uint8Array | undefined;
}

// Error codes a socket reports when nothing was written: a create may safely be sent again.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseText(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function attempt(config: HttpConfig, req: HttpRequest): Promise<HttpResponse> {
  const { provider, redactor } = config;
  const label = providerLabel(provider);
  const what = redactor.text(req.operation);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeoutMs);
  const onAbort = () => controller.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let stage: 'connect' | 'body' = 'connect';
  try {
    const headers: Record<string, string> = {
      accept: req.binary ? '*/*' : 'application/json',
      ...req.headers,
    };
    const init: RequestInit = { method: req.method, headers, signal: controller.signal };
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(req.json);
    }
    const res = await config.fetch(req.url.toString(), init);
    stage = 'body';
    if (req.binary && res.ok) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body: undefined, bytes };
    }
    const body = parseText(await res.text());
    return { status: res.status, headers: res.headers, body, bytes: undefined };
  } catch (e) {
    if (req.signal?.aborted) throw abortedError(provider, `${label} ${what}`);
    if (timedOut) {
      throw new TimeoutError({
        provider,
        code: 'timeout',
        retryable: true,
        message: `${label} did not answer ${what} within ${config.timeoutMs} ms.`,
      });
    }
    const code = causeCode(e);
    const sent = stage === 'body' || !(code && NOT_SENT.has(code));
    throw new ConnectionError({
      provider,
      code: 'connection',
      retryable: true,
      requestSent: sent,
      message: `${label} could not be reached for ${what}${code ? ` (${code})` : ''}${
        stage === 'body' ? ': the connection broke while reading the answer' : ''
      }.`,
    });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

function mayRetry(err: ProviderError, kind: RequestKind): boolean {
  if (!err.retryable) return false;
  if (kind === 'read') return true;
  // A create is sent again only when the server surely did not act on it.
  return err instanceof RateLimitError || (err instanceof ConnectionError && !err.requestSent);
}

/**
 * Sends one logical request: per-attempt timeout, caller's AbortSignal, the error factory, and
 * retries with full-jitter backoff that honour the vendor's retry-after.
 */
export async function send(config: HttpConfig, req: HttpRequest): Promise<HttpResponse> {
  const { retry } = config;
  const label = `${providerLabel(config.provider)} ${config.redactor.text(req.operation)}`;
  for (let n = 0; ; n++) {
    if (req.signal?.aborted) throw abortedError(config.provider, label);
    let err: ProviderError;
    try {
      const res = await attempt(config, req);
      if (res.status >= 200 && res.status < 300) {
        const inBody = req.bodyError?.(res.body, res.status, res.headers);
        if (!inBody) return res;
        err = inBody;
      } else {
        err =
          req.bodyError?.(res.body, res.status, res.headers) ??
          createProviderError({
            provider: config.provider,
            status: res.status,
            body: res.body,
            headers: res.headers,
            redactor: config.redactor,
            now: config.now(),
            operation: req.operation,
          });
      }
    } catch (e) {
      err = e as ProviderError;
    }
    if (n >= retry.maxRetries || !mayRetry(err, req.kind)) throw err;
    const delay = backoffDelay(retry, n, err.retryAfterMs);
    if (delay > retry.maxRetryAfterMs) throw err;
    await sleepOrAbort(retry.sleep, delay, req.signal, config.provider, label);
  }
}

/** Converts zod issues into provider issues (path, code, sentence). */
export function toIssues(error: z.ZodError, prefix: (string | number)[] = []): ProviderIssue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    code: i.code,
    message: i.message,
  }));
}

function describe(issues: ProviderIssue[]): string {
  const first = issues[0];
  if (!first) return 'unknown problem';
  const where = first.path.length ? first.path.join('.') : '(root)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}

/**
 * Validates a response body; failure becomes a {@link ProviderResponseError} with zod's paths and codes.
 */
export function parseResponse<S extends z.ZodType>(
  schema: S,
  body: unknown,
  provider: ProviderName,
  operation: string,
  redactor: Redactor,
): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issues = redactor.value(toIssues(r.error));
  throw new ProviderResponseError({
    provider,
    code: 'invalid_response',
    retryable: false,
    issues,
    body: redactor.value(body),
    message: `${providerLabel(provider)} sent an answer to ${redactor.text(operation)} that this client does not understand: ${describe(issues)}.`,
  });
}

/**
 * Validates the arguments of a public method; failure throws a {@link ValidationError} before anything is sent.
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  provider: ProviderName,
  operation: string,
  redactor: Redactor,
): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = redactor.value(toIssues(r.error));
  throw new ValidationError({
    provider,
    code: 'invalid_request',
    retryable: false,
    requestSent: false,
    issues,
    message: `Invalid arguments for ${providerLabel(provider)} ${operation}: ${describe(issues)}.`,
  });
}
