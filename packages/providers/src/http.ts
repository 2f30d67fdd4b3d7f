import type { z } from 'zod';
import { readCapped } from './capped-read';
import { abortedError, sleepOrAbort } from './clock';
import {
  ConnectionError,
  createProviderError,
  ProviderError,
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
  /** Largest answer body read, in bytes: a larger 2xx answer is `provider.answer-too-large`, a larger error body is dropped. */
  maxAnswerBytes: number;
}

/**
 * The HTTP methods the endpoints use.
 *
 * @example
 * const method: HttpMethod = 'PUT';
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  /** Human label for messages, e.g. `GET /models/{modelId}`; never contains a secret after redaction. */
  operation: string;
  kind: RequestKind;
  headers?: Record<string, string>;
  json?: unknown;
  signal?: AbortSignal | undefined;
  /** Looks inside a successful body for an error (ModelsLab's `status:"error"` on HTTP 200). */
  bodyError?: (body: unknown, status: number, headers: Headers) => ProviderError | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
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

/**
 * Why an attempt ended without an answer: the caller aborted, the deadline passed, or the
 * connection failed (`code` from the socket; `sent` false when nothing reached the server;
 * `answered` true when it broke while the body was being read).
 */
export interface TransportFailure {
  kind: 'aborted' | 'timeout' | 'connection';
  code: string | undefined;
  sent: boolean;
  answered: boolean;
}

/**
 * Runs one attempt under a deadline and the caller's signal: `run` gets the signal to hand to
 * fetch and calls `answered()` once the headers are in. A {@link ProviderError} that `run` throws
 * passes through; anything else becomes `fail(failure)`.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal, answered: () => void) => Promise<T>,
  fail: (failure: TransportFailure) => Error,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let answered = false;
  try {
    return await run(controller.signal, () => {
      answered = true;
    });
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    const code = causeCode(e);
    const kind = signal?.aborted ? 'aborted' : timedOut ? 'timeout' : 'connection';
    throw fail({ kind, code, answered, sent: answered || !(code && NOT_SENT.has(code)) });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function transportError(config: HttpConfig, what: string, f: TransportFailure): ProviderError {
  const { provider } = config;
  const label = providerLabel(provider);
  if (f.kind === 'aborted') return abortedError(provider, `${label} ${what}`);
  if (f.kind === 'timeout') {
    return new TimeoutError({
      provider,
      code: 'timeout',
      retryable: true,
      message: `${label} did not answer ${what} within ${config.timeoutMs} ms.`,
    });
  }
  return new ConnectionError({
    provider,
    code: 'connection',
    retryable: true,
    requestSent: f.sent,
    message: `${label} could not be reached for ${what}${f.code ? ` (${f.code})` : ''}${
      f.answered ? ': the connection broke while reading the answer' : ''
    }.`,
  });
}

// A browser's manual redirect is opaque (status 0, no Location); Node's shows both.
function redirectError(config: HttpConfig, what: string, r: Response): ProviderError {
  const label = providerLabel(config.provider);
  const location = r.headers.get('location');
  let where = 'another address';
  try {
    if (location)
      where = new URL(location, 'http://x.invalid').origin.replace('http://x.invalid', 'the same host');
  } catch {
    // an unparseable Location is still a redirect; only its description is lost
  }
  return new ProviderError({
    provider: config.provider,
    code: 'redirect',
    retryable: false,
    ...(r.status ? { status: r.status } : {}),
    message: `${label} answered ${what} with a redirect${r.status ? ` (${r.status})` : ''} to ${where}; it was not followed, so the request and its credentials went nowhere else. Check the client's baseUrl.`,
  });
}

function answerTooLarge(config: HttpConfig, what: string, status: number): ProviderError {
  const mib = Math.round((config.maxAnswerBytes / (1024 * 1024)) * 100) / 100;
  return new ProviderResponseError({
    provider: config.provider,
    code: 'provider.answer-too-large',
    retryable: false,
    status,
    message: `${providerLabel(config.provider)} answered ${what} with more than ${mib} MiB (maxAnswerBytes ${config.maxAnswerBytes}); the answer was not read.`,
  });
}

/**
 * Reads an answer's body under the client's byte cap (the deadline around it bounds its time). A success that is too
 * large is refused; an error's body that is too large is dropped, so the status alone classifies it (a 503 stays retryable).
 */
