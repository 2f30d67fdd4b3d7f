import { MAX_IMAGE_BYTES, parseDataUrl, pngSize } from '../input-image';
import { pathParam, resource, tagRequest } from '../route-kit';
import { json } from '../vendor-errors';
import { body, type C, type Owner, parse, ReasonError, type ScenarioApi } from './http';
import { pairsSchema, parseTrainingImage } from './schemas';
import { conceptTypeFor, type ModelRecord, modelStatus, putAsset, trainingImageView } from './state';

/** The caller's own model named in the path. */
function pathModel(c: C, api: ScenarioApi): ModelRecord {
  const id = pathParam(c, 'modelId');
  tagRequest(c, { modelId: id });
  return api.ownModel(c, id);
}

/** Refuses a change to a training set once the model has left `new`. */
function checkEditable(api: ScenarioApi, model: ModelRecord, what: string): void {
  if (modelStatus(model, api.now()) !== 'new') {
    throw new ReasonError(400, `${what} of ${model.id} can only change while its status is new`);
  }
}

/** Stores an uploaded image as an asset of `who`; refuses what is not base64 or is too large. */
export function storeUpload(
  api: ScenarioApi,
  who: Owner,
  upload: { name: string; mime: string; bytes: Uint8Array | undefined },
  field: string,
  expected: string,
): string {
  const { bytes } = upload;
  if (!bytes) throw new ReasonError(400, `Input ${field} must be ${expected}`);
  if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES) {
    throw new ReasonError(400, `Input ${field} must hold an image between 1 byte and 20 MB`);
  }
  const t = api.now();
  const assetId = api.core.id('asset');
  putAsset(api.core, api.state, {
    id: assetId,
    ...who,
    createdAt: t,
    availableAt: t,
    source: 'uploaded',
    metadataType: 'uploaded',
    name: upload.name,
    mimeType: upload.mime,
    bytes: () => bytes,
    ...(pngSize(bytes) ?? {}),
  });
  return assetId;
}

async function addTrainingImage(c: C, api: ScenarioApi) {
  const model = pathModel(c, api);
  const input = parseTrainingImage(await body(c));
  checkEditable(api, model, 'Training images');
  if (conceptTypeFor(model.type)) {
    throw new ReasonError(400, `A composition (${model.type}) has no training images`);
  }
  const incoming = input.form === 'batch' ? input.assetIds.length : 1;
  if (model.trainingImages.length + incoming > 50) {
    throw new ReasonError(
      400,
      `A model can have at most 50 training images; ${model.id} has ${model.trainingImages.length} and ${incoming} more were sent`,
    );
  }
  const t = api.now();
  const ids: Array<{ assetId: string; name: string }> = [];
  if (input.form === 'data') {
    const upload = parseDataUrl(input.data);
    const mime = (upload?.mime ?? 'image/png').replace('jpg', 'jpeg');
    const assetId = storeUpload(
      api,
      api.owner(c),
      { name: input.name, mime, bytes: upload?.bytes },
      'data',
      'a base64 data URL of a PNG, JPEG or WebP image',
    );
    ids.push({ assetId, name: input.name });
  } else {
    for (const assetId of input.form === 'batch' ? input.assetIds : [input.assetId]) {
      const asset = api.visibleAsset(c, assetId);
      ids.push({ assetId, name: asset.name ?? `${assetId}.png` });
    }
  }
  for (const entry of ids) model.trainingImages.push({ ...entry, createdAt: t });
  model.updatedAt = t;
  const views = ids.map((entry) => trainingImageView(api.core, api.state, { ...entry, createdAt: t }, t));
  // The batch form's response is not documented: the first image, plus all of them for convenience.
  return json(
    views.length === 1 ? { trainingImage: views[0] } : { trainingImage: views[0], trainingImages: views },
  );
}

async function replacePairs(c: C, api: ScenarioApi) {
  const model = pathModel(c, api);
  const pairs = parse(pairsSchema, await body(c));
  checkEditable(api, model, 'Training image pairs');
  const id = model.id;
  const known = new Set(model.trainingImages.map((i) => i.assetId));
  pairs.forEach((pair, index) => {
    for (const side of ['sourceId', 'targetId'] as const) {
      if (!known.has(pair[side])) {
        throw new ReasonError(
          400,
          `Input [${index}].${side}: ${pair[side]} is not a training image of ${id}`,
        );
      }
    }
  });
  model.pairs = pairs.map((p) => ({
    sourceId: p.sourceId,
    targetId: p.targetId,
    ...(p.instruction !== undefined ? { instruction: p.instruction } : {}),
  }));
  model.updatedAt = api.now();
  return json({ count: model.pairs.length, pairs: model.pairs });
}

/** A model's training images and the before/after pairs of edit LoRAs. */
export const trainingImages = resource<ScenarioApi>('scenario.models.trainingImages')
  .post('add', '/models/:modelId/training-images', addTrainingImage)
  .delete('delete', '/models/:modelId/training-images/:imageId', (c, api) => {
    const model = pathModel(c, api);
    checkEditable(api, model, 'Training images');
    const imageId = pathParam(c, 'imageId');
    const before = model.trainingImages.length;
    model.trainingImages = model.trainingImages.filter((i) => i.assetId !== imageId);
    if (model.trainingImages.length === before) {
      throw new ReasonError(404, `Training image ${imageId} not found`);
    }
    model.pairs = model.pairs.filter((p) => p.sourceId !== imageId && p.targetId !== imageId);
    return json({});
  })
  .put('pairs', '/models/:modelId/training-images/pairs', replacePairs);
