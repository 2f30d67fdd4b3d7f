import { type Model, type ModelsLabClient, modelPhase, type ScenarioClient } from '@loraflow/providers';
import { z } from 'zod/mini';
import { FAMILIES, familiesCompatible, familyLabel, modelTypeInfo } from './families';
import type { LoraServices } from './services';

/**
 * One model of a provider's catalogue as a picker shows it (the shape `@loraflow/runtime`'s `ModelSource` lists).
 *
 * @example
 * const item: LoraModelItem = { id: 'model_ink', name: 'Ink', kind: 'lora', family: 'flux.1', familyLabel: 'FLUX.1', hasThumbnail: true };
 */
export interface LoraModelItem {
  id: string;
  name: string;
  kind: 'lora' | 'base';
  family?: string;
  familyLabel?: string;
  modelType?: string;
  description?: string;
  scope?: 'own' | 'public';
  hasThumbnail?: boolean;
}

/**
 * What a picker asks a source: filters, this source's own cursor, a page size.
 *
 * @example
 * const q: LoraModelQuery = { family: 'flux.1', kind: 'lora', search: 'ink', limit: 20 };
 */
export interface LoraModelQuery {
  family?: string;
  kind?: 'lora' | 'base';
  search?: string;
  cursor?: string;
  limit: number;
}

/**
 * A provider's model catalogue for `createRuntime({ models })`: it matches the runtime's `ModelSource` without this
 * package depending on the runtime.
 *
 * @example
 * createRuntime({ registry, services, models: createLoraModelSources(services) });
 */
