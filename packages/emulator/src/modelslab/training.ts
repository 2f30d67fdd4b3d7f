import { z } from 'zod';
import { decodeBase64, MAX_IMAGE_BYTES } from '../input-image';
import { pathParam, resource } from '../route-kit';
import { json } from '../vendor-errors';
import { type C, type ModelsLabApi, numeric, ranged, VendorError, v3Error } from './http';
import { TRAINING_SCHEDULE, type TrainingRecord, trainingOutcome } from './state';

const trainingSchema = z
  .object({
    key: z.string().optional(),
    instance_prompt: z.string({ error: 'instance_prompt is required' }).min(1, 'instance_prompt is required'),
    class_prompt: z.string({ error: 'class_prompt is required' }).min(1, 'class_prompt is required'),
    base_model_type: z
      .enum(['normal', 'sdxl'], { error: 'base_model_type must be "normal" or "sdxl"' })
      .optional(),
    images: z
      .array(z.string().regex(/^https?:\/\/\S+$/, 'images must be public image URLs'), {
        error: 'images must be an array of image URLs',
      })
      .min(1, 'images must contain at least one image URL'),
    training_type: z.enum(['men', 'women', 'female', 'couple', 'null'], {
      error: 'training_type must be one of men, women, couple, null',
    }),
    lora_type: z.enum(['lora', 'lycoris'], { error: 'lora_type must be "lora" or "lycoris"' }).optional(),
    max_train_steps: ranged('max_train_steps', 10, 50),
    seed: numeric('seed').optional(),
    negative_prompt: z.string().nullish(),
    wandb_key: z.string().nullish(),
    webhook: z.string().nullish(),
  })
  .loose();

const cropSchema = z
  .object({
    key: z.string().optional(),
    image: z
      .string({ error: 'image is required' })
      .regex(/^data:image\/(png|jpeg|jpg|webp);base64,[A-Za-z0-9+/=\s]+$/, 'image must be a base64 data URL'),
    crop: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  })
  .loose();

async function createTraining(c: C, api: ModelsLabApi) {
  const input = api.check(trainingSchema, await api.authed(c, 'v3'), 'v3');
  const t = api.now();
  const id = api.core.id('', 10);
  const duration = api.core.timings.modelslabTrainingMs;
  const record: TrainingRecord = {
    id,
    key: input.key as string,
    createdAt: t,
    endsAt: t + duration,
    family: input.base_model_type === 'normal' ? 'sd15' : 'sdxl',
    steps: input.max_train_steps,
  };
  if (`${input.instance_prompt} ${input.class_prompt}`.toLowerCase().includes('fail-training')) {
    record.failsAt = t + Math.round(duration * 0.4);
  }
  api.state.trainings.set(id, record);
  c.env.info.modelId = id;
  const hook = input.webhook;
  if (hook) {
    for (const { stage, startsAt } of TRAINING_SCHEDULE) {
      const at = t + Math.round(startsAt * duration);
      // A stage the training never reaches (canceled, failed, deleted) is never announced.
      api.core.webhooks.schedule(hook, at, () => {
        const outcome = trainingOutcome(record, at);
        if (record.deleted || outcome.error !== undefined || outcome.stage !== stage) return undefined;
        return { status: 'success', training_status: stage, logs: outcome.log, model_id: record.id };
      });
    }
  }
  return json({
    status: 'success',
    messege: 'deploying_gpu',
    data: 'it will take upto 30 minutes.',
    training_id: id,
  });
}

/** The caller's training named in the path; an unknown, foreign or deleted one is a v3 404. */
async function pathTraining(c: C, api: ModelsLabApi): Promise<TrainingRecord> {
  const { key } = await api.authed(c, 'v3');
  const id = pathParam(c, 'id');
  c.env.info.modelId = id;
  const record = api.state.trainings.get(id);
  if (!record || record.key !== key || record.deleted) {
    throw new VendorError(v3Error(`Training not found: ${id}`, 404), 'not found');
  }
  return record;
}

/** v3 LoRA training: start, status, cancel (both spellings), delete (both paths), list. */
export const training = resource<ModelsLabApi>('modelslab.training')
  .post('create', '/v3/lora_fine_tune', createTraining)
  .post('status', '/v3/fine_tune_status/:id', async (c, api) => {
    const outcome = trainingOutcome(await pathTraining(c, api), api.now());
    if (outcome.error !== undefined) return v3Error(outcome.error);
    return json({ status: 'success', messege: outcome.stage, data: outcome.log });
  })
  // The vendor's docs page spells the path `cancle_training`; both are accepted.
  .post('cancel', ['/v3/cancel_training/:id', '/v3/cancle_training/:id'], async (c, api) => {
    const record = await pathTraining(c, api);
    const t = api.now();
    const outcome = trainingOutcome(record, t);
    if (outcome.error !== undefined || outcome.stage === 'model_ready') {
      return v3Error(`Training ${record.id} has already finished`);
    }
    record.canceledAt = t;
    return json({ status: 'success', messege: 'training canceled', data: '' });
  })
  .post('delete', ['/v3/delete/:id', '/v3/finetune/delete/:id'], async (c, api) => {
    const record = await pathTraining(c, api);
    record.deleted = true;
    return json({ status: 'success', messege: 'model deleted', data: '' });
  })
  .post('list', '/v3/finetune_list', async (c, api) => {
    const body = await api.authed(c, 'v3');
    const t = api.now();
    const ready = [...api.state.trainings.values()].filter(
      (r) => r.key === body.key && !r.deleted && trainingOutcome(r, t).stage === 'model_ready',
    );
    return json({ status: 'success', messege: 'model list', data: ready.map((r) => r.id) });
  });

/** v3 uploads: `base64_crop` turns a data URL into the public URL that `images[]` and `init_image` need. */
export const uploads = resource<ModelsLabApi>('modelslab').post(
  'base64Crop',
  '/v3/base64_crop',
  async (c, api) => {
    const input = api.check(cropSchema, await api.authed(c, 'v3'), 'v3');
    const bytes = decodeBase64(input.image.slice(input.image.indexOf(',') + 1));
    if (!bytes) return v3Error('image must be a base64 data URL');
    if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES)
      return v3Error('image must be between 1 byte and 20 MB');
    const path = `modelslab/uploads/${api.core.id('', 20)}.png`;
    api.core.files.put(path, {
      mime: 'image/png',
      availableAt: api.now(),
      signed: false,
      bytes: () => bytes,
    });
    return json({ status: 'success', messege: 'image uploaded', link: api.core.files.url(path, api.now()) });
  },
);
