import { z } from 'zod';
import type { HttpMethod, RequestKind } from './http';

type Schema = z.ZodType;

/**
 * One API endpoint as data: method, path template, the schemas of its path parameters, query,
 * body and answer, and whether it may be sent again after a failure (`kind`). A client's
 * `request(endpoint, parts)` does the rest (URL, auth, validation both ways, retries, errors), so
 * a new endpoint is a descriptor, not another copy of the plumbing.
 *
 * The schemas' outputs are what goes on the wire (query values, JSON body) and what the call
 * returns (the answer): a transform there maps camelCase arguments to the vendor's fields, or
 * unwraps `{ model }` into the model.
 *
 * @example
 * const getModel = defineEndpoint({
 *   method: 'GET', path: '/models/{modelId}', kind: 'read',
 *   params: z.object({ modelId: z.string().min(1) }),
 *   response: z.looseObject({ model: modelSchema }).transform((b) => b.model),
 * });
 * const model = await scenario.request(getModel, { params: { modelId: 'model_x' } });
 */
export interface Endpoint<
  P extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  B extends Schema | undefined = Schema | undefined,
  R extends Schema = Schema,
> {
  readonly method: HttpMethod;
  /** The path below the client's base URL, with `{name}` placeholders filled from `params`. */
  readonly path: string;
  /** The label in messages, `METHOD /path/{name}` (never a filled path, which may hold an id the user typed). */
  readonly op: string;
  /** `read`: safe to repeat, retried on any retryable error; `create`: retried only when surely not received. */
  readonly kind: RequestKind;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly response: R;
  /** Values of a validated body that are secrets of this one call (a webhook URL's token): redacted like the key. */
  readonly secrets: ((body: unknown) => readonly string[]) | undefined;
  /** The path split at its placeholders: literal, name, literal, name, ..., literal. */
  readonly segments: readonly string[];
}

/**
 * Any endpoint, whatever its schemas.
 *
 * @example
 * function label(e: AnyEndpoint) { return e.op; }
 */
export type AnyEndpoint = Endpoint<Schema | undefined, Schema | undefined, Schema | undefined, Schema>;

type Part<K extends string, S> = S extends Schema
  ? undefined extends z.input<S>
    ? { [k in K]?: z.input<S> }
    : { [k in K]: z.input<S> }
  : { [k in K]?: undefined };

/**
 * What a call of an endpoint passes: `params`, `query` and `body`, each required when its schema
 * requires it.
 *
 * @example
 * const parts: RequestParts<typeof getModel> = { params: { modelId: 'model_x' } };
 */
export type RequestParts<E extends AnyEndpoint> = Part<'params', E['params']> &
  Part<'query', E['query']> &
  Part<'body', E['body']>;

/**
 * What a call of an endpoint returns: its response schema's output.
 *
 * @example
 * const model: EndpointResult<typeof getModel> = await scenario.request(getModel, { params: { modelId } });
 */
export type EndpointResult<E extends AnyEndpoint> = z.output<E['response']>;

/**
 * Builds an {@link Endpoint}; throws when the path names a placeholder and there is no `params` schema.
 *
 * @example
 * const listJobs = defineEndpoint({ method: 'GET', path: '/jobs', kind: 'read', query: listJobsQuery, response: jobPage });
 */
export function defineEndpoint<
  R extends Schema,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
>(spec: {
  method: HttpMethod;
  path: string;
  kind: RequestKind;
  response: R;
  params?: P;
  query?: Q;
  body?: B;
  secrets?: ((body: B extends Schema ? z.output<B> : undefined) => readonly string[]) | undefined;
}): Endpoint<P, Q, B, R> {
  const segments = spec.path.split(/\{([A-Za-z][A-Za-z0-9]*)\}/);
  if (segments.length > 1 && !spec.params) {
    throw new TypeError(
      `The endpoint ${spec.method} ${spec.path} names path parameters but has no params schema.`,
    );
  }
  return Object.freeze({
    method: spec.method,
    path: spec.path,
    op: `${spec.method} ${spec.path}`,
    kind: spec.kind,
    params: spec.params as P,
    query: spec.query as Q,
    body: spec.body as B,
    response: spec.response,
    secrets: spec.secrets as ((body: unknown) => readonly string[]) | undefined,
    segments,
  });
}

/**
 * Fills an endpoint's path with its (validated) parameters, each URL-encoded.
 *
 * @example
 * fillPath(getModel, { modelId: 'model x' }); // '/models/model%20x'
 */
export function fillPath(endpoint: AnyEndpoint, params: unknown): string {
  const { segments } = endpoint;
  if (segments.length === 1) return segments[0] as string;
  const values = (params ?? {}) as Record<string, unknown>;
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as string;
    if (i % 2 === 0) {
      out += s;
      continue;
    }
    const v = values[s];
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new TypeError(`The endpoint ${endpoint.op} needs the path parameter "${s}".`);
    }
    out += encodeURIComponent(String(v));
  }
  return out;
}

/**
 * A schema that picks the schema to apply from the input itself, so a mistake is reported on the
 * fields of the form the caller meant (e.g. by the key it used), not as "no union member matched".
 *
 * @example
 * const image = oneOfForms((i) => (isObject(i) && 'assetIds' in i ? batch : upload));
 */
export function oneOfForms<S extends Schema>(
  pick: (input: unknown) => S,
): z.ZodType<z.output<S>, z.input<S>> {
  return z.unknown().transform((input, ctx) => {
    const r = pick(input).safeParse(input);
    if (r.success) return r.data as z.output<S>;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }) as unknown as z.ZodType<z.output<S>, z.input<S>>;
}
