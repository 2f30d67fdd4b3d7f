import { sniffImageType } from '@loraflow/core';
import { z } from 'zod';
import { RUNTIME_CODES, RuntimeError } from './errors';

/**
 * One model a picker can offer: what to show (name, family, provider, a thumbnail) and what choosing it sets (id,
 * provider, model type or family). `thumbnail` is an opaque reference for `runtime.modelThumbnail`, never a URL:
 * a provider's signed address stays on the server.
 *
 * @example
 * const m: ModelSummary = { id: 'model_ink', name: 'Ink', provider: 'scenario', kind: 'lora', family: 'flux.1', familyLabel: 'FLUX.1', modelType: 'flux.1-lora', thumbnail: 'scenario:model_ink' };
 */
export interface ModelSummary {
  id: string;
  name: string;
  provider: string;
  /** `lora` covers compositions (what a LoRA input takes); `base` is a checkpoint to generate with. */
  kind: 'lora' | 'base';
  /** The base-model family id (e.g. `flux.1`), when the provider says or the type tells. */
  family?: string;
  /** The family as a person reads it (e.g. `FLUX.1`). */
  familyLabel?: string;
  /** The provider's own model type (Scenario's `flux.1-lora`), when it has one. */
  modelType?: string;
  description?: string;
  /** Where it comes from on the provider: the account's own models or the public catalogue. */
  scope?: 'own' | 'public';
  /** A reference for `runtime.modelThumbnail(ref)`; absent when the model has no picture. */
  thumbnail?: string;
}

/** The largest page a caller may ask for; a picker shows a few dozen at a time. */
export const MAX_MODELS_LIMIT = 100;
const DEFAULT_LIMIT = 30;

/**
 * The query of `runtime.models`, checked locally and on the HTTP route (`GET /models?...`).
 *
 * @example
 * modelQuerySchema.parse({ family: 'flux.1', search: 'ink', limit: '20' }); // limit coerced to 20
 */
export const modelQuerySchema = z
  .object({
    provider: z.string().min(1).max(50).optional(),
    family: z.string().min(1).max(100).optional(),
    kind: z.enum(['lora', 'base']).optional(),
    search: z.string().max(200).optional(),
    cursor: z.string().min(1).max(2000).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_MODELS_LIMIT).optional(),
  })
  .strict();

/**
 * What `runtime.models` is asked: filters (all optional), a page cursor from the previous answer, a page size (1..100).
 *
 * @example
 * const q: ModelQuery = { provider: 'scenario', family: 'flux.1', kind: 'lora', search: 'ink', limit: 20 };
 */
export type ModelQuery = z.input<typeof modelQuerySchema>;

/**
 * One page of `runtime.models`: the models, and the cursor of the next page when there is one.
 *
 * @example
 * const { models, nextCursor } = await runtime.models({ search: 'ink' });
 */
export interface ModelPage {
  models: ModelSummary[];
  nextCursor?: string;
  /**
   * Catalogue rows a provider sent malformed and left out, said by the page whose read found them (once per listing,
   * so a picker adds up its pages' counts); present only when above 0.
   */
  skipped?: number;
}

/**
 * What a source gives for one model: a summary without the provider (the source's) nor the thumbnail reference (the
 * runtime's), and whether it has a picture.
 *
 * @example
 * const item: ModelSourceItem = { id: 'model_ink', name: 'Ink', kind: 'lora', family: 'flux.1', hasThumbnail: true };
 */
export type ModelSourceItem = Omit<ModelSummary, 'provider' | 'thumbnail'> & { hasThumbnail?: boolean };

/**
 * One provider's catalogue, as the runtime reads it: a page of models for filters and the source's own cursor, and
 * the bytes of a model's picture (fetched under the host's download policy). A node pack builds these from its
 * provider clients (`@loraflow/nodes`' `createLoraModelSources`); a host may add its own.
 *
 * @example
 * const mine: ModelSource = {
 *   provider: 'house',
 *   async list({ search }) { return { models: HOUSE.filter((m) => !search || m.name.includes(search)) }; },
 * };
 */
export interface ModelSource {
  readonly provider: string;
  /**
   * A page of at most `limit` models; `cursor` is what this source answered as `nextCursor` before. A cursor it
   * cannot read (forged, or from another version) is a `RangeError`, which the caller gets as `request.invalid`.
   */
  list(
    query: { family?: string; kind?: 'lora' | 'base'; search?: string; cursor?: string; limit: number },
    o: { signal?: AbortSignal },
  ): Promise<{ models: ModelSourceItem[]; nextCursor?: string; skipped?: number }>;
  /**
   * The picture of a model this source listed with `hasThumbnail`; any bytes, sniffed by the runtime. It is given
   * 30 s: then `o.signal` aborts and the picker shows none (asked again at the next opening).
   */
  thumbnail?(modelId: string, o: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
}

const cursorSchema = z.object({ s: z.number().int().min(0), c: z.string().max(1500).optional() }).strict();
type Cursor = z.infer<typeof cursorSchema>;

const encodeCursor = (cursor: Cursor): string =>
  btoa(JSON.stringify(cursor)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

function decodeCursor(text: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(atob(text.replaceAll('-', '+').replaceAll('_', '/'))));
  } catch {
    throw invalid(['cursor'], 'The cursor is not one this runtime gave; ask for the first page again.');
  }
}

function invalid(path: string[], message: string): RuntimeError {
  return new RuntimeError(RUNTIME_CODES.requestInvalid, message, [
    { path, code: RUNTIME_CODES.requestInvalid, message },
  ]);
}

