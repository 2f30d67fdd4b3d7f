import {
  type Download,
  type DownloadConfig,
  type DownloadLimits,
  download,
  downloadConfig,
} from './download';
import type { AnyEndpoint, EndpointResult, RequestParts } from './endpoint';
import { fillPath } from './endpoint';
import type { ProviderError, ProviderName } from './errors';
import { type FetchLike, type HttpConfig, parseRequest, parseResponse, send } from './http';
import {
  type CallOptions,
  callOptionsSchema,
  type DownloadCallOptions,
  downloadCallOptionsSchema,
  httpConfig,
} from './options';
import { type Redactor, withSecrets } from './redact';
import type { RetryOptions } from './retry';
import { loopbackOrigin } from './url-policy';

// A job's webhook token stays secret while the job can still be polled; the last few hundred calls cover that.
const CALL_SECRETS_KEPT = 512;

/**
 * What a vendor client hands its base: who it is, where it points, how it redacts, and the
 * validated common options.
 *
 * @example
 * super({ provider: 'scenario', baseUrl: o.baseUrl ?? SCENARIO_BASE_URL, redactor, options: o, retry: options.retry });
 */
export interface BaseClientConfig {
  provider: ProviderName;
  baseUrl: string;
  redactor: Redactor;
  options: {
    fetch?: FetchLike | undefined;
    timeoutMs?: number | undefined;
    now?: (() => number) | undefined;
    maxAnswerBytes?: number | undefined;
    download?: { [K in keyof DownloadLimits]?: DownloadLimits[K] | undefined } | undefined;
  };
  retry: RetryOptions | undefined;
}

/**
 * A request about to leave, after validation, for the vendor client to add its credentials to.
 *
 * @example
 * protected authorize(req: OutgoingRequest) { req.headers.authorization = this.#auth; }
 */
export interface OutgoingRequest {
  headers: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/**
 * The one request path both vendor clients share (after openai-node's `APIClient`): an
 * {@link Endpoint} descriptor in, a validated answer out. It validates the call's params, query
 * and body, builds the URL, lets the vendor client authorize, sends with the timeout, abort and
 * retry policy of the endpoint's `kind`, maps failures into the `ProviderError` hierarchy (all
 * redacted), and parses the answer with the endpoint's response schema. Image downloads go
 * through {@link BaseClient.download}, the package's one download path, without credentials.
 *
 * @example
 * class MyVendorClient extends BaseClient {
 *   protected authorize(req: OutgoingRequest) { req.headers.authorization = `Bearer ${key}`; }
 * }
 */
export abstract class BaseClient {
  readonly #http: HttpConfig;
  readonly #baseUrl: string;
  readonly #download: DownloadConfig;
  // Secrets the client's calls carried (webhook URLs and their tokens), most recent last.
  readonly #callSecrets: string[] = [];
  #redactor: Redactor | undefined;

  protected constructor(config: BaseClientConfig) {
    this.#baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.#http = httpConfig(config.provider, config.options, config.retry, config.redactor);
    // The emulator's own loopback origin is the one non-public origin a client downloads from by default.
    this.#download = downloadConfig({
      provider: config.provider,
      fetch: config.options.fetch,
      retry: this.#http.retry,
      redactor: config.redactor,
      limits: config.options.download as DownloadLimits | undefined,
      now: this.#http.now,
      ownOrigin: loopbackOrigin(this.#baseUrl),
    });
  }

  /** Adds the vendor's credentials (and any per-account parameter) to a validated request. */
  protected abstract authorize(request: OutgoingRequest): void;

  /**
   * Finds an error inside an answer's body (ModelsLab's `status:"error"` on HTTP 200); none by default. `redactor`
   * is the call's: the client's, plus the call's own secrets (a webhook token).
   */
  protected bodyError(
    _body: unknown,
    _status: number,
    _headers: Headers,
    _operation: string,
    _redactor: Redactor,
  ): ProviderError | undefined {
    return undefined;
  }

  /** The client's redactor (its credentials and the secrets its calls carried), for what a resource derives from an answer. */
  protected get redactor(): Redactor {
    return this.#redactor ?? this.#http.redactor;
  }

