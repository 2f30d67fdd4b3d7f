import { type Issue, parseSchema } from '@loraflow/core';
import type { z } from 'zod/mini';

/**
 * The stable codes a runtime answers with, locally and over HTTP; hosts may match on them.
 *
 * @example
 * if (error instanceof RuntimeError && error.code === RUNTIME_CODES.runNotFound) showGone();
 */
export const RUNTIME_CODES = {
  graphInvalid: 'graph.invalid',
  graphSecret: 'graph.contains-secret',
  runNotFound: 'run.not-found',
  runActive: 'run.active',
  /** A worker's take-up (`resume(id, { unlessEnded: true })`) of a run that has ended meanwhile. */
  runEnded: 'run.ended',
  runLeaseLost: 'run.lease-lost',
  blobNotFound: 'blob.not-found',
  requestInvalid: 'request.invalid',
  requestTooLarge: 'request.too-large',
  routeNotFound: 'route.not-found',
  internal: 'runtime.internal',
  remoteUnreachable: 'remote.unreachable',
  remoteProtocol: 'remote.protocol',
  storeUnavailable: 'store.unavailable',
  runtimeStopping: 'runtime.stopping',
  /** The host's `credentials(request)` hook refused the request (threw, or answered nothing). */
  tenantUnauthorized: 'tenant.unauthorized',
  /** The host's `credentials(request)` hook (or `credentialsFor`) answered something that is not tenant credentials. */
  tenantCredentialsInvalid: 'tenant.credentials-invalid',
  /** A tenant's run cannot be resumed: no request brought its keys and `tenants.credentialsFor` gave none. */
  tenantCredentialsUnavailable: 'tenant.credentials-unavailable',
  modelsUnavailable: 'models.unavailable',
} as const;

const STATUS: Record<string, number> = {
  [RUNTIME_CODES.graphInvalid]: 422,
  [RUNTIME_CODES.graphSecret]: 422,
  [RUNTIME_CODES.runNotFound]: 404,
  [RUNTIME_CODES.runActive]: 409,
  [RUNTIME_CODES.runEnded]: 409,
  [RUNTIME_CODES.runLeaseLost]: 409,
  [RUNTIME_CODES.blobNotFound]: 404,
  [RUNTIME_CODES.requestInvalid]: 400,
  [RUNTIME_CODES.requestTooLarge]: 413,
  [RUNTIME_CODES.routeNotFound]: 404,
  [RUNTIME_CODES.storeUnavailable]: 503,
  [RUNTIME_CODES.runtimeStopping]: 503,
  [RUNTIME_CODES.tenantUnauthorized]: 401,
  [RUNTIME_CODES.tenantCredentialsInvalid]: 403,
  [RUNTIME_CODES.tenantCredentialsUnavailable]: 409,
  // a provider behind the runtime failed, not the runtime itself
  [RUNTIME_CODES.modelsUnavailable]: 502,
};

/**
 * What a runtime throws for an expected refusal (an invalid graph, an unknown run): a stable code, a sentence, and the
 * issues when there are some. The remote client rebuilds the same error from the HTTP answer.
 *
 * @example
 * try { await runtime.run(doc); } catch (e) { if (e instanceof RuntimeError) show(e.code, e.message, e.issues); }
 */
export class RuntimeError extends Error {
  readonly code: string;
  readonly issues: Issue[] | undefined;
  constructor(code: string, message: string, issues?: Issue[]) {
    super(message);
    this.name = 'RuntimeError';
    this.code = code;
    this.issues = issues;
  }
  /** The HTTP status this error is answered with. */
  get status(): number {
    return STATUS[this.code] ?? 500;
  }
}

/**
 * zod's issues as the runtime answers them: each with its path (under `prefix`), the given code, and zod's sentence,
 * which names the rule broken, never the input.
 *
 * @example
 * const issues = issuesOf(parsed.error.issues, RUNTIME_CODES.requestInvalid, ['query']);
 */
export function issuesOf(
  issues: readonly z.core.$ZodIssue[],
  code: string,
  prefix: readonly (string | number)[] = [],
): Issue[] {
  return issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    code,
    message: i.message,
  }));
}

/**
 * Core's `parseSchema` under the name the runtime's callers know: any zod 4 schema, English sentences, no
 * global config touched. Kept as an alias so one error-map fallback serves core, runtime and editor.
 *
 * @example
 * const r = parseInEnglish(runEventSchema, value);
 * if (!r.success) issuesOf(r.error.issues, RUNTIME_CODES.remoteProtocol);
 */
export const parseInEnglish = parseSchema;