// Thumbnails are small; keeping the last few hundred in memory spares a provider round trip per picker opening.
const THUMBNAIL_CACHE = 256;
const MAX_THUMBNAIL_BYTES = 4 * 1024 * 1024;

/**
 * The runtime's model catalogue over its sources: `models` pages through them in order (one cursor spans them all),
 * `modelThumbnail` answers a picture's bytes only when they are PNG, JPEG or WebP. A failing provider is a
 * `models.unavailable` error whose sentence has passed the runtime's redactor.
 *
 * @example
 * const catalogue = createModelCatalogue(createLoraModelSources(services), (t) => t);
 * const { models } = await catalogue.models({ family: 'flux.1' });
 */
export function createModelCatalogue(
  sources: readonly ModelSource[],
  redact: (text: string) => string,
): {
  models(query?: ModelQuery): Promise<ModelPage>;
  modelThumbnail(ref: string): Promise<Uint8Array | undefined>;
} {
  const thumbnails = new Map<string, Promise<Uint8Array | undefined>>();

  async function models(query: ModelQuery = {}): Promise<ModelPage> {
    const parsed = modelQuerySchema.safeParse(query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalid(issue.path.map(String), `The model query is not valid: ${issue.message}.`);
    }
    const q = parsed.data;
    const limit = q.limit ?? DEFAULT_LIMIT;
    const start = q.cursor ? decodeCursor(q.cursor) : { s: 0 };
    const out: ModelSummary[] = [];
    let skipped = 0;
    // the page says how many malformed rows its sources left out, so a picker can say some are missing
    const page = (rest: { nextCursor?: string }): ModelPage => ({
      models: out,
      ...rest,
      ...(skipped > 0 ? { skipped } : {}),
    });
    for (let s = start.s; s < sources.length; s++) {
      const source = sources[s]!;
      if (q.provider !== undefined && source.provider !== q.provider) continue;
      const sourceCursor = s === start.s ? start.c : undefined;
      const answer = await listOne(source, {
        ...(q.family !== undefined ? { family: q.family } : {}),
        ...(q.kind !== undefined ? { kind: q.kind } : {}),
        ...(q.search?.trim() ? { search: q.search.trim() } : {}),
        ...(sourceCursor !== undefined ? { cursor: sourceCursor } : {}),
        limit: limit - out.length,
      });
      skipped += answer.skipped ?? 0;
      for (const item of answer.models.slice(0, limit - out.length)) out.push(summary(source.provider, item));
      if (answer.nextCursor !== undefined)
        return page({ nextCursor: encodeCursor({ s, c: answer.nextCursor }) });
      if (out.length >= limit) {
        const more = sources.slice(s + 1).some((o) => q.provider === undefined || o.provider === q.provider);
        return more ? page({ nextCursor: encodeCursor({ s: s + 1 }) }) : page({});
      }
    }
    return page({});
  }

  async function listOne(source: ModelSource, query: Parameters<ModelSource['list']>[0]) {
    try {
      return await source.list(query, {});
    } catch (error) {
      if (error instanceof RangeError && query.cursor !== undefined) {
        throw invalid(['cursor'], 'The cursor is not one this runtime gave; ask for the first page again.');
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new RuntimeError(
        RUNTIME_CODES.modelsUnavailable,
        redact(`The ${source.provider} model list could not be read: ${reason}`),
      );
    }
  }

  function modelThumbnail(ref: string): Promise<Uint8Array | undefined> {
    const colon = typeof ref === 'string' ? ref.indexOf(':') : -1;
    if (colon <= 0 || ref.length > 500)
      throw invalid(['ref'], 'A thumbnail reference is "provider:modelId".');
    let found = thumbnails.get(ref);
    if (found) {
      // re-inserted so the map's order is least recently used first
      thumbnails.delete(ref);
      thumbnails.set(ref, found);
      return found;
    }
    const provider = ref.slice(0, colon);
    const source = sources.find((s) => s.provider === provider);
    if (!source?.thumbnail) return Promise.resolve(undefined);
    found = boundedThumbnail(source, ref.slice(colon + 1)).then(
      // Only raster bytes leave: what a provider labels an image may be an SVG or a page.
      (bytes) =>
        bytes && bytes.byteLength <= MAX_THUMBNAIL_BYTES && sniffImageType(bytes) ? bytes : undefined,
      () => {
        // a failed fetch is not remembered, so the next opening tries again
        thumbnails.delete(ref);
        return undefined;
      },
    );
    thumbnails.set(ref, found);
    if (thumbnails.size > THUMBNAIL_CACHE) thumbnails.delete(thumbnails.keys().next().value as string);
    return found;
  }

  return { models, modelThumbnail };
}

// a source of the host's may never answer; its pending picture would be cached, and every later opening would wait on it
const THUMBNAIL_TIMEOUT_MS = 30_000;

/** A source's picture within {@link THUMBNAIL_TIMEOUT_MS}: past it the source's signal aborts and the promise rejects. */
function boundedThumbnail(source: ModelSource, modelId: string): Promise<Uint8Array | undefined> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error('The model picture took too long.'));
    }, THUMBNAIL_TIMEOUT_MS);
  });
  // async, so a source that throws at once rejects like one that fails later
  const asked = (async () => source.thumbnail?.(modelId, { signal: controller.signal }))();
  return Promise.race([asked, late]).finally(() => clearTimeout(timer));
}

function summary(provider: string, item: ModelSourceItem): ModelSummary {
  const { hasThumbnail, ...rest } = item;
  const out: ModelSummary = { ...rest, provider };
  if (hasThumbnail) out.thumbnail = `${provider}:${item.id}`;
  return out;
}
