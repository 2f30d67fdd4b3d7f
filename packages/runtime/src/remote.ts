import { type GraphDocument, type Issue, sniffImageType } from '@loraflow/core';
import { z } from 'zod/mini';
import { parseInEnglish, RUNTIME_CODES, RuntimeError } from './errors';
import type { ModelPage, ModelQuery } from './models';
import type { RemoteClient } from './remote-runs';
import type { ExplainEntry, NodeCatalogue, RunEstimate, Runtime } from './types';

// What a runtime's HTTP handler answers, checked before a caller (the editor) relies on it; loose,
// so a newer server may add fields. zod/mini, not classic: this client ships in the editor's page.
const issueSchema = z.looseObject({
  path: z.array(z.union([z.string(), z.number()])),
  code: z.string(),
  message: z.string(),
});
const refusalIssues = z.array(issueSchema);
const answers = {
  catalogue: z.looseObject({
    nodes: z.array(z.looseObject({ type: z.string() })),
    types: z.array(z.looseObject({ kind: z.string() })),
  }),
  validate: z.looseObject({ ok: z.boolean(), issues: z.array(issueSchema) }),
  explain: z.looseObject({
    nodes: z.array(
      z.looseObject({
        nodeId: z.string(),
        willRun: z.boolean(),
        reason: z.looseObject({ code: z.string(), message: z.string() }),
      }),
    ),
  }),
  estimate: z.looseObject({
    // each node is its explain entry too: the editor reads why a node will run from estimate alone
    nodes: z.array(
      z.looseObject({
        nodeId: z.string(),
        willRun: z.boolean(),
        type: z.string(),
        reason: z.looseObject({ code: z.string(), message: z.string() }),
      }),
    ),
    totals: z.record(z.string(), z.number()),
    willRun: z.int(),
    fromCache: z.int(),
    unknownCosts: z.optional(z.int()),
  }),
  started: z.looseObject({ runId: z.string().check(z.minLength(1)), after: z.int().check(z.minimum(0)) }),
  models: z.looseObject({
    models: z.array(
      z.looseObject({
        id: z.string(),
        name: z.string(),
        provider: z.string(),
        kind: z.enum(['lora', 'base']),
        thumbnail: z.optional(z.string()),
      }),
    ),
    nextCursor: z.optional(z.string()),
    skipped: z.optional(z.int().check(z.minimum(0))),
  }),
};

/**
 * Options of {@link createRemoteRuntime}.
 *
 * @example
 * const options: RemoteRuntimeOptions = { baseUrl: '/loraflow', headers: { authorization: `Bearer ${token}` } };
 */
export interface RemoteRuntimeOptions {
  /** Where the runtime's HTTP handler is mounted, e.g. `https://example.com/loraflow` or `/loraflow`. */
  baseUrl: string;
  /** The fetch to use (default the global one); tests and hosts with custom agents pass theirs. */
  fetch?: typeof fetch;
  /** Sent with every request, e.g. a session token for the host's `authorize` hook. */
  headers?: Record<string, string>;
  /** The runtime's bearer token (`loraflow serve` prints it; a handler's `token` option): sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Wait before reconnecting a dropped event stream (default: what the server says, else 1 s). */
  reconnectDelayMs?: number;
  /** Consecutive failed reconnections before the event stream gives up (default 10). */
  maxReconnects?: number;
}

/**
 * A {@link Runtime} that drives a runtime on a server through its HTTP handler: the browser editor uses it so the
 * provider keys stay on the server. Event streams are server-sent events, parsed with `eventsource-parser`, and a
 * dropped stream reconnects with `Last-Event-ID` so no event is lost or seen twice.
 *
 * @example
 * const runtime = createRemoteRuntime({ baseUrl: '/loraflow', headers: { authorization: `Bearer ${token}` } });
 * const handle = await runtime.run(doc);
 * handle.subscribe((e) => console.log(e.type));
 * console.log((await handle.result).status);
 */
