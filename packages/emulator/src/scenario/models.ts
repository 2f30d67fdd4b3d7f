import { LORA_FAMILIES } from '../catalogue';
import { pathParam, resource, tagRequest } from '../route-kit';
import { json } from '../vendor-errors';
import { body, type C, page, parse, ReasonError, type ScenarioApi } from './http';
import { createModelSchema } from './schemas';
import { conceptTypeFor, isTrainable, type ModelRecord, modelStatus, modelView } from './state';

function listModels(api: ScenarioApi, c: C, scope: 'private' | 'public', defaultSize: number) {
  const { ownerId } = api.owner(c);
  const t = api.now();
  const type = c.req.query('type');
  const types = c.req.query('types')?.split(',').filter(Boolean);
  const tags = c.req.query('tags')?.split(',').filter(Boolean);
  const status = c.req.query('status');
  const all = [...api.state.models.values()]
    .reverse()
    .filter((m) =>
      scope === 'public' ? m.privacy === 'public' : m.privacy === 'private' && m.ownerId === ownerId,
    );
  // Newest first; the stable sort keeps reverse creation order among equal timestamps.
  all.sort((a, b) => b.createdAt - a.createdAt);
  const filtered = all.filter(
    (m) =>
      (type === undefined || m.type === type) &&
      (types === undefined || types.includes(m.type)) &&
      (tags === undefined || tags.every((tag) => m.tags.includes(tag))) &&
      (status === undefined || modelStatus(m, t) === status),
  );
  const result = page(c, filtered, defaultSize, 500);
  const out: Record<string, unknown> = {
    models: result.items.map((m) => modelView(api.core, api.state, m, t, false)),
  };
  if (result.next) out.nextPaginationToken = result.next;
  return json(out);
}

/** Checks a composition's concepts (or that a LoRA has none). */
function checkConcepts(api: ScenarioApi, c: C, type: string, concepts: Array<{ modelId: string }> = []) {
  const conceptType = conceptTypeFor(type);
  if (!conceptType) {
    if (concepts.length > 0) {
      throw new ReasonError(400, `Input concepts is only allowed for composition models, not ${type}`);
    }
    return;
  }
  if (concepts.length === 0) throw new ReasonError(400, `Input concepts is required for a ${type} model`);
  const invalid = concepts.map((k) => api.visibleModel(c, k.modelId)).filter((m) => m.type !== conceptType);
  if (invalid.length > 0) {
    throw new ReasonError(
      400,
      `Invalid model(s): ${invalid.map((m) => m.id).join(', ')}.\nAllowed model types: ${conceptType}`,
    );
  }
}

async function createModel(c: C, api: ScenarioApi) {
  const input = parse(createModelSchema, (await body(c)) ?? {});
  const type = input.type ?? 'flux.1-lora';
  if (!isTrainable(type)) {
    throw new ReasonError(400, `Input type ${type} cannot be created; create a LoRA or a composition`);
  }
  checkConcepts(api, c, type, input.concepts);
  const t = api.now();
  const id = api.core.id('model');
  const model: ModelRecord = {
    id,
    type,
    privacy: 'private',
    source: 'scenario',
    custom: false,
    ...api.owner(c),
    createdAt: t,
    updatedAt: t,
    tags: input.tags ?? [],
    collectionIds: input.collectionIds ?? [],
    trainingImages: [],
    pairs: [],
  };
  if (input.name !== undefined) model.name = input.name;
  if (input.shortDescription !== undefined) model.shortDescription = input.shortDescription;
  if (input.classSlug !== undefined) model.classSlug = input.classSlug;
  if (input.concepts) {
    model.concepts = input.concepts.map((k) => ({
      modelId: k.modelId,
      scale: k.scale,
      ...(k.modelEpoch !== undefined ? { modelEpoch: k.modelEpoch } : {}),
    }));
  }
  const family = LORA_FAMILIES[type];
  if (family) model.compliantModelIds = family.baseModelIds;
  api.state.models.set(id, model);
  tagRequest(c, { modelId: id });
  return json({ model: modelView(api.core, api.state, model, t, true) });
}

/** Models: list (private or public), the public list, create, get. */
export const models = resource<ScenarioApi>('scenario.models')
  .get('list', '/models', (c, api) => {
    const privacy = c.req.query('privacy') ?? 'private';
    if (privacy !== 'private' && privacy !== 'public') {
      throw new ReasonError(400, 'Input privacy must be one of "private", "public"');
    }
    return listModels(api, c, privacy, 100);
  })
  .get('public', '/models/public', (c, api) => listModels(api, c, 'public', 50))
  .post('create', '/models', createModel)
  .get('get', '/models/:modelId', (c, api) => {
    const id = pathParam(c, 'modelId');
    tagRequest(c, { modelId: id });
    return json({ model: modelView(api.core, api.state, api.visibleModel(c, id), api.now(), true) });
  });