async function readAnswer(config: HttpConfig, what: string, r: Response): Promise<unknown> {
  const success = r.status >= 200 && r.status < 300;
  const declared = Number(r.headers.get('content-length'));
  const declaredTooLarge = declared > config.maxAnswerBytes;
  if (declaredTooLarge) await r.body?.cancel().catch(() => undefined);
  const bytes = declaredTooLarge ? undefined : await readCapped(r, config.maxAnswerBytes);
  if (bytes) return parseText(new TextDecoder().decode(bytes));
  if (success) throw answerTooLarge(config, what, r.status);
  return undefined;
}

async function attempt(config: HttpConfig, req: HttpRequest): Promise<HttpResponse> {
  const what = config.redactor.text(req.operation);
  const res = await withDeadline(
    config.timeoutMs,
    req.signal,
    async (signal, answered) => {
      const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
      // Never followed: a 307/308 would re-send the body and credentials to whatever origin it names.
      const init: RequestInit = { method: req.method, headers, signal, redirect: 'manual' };
      if (req.json !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(req.json);
      }
      const r = await config.fetch(req.url.toString(), init);
      answered();
      if (r.type === 'opaqueredirect' || (r.status >= 300 && r.status < 400)) {
        await r.body?.cancel();
        throw redirectError(config, what, r);
      }
      return { status: r.status, headers: r.headers, body: await readAnswer(config, what, r) };
    },
    (f) => transportError(config, what, f),
  );
  const inBody = req.bodyError?.(res.body, res.status, res.headers);
  if (res.status >= 200 && res.status < 300 && !inBody) return res;
  throw (
    inBody ??
    createProviderError({
      provider: config.provider,
      status: res.status,
      body: res.body,
      headers: res.headers,
      redactor: config.redactor,
      now: config.now(),
      operation: req.operation,
    })
  );
}

function mayRetry(err: ProviderError, kind: RequestKind): boolean {
  if (!err.retryable) return false;
  if (kind === 'read') return true;
  // A create is sent again only when the server surely did not act on it.
  return err instanceof RateLimitError || (err instanceof ConnectionError && !err.requestSent);
}

/**
 * Runs `once` until it succeeds or fails for good: retryable {@link ProviderError}s of a read are
 * tried again, a create only when the server surely did nothing; full-jitter backoff, or the
 * vendor's retry-after when it gives one (and the error when that is over `maxRetryAfterMs`).
 */
export async function retrying<T>(
  o: {
    retry: RetryPolicy;
    kind: RequestKind;
    signal: AbortSignal | undefined;
    provider: ProviderName | undefined;
    label: string;
  },
  once: () => Promise<T>,
): Promise<T> {
  const { retry } = o;
  for (let n = 0; ; n++) {
    if (o.signal?.aborted) throw abortedError(o.provider, o.label);
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof ProviderError) || n >= retry.maxRetries || !mayRetry(e, o.kind)) throw e;
      const delay = backoffDelay(retry, n, e.retryAfterMs);
      if (delay > retry.maxRetryAfterMs) throw e;
      await sleepOrAbort(retry.sleep, delay, o.signal, o.provider, o.label);
    }
  }
}

/**
 * Sends one logical API request: per-attempt timeout, caller's AbortSignal, the error factory, and
 * retries with full-jitter backoff that honour the vendor's retry-after.
 */
export async function send(config: HttpConfig, req: HttpRequest): Promise<HttpResponse> {
  const label = `${providerLabel(config.provider)} ${config.redactor.text(req.operation)}`;
  return retrying(
    { retry: config.retry, kind: req.kind, signal: req.signal, provider: config.provider, label },
    () => attempt(config, req),
  );
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