// long because it is wiring: the remote runtime's methods share this closure's base URL, headers and reconnect budget, and each is short
export function createRemoteRuntime(options: RemoteRuntimeOptions): Runtime {
  if (typeof options?.baseUrl !== 'string' || !/^(https?:\/\/[^/]|\/)/.test(options.baseUrl)) {
    throw new TypeError('createRemoteRuntime: baseUrl must be an http(s) URL or a path starting with "/".');
  }
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch =
    options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const maxReconnects = options.maxReconnects ?? 10;

  // the token goes in a header only, never in a URL, where logs and proxies would keep it
  const authHeaders: Record<string, string> = {
    ...options.headers,
    ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
  };

  async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, init);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new RuntimeError(
        RUNTIME_CODES.remoteUnreachable,
        `Could not reach the runtime at ${base} (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, body);
    try {
      return (await response.json()) as T;
    } catch {
      throw new RuntimeError(
        RUNTIME_CODES.remoteProtocol,
        `The runtime answered ${method} ${path} with something that is not JSON.`,
      );
    }
  }

  /** A JSON answer checked against its shape: a malformed one is a `remote.protocol` error naming where, not a crash later. */
  async function checked<T>(
    schema: z.core.$ZodType,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const value = await json<unknown>(method, path, body);
    const result = parseInEnglish(schema, value);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const at = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw new RuntimeError(
        RUNTIME_CODES.remoteProtocol,
        `The runtime answered ${method} ${path} with something malformed${at}: ${issue.message}.`,
      );
    }
    // the value itself (zod's copy would drop fields a newer server added)
    return value as T;
  }

  const client: RemoteClient = {
    base,
    doFetch,
    authHeaders,
    reconnectDelayMs: options.reconnectDelayMs,
    maxReconnects,
    send,
    checked,
    errorOf,
  };
  // the run side loads on first use (a run, a resume, the run history), once
  let runsSide: Promise<ReturnType<typeof import('./remote-runs').remoteRuns>> | undefined;
  const runs = () => {
    runsSide ??= import('./remote-runs').then((m) => m.remoteRuns(client));
    return runsSide;
  };

  return {
    catalogue: () => checked<NodeCatalogue>(answers.catalogue, 'GET', '/nodes'),
    validate: (doc) =>
      checked<{ ok: boolean; issues: Issue[] }>(answers.validate, 'POST', '/validate', { graph: doc }),
    async explain(doc, o = {}) {
      return (
        await checked<{ nodes: ExplainEntry[] }>(
          answers.explain,
          'POST',
          '/explain',
          graphBody(doc, o.targets),
        )
      ).nodes;
    },
    estimate: (doc, o = {}) =>
      checked<RunEstimate>(answers.estimate, 'POST', '/estimate', graphBody(doc, o.targets)),
    async run(doc, o = {}) {
      const { runId, after } = await checked<{ runId: string; after: number }>(
        answers.started,
        'POST',
        '/runs',
        o.refresh ? { ...graphBody(doc, o.targets), refresh: o.refresh } : graphBody(doc, o.targets),
      );
      return (await runs()).handle(runId, after, o.signal);
    },
    async resume(runId, o = {}) {
      const answer = await checked<{ runId: string; after: number }>(
        answers.started,
        'POST',
        `/runs/${encodeURIComponent(runId)}/resume`,
      );
      return (await runs()).handle(answer.runId, answer.after, o.signal);
    },
    async cancel(runId) {
      await send('POST', `/runs/${encodeURIComponent(runId)}/cancel`);
    },
    getRun: async (runId) => (await runs()).getRun(runId),
    listRuns: async (o = {}) => (await runs()).listRuns(o.limit),
    async *events(runId, o = {}) {
      yield* (await runs()).events(runId, o.after ?? 0, o.signal);
    },
    models: (query = {}) => checked<ModelPage>(answers.models, 'GET', `/models${modelSearch(query)}`),
    async modelThumbnail(ref) {
      try {
        const response = await send('GET', `/models/thumbnail?ref=${encodeURIComponent(ref)}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        // the server sniffed already; a proxy in between could still swap the body
        return sniffImageType(bytes) ? bytes : undefined;
      } catch (error) {
        if (error instanceof RuntimeError && error.code === RUNTIME_CODES.blobNotFound) return undefined;
        throw error;
      }
    },
    async getBlob(hash) {
      try {
        const response = await send('GET', `/blobs/${encodeURIComponent(hash)}`);
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        if (error instanceof RuntimeError && error.code === RUNTIME_CODES.blobNotFound) return undefined;
        throw error;
      }
    },
  };
}

/** A model query as URL search parameters (the server checks them with the same schema). */
function modelSearch(query: ModelQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function graphBody(doc: GraphDocument, targets: string[] | undefined) {
  return targets ? { graph: doc, targets } : { graph: doc };
}

async function errorOf(response: Response): Promise<RuntimeError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)
    ?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new RuntimeError(
      error.code,
      error.message,
      // a caller walks issues' paths: ones that are not issues are left out, the code and sentence kept
      refusalIssues.safeParse(error.issues).success ? (error.issues as Issue[]) : undefined,
    );
  }
  return new RuntimeError(
    RUNTIME_CODES.remoteProtocol,
    `The runtime answered HTTP ${response.status} without an error body.`,
  );
}