export interface LoraModelSource {
  readonly provider: 'scenario' | 'modelslab';
  /** A page; `skipped` counts catalogue rows the vendor sent malformed and that were left out (ModelsLab), on the first page only. */
  list(
    q: LoraModelQuery,
    o: { signal?: AbortSignal },
  ): Promise<{ models: LoraModelItem[]; nextCursor?: string; skipped?: number }>;
  thumbnail(modelId: string, o: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
}

/**
 * The model catalogues of the providers among `services` (Scenario: the project's trained models, then the public
 * ones; ModelsLab: its public checkpoints, then the account's trained LoRAs, which it lists by id only). A model whose
 * family is not known (most of ModelsLab's: its list names none) has `family: 'unknown'` and is shown under a family
 * filter too, after the models known to fit. Pictures are downloaded through each client's one download path, so the host's URL policy applies.
 *
 * @example
 * const services = { scenario: new ScenarioClient({ apiKey, apiSecret }) };
 * const runtime = createRuntime({ registry, services, models: createLoraModelSources(services) });
 */
export function createLoraModelSources(services: Partial<LoraServices>): LoraModelSource[] {
  const out: LoraModelSource[] = [];
  if (services.scenario) out.push(scenarioSource(services.scenario));
  if (services.modelslab) out.push(modelslabSource(services.modelslab));
  return out;
}

function matches(item: LoraModelItem, q: LoraModelQuery): boolean {
  if (q.kind !== undefined && item.kind !== q.kind) return false;
  // an unknown family may well fit (every ModelsLab model's is unknown), so a filter shows it, badged, for the artist to judge
  const family = item.family ?? 'unknown';
  if (q.family !== undefined && family !== 'unknown' && !familiesCompatible(family, q.family)) return false;
  const needle = q.search?.toLowerCase();
  return !needle || item.name.toLowerCase().includes(needle) || item.id.toLowerCase().includes(needle);
}

function withFamily(item: LoraModelItem, family: string | undefined): LoraModelItem {
  const known = family ?? 'unknown';
  return { ...item, family: known, familyLabel: familyLabel(known) };
}

// ModelsLab's model list names no base model; the checkpoints loraflow itself generates with are the ones it can tell.
const MODELSLAB_KNOWN_BASES: ReadonlyMap<string, string> = new Map(
  Object.values(FAMILIES).flatMap((f) =>
    f.modelslabBaseModel ? [[f.modelslabBaseModel, f.id] as const] : [],
  ),
);

/** Under a family filter, the models known to fit come before those of unknown family. */
function knownFirst(items: LoraModelItem[], q: LoraModelQuery): LoraModelItem[] {
  if (q.family === undefined) return items;
  return [...items.filter((i) => i.family !== 'unknown'), ...items.filter((i) => i.family === 'unknown')];
}

// A picture is a small preview (the runtime keeps at most 4 MiB of one): the download stops there, and soon.
const PICTURE_LIMITS = { maxBytes: 4 * 1024 * 1024, timeoutMs: 15_000 };
const pictureCall = (signal: AbortSignal | undefined) =>
  signal ? { ...PICTURE_LIMITS, signal } : PICTURE_LIMITS;

// The vendor's lists are paged by opaque tokens; a position inside one of its pages needs the skip as well.
const scenarioCursor = z.object({
  p: z.number().check(z.int(), z.gte(0), z.lte(1)),
  t: z.optional(z.string()),
  k: z.number().check(z.int(), z.gte(0)),
});
type ScenarioCursor = z.infer<typeof scenarioCursor>;
// Scenario has no name search: a search reads pages until it has a page of matches, at most this many per call.
const MAX_PAGES_PER_CALL = 10;
const PICTURES_REMEMBERED = 1000;

function scenarioItem(m: Model, scope: 'own' | 'public'): LoraModelItem {
  const info = modelTypeInfo(m.type ?? '');
  const item: LoraModelItem = {
    id: m.id,
    name: m.name || m.id,
    kind: info.kind === 'base' || info.kind === 'other' ? 'base' : 'lora',
    scope,
    hasThumbnail: typeof m.thumbnail?.url === 'string',
  };
  if (m.type) item.modelType = m.type;
  if (m.shortDescription) item.description = m.shortDescription;
  return withFamily(item, info.family);
}

// long because it is one object: the page walk and the picture lookup share the remembered thumbnail URLs
function scenarioSource(scenario: ScenarioClient): LoraModelSource {
  // Signed URLs from the last listings, so a picture costs one download, not a model read and a download.
  const pictures = new Map<string, string>();
  const remember = (m: Model) => {
    if (!m.thumbnail?.url) return;
    pictures.set(m.id, m.thumbnail.url);
    if (pictures.size > PICTURES_REMEMBERED) pictures.delete(pictures.keys().next().value as string);
  };
  const page = (c: ScenarioCursor, signal: AbortSignal | undefined) => {
    const call = signal ? { signal } : {};
    const token = c.t ? { paginationToken: c.t } : {};
    return c.p === 0
      ? scenario.models.list({ status: 'trained', pageSize: 100, ...token }, call)
      : scenario.models.listPublic({ pageSize: 100, ...token }, call);
  };
  return {
    provider: 'scenario',
    async list(q, o) {
      let c: ScenarioCursor = q.cursor ? readCursor(q.cursor) : { p: 0, k: 0 };
      const models: LoraModelItem[] = [];
      for (let read = 0; read < MAX_PAGES_PER_CALL; read++) {
        const answer = await page(c, o.signal);
        const found = answer.items
          .filter((m) => modelPhase(m.status) === 'trained')
          .map((m) => {
            remember(m);
            return scenarioItem(m, c.p === 0 ? 'own' : 'public');
          })
          .filter((item) => matches(item, q));
        const room = q.limit - models.length;
        const fresh = found.slice(c.k);
        if (fresh.length > room) {
          models.push(...fresh.slice(0, room));
          return { models, nextCursor: JSON.stringify({ ...c, k: c.k + room }) };
        }
        models.push(...fresh);
        const next: ScenarioCursor | undefined = answer.nextPaginationToken
          ? { p: c.p, t: answer.nextPaginationToken, k: 0 }
          : c.p === 0
            ? { p: 1, k: 0 }
            : undefined;
        if (!next) return { models };
        c = next;
        if (models.length === q.limit) break;
      }
      return { models, nextCursor: JSON.stringify(c) };
    },
    async thumbnail(modelId, o) {
      const call = o.signal ? { signal: o.signal } : {};
      const known = pictures.get(modelId);
      if (known) {
        try {
          return (await scenario.download(known, pictureCall(o.signal))).bytes;
        } catch {
          // a remembered signed URL may have expired: read the model for a fresh one below
          pictures.delete(modelId);
        }
      }
      const model = await scenario.models.get(modelId, call);
      if (!model.thumbnail?.url) return undefined;
      remember(model);
      return (await scenario.download(model.thumbnail.url, pictureCall(o.signal))).bytes;
    },
  };
}

/** A Scenario cursor back from a caller; one this source did not write is a RangeError (the runtime's `request.invalid`). */
function readCursor(text: string): ScenarioCursor {
  try {
    return scenarioCursor.parse(JSON.parse(text));
  } catch {
    throw new RangeError('The Scenario cursor is not one this source gave.');
  }
}

interface ModelsLabSnapshot {
  items: LoraModelItem[];
  skipped: number;
}

const offsetCursor = z.coerce.number().check(z.int(), z.gte(0));

function modelslabSource(modelslab: ModelsLabClient): LoraModelSource {
  const pictures = new Map<string, string>();
  // Neither vendor list is paged, so each read costs two whole catalogues: a cursor pages the snapshot the first page
  // read (consistent pages), and a picture is looked up in the last snapshot, read only when none was ever taken.
  // with the rows of the vendor's catalogue that failed their schema at that read
  let snapshot: Promise<ModelsLabSnapshot> | undefined;
  const read = async (signal: AbortSignal | undefined): Promise<ModelsLabSnapshot> => {
    const call = signal ? { signal } : {};
    const [{ models: publicModels, skipped: unread }, trained] = await Promise.all([
      modelslab.models.listPublic(call),
      modelslab.training.list(call),
    ]);
    const bases = publicModels.map((m): LoraModelItem => {
      if (m.screenshot) pictures.set(m.id, m.screenshot);
      const item: LoraModelItem = {
        id: m.id,
        name: m.name,
        kind: 'base',
        scope: 'public',
        hasThumbnail: !!m.screenshot,
      };
      if (m.description) item.description = m.description;
      return withFamily(item, MODELSLAB_KNOWN_BASES.get(m.id));
    });
    // ModelsLab lists its own LoRAs by id only: no name, family nor picture to show
    const loras = trained.map((id) => withFamily({ id, name: id, kind: 'lora', scope: 'own' }, undefined));
    return { items: [...bases, ...loras], skipped: unread };
  };
  const all = (signal: AbortSignal | undefined, fresh: boolean): Promise<ModelsLabSnapshot> => {
    if (fresh || !snapshot) {
      const taking = read(signal);
      snapshot = taking;
      // a failed read is not kept: the next call reads again
      taking.catch(() => {
        if (snapshot === taking) snapshot = undefined;
      });
    }
    return snapshot;
  };
  return {
    provider: 'modelslab',
    async list(q, o) {
      // Neither list is paged by the vendor; the cursor is a position in the filtered whole.
      const parsed =
        q.cursor === undefined ? { success: true as const, data: 0 } : offsetCursor.safeParse(q.cursor);
      if (!parsed.success) throw new RangeError('The ModelsLab cursor is not one this source gave.');
      const from = parsed.data;
      const { items, skipped } = await all(o.signal, q.cursor === undefined);
      const found = knownFirst(
        items.filter((item) => matches(item, q)),
        q,
      );
      const models = found.slice(from, from + q.limit);
      const next = from + q.limit;
      return {
        models,
        ...(next < found.length ? { nextCursor: String(next) } : {}),
        // said by the first page only, the one that read them: a picker adds the pages' counts up
        ...(skipped > 0 && q.cursor === undefined ? { skipped } : {}),
      };
    },
    async thumbnail(modelId, o) {
      if (!pictures.has(modelId)) await all(o.signal, false);
      const url = pictures.get(modelId);
      if (!url) return undefined;
      return (await modelslab.images.download(url, pictureCall(o.signal))).bytes;
    },
  };
}