  /** Adds a call's own secrets (a webhook URL's token) to what the client redacts from then on, and answers the redactor. */
  #remember(secrets: readonly string[]): Redactor {
    const fresh = [...new Set(secrets)].filter((s) => !this.#callSecrets.includes(s));
    if (fresh.length === 0) return this.redactor;
    this.#callSecrets.push(...fresh);
    this.#callSecrets.splice(0, Math.max(0, this.#callSecrets.length - CALL_SECRETS_KEPT));
    this.#redactor = withSecrets(this.#http.redactor, this.#callSecrets);
    return this.#redactor;
  }

  /** The clock the client reads retry-after dates with. */
  protected now(): number {
    return this.#http.now();
  }

  /**
   * Calls one endpoint: every resource method is this call with its descriptor. Hosts may call an
   * endpoint the client does not wrap by defining its descriptor.
   *
   * @example
   * const model = await scenario.request(scenarioEndpoints.getModel, { params: { modelId: 'model_x' } });
   */
  async request<E extends AnyEndpoint>(
    endpoint: E,
    parts: RequestParts<E>,
    call?: CallOptions,
  ): Promise<EndpointResult<E>> {
    const { provider } = this.#http;
    const op = endpoint.op;
    let redactor = this.redactor;
    const c = call === undefined ? undefined : parseRequest(callOptionsSchema, call, provider, op, redactor);
    const given = parts as { params?: unknown; query?: unknown; body?: unknown };
    const params = endpoint.params && parseRequest(endpoint.params, given.params, provider, op, redactor);
    const query = endpoint.query && parseRequest(endpoint.query, given.query, provider, op, redactor);
    const body = endpoint.body && parseRequest(endpoint.body, given.body, provider, op, redactor);
    const own = endpoint.secrets?.(body).filter((s) => s.length > 0) ?? [];
    if (own.length > 0) redactor = this.#remember(own);
    const out: OutgoingRequest = { headers: {}, query: { ...(query as object | undefined) }, body };
    this.authorize(out);
    const url = new URL(this.#baseUrl + fillPath(endpoint, params));
    for (const [k, v] of Object.entries(out.query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const config = { ...this.#http, redactor, ...(c?.timeoutMs ? { timeoutMs: c.timeoutMs } : {}) };
    const res = await send(config, {
      method: endpoint.method,
      url,
      operation: op,
      kind: endpoint.kind,
      headers: out.headers,
      json: out.body,
      signal: c?.signal,
      bodyError: (b, status, headers) => this.bodyError(b, status, headers, op, redactor),
    });
    // a later poll's answer may echo an earlier call's webhook URL (ModelsLab's `meta`), so answers pass the redactor too
    const answer = this.#callSecrets.length > 0 ? redactor.value(res.body) : res.body;
    return parseResponse(endpoint.response, answer, provider, op, redactor) as EndpointResult<E>;
  }

  /**
   * Downloads an image the vendor pointed to, without the client's credentials, through the
   * package's one download path (see `downloadImage`): the client's `download` limits
   * (64 MiB, 30 s by default; `call.timeoutMs` overrides the time, `call.maxBytes` lowers the size), its fetch
   * and retry policy.
   *
   * @example
   * const { bytes, mimeType } = await modelslab.download(result.output[0]!, { signal });
   */
  async download(url: string | URL, call?: DownloadCallOptions): Promise<Download> {
    const { provider, redactor } = this.#http;
    const c =
      call === undefined
        ? undefined
        : parseRequest(downloadCallOptionsSchema, call, provider, 'download', redactor);
    const cfg = {
      ...this.#download,
      ...(c?.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
      ...(c?.maxBytes ? { maxBytes: Math.min(c.maxBytes, this.#download.maxBytes) } : {}),
    };
    return download(cfg, url, c?.signal);
  }
}

/**
 * The base of a client's resources (`scenario.models`, `modelslab.images`, ...): each method is a
 * `this.client.request(endpoint, parts)` call.
 *
 * @example
 * class Jobs extends Resource { get(jobId: string) { return this.client.request(getJob, { params: { jobId } }); } }
 */
export abstract class Resource {
  protected readonly client: BaseClient;
  constructor(client: BaseClient) {
    this.client = client;
  }
}
