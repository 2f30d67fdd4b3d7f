import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  dataUrl,
  loraWithImages,
  ML_KEY,
  manualEmulator,
  modelslab,
  scenario,
  solidPng,
} from './test/helpers';

// The parts of the provider reference these tests read, kept in the package (scripts/extract-reference.ts
// copies them from the shared reference), so a clone alone passes them.
const reference = new URL('../reference/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, reference), 'utf8');

type Schema = Record<string, unknown>;

/** Swagger 2 → JSON Schema draft-07: boolean exclusive bounds, numeric strings, `x-` keywords. */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key.startsWith('x-') || key === 'example' || key === 'examples') continue;
    out[key] = normalise(value);
  }
  for (const bound of ['minimum', 'maximum'] as const) {
    if (typeof out[bound] === 'string') out[bound] = Number(out[bound]);
  }
  if (out.exclusiveMinimum === true) {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (out.exclusiveMinimum === false) delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true) {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (out.exclusiveMaximum === false) delete out.exclusiveMaximum;
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

const swagger = JSON.parse(read('specs/scenario-swagger-2025-11-04.subset.json')) as {
  paths: Record<string, Record<string, { responses: Record<string, { schema?: { $ref: string } }> }>>;
  definitions: Record<string, Schema>;
};
const definitions = normalise(swagger.definitions) as Record<string, Schema>;
// The 2025-11 type enum predates FLUX.2, Qwen and Z-Image LoRAs; PROVIDERS.md says to treat it as open.
for (const def of Object.values(definitions)) openModelType(def);
function openModelType(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Schema;
  if (
    Array.isArray(record.enum) &&
    record.enum.includes('flux.1-lora') &&
    record.enum.includes('sd-xl-lora')
  ) {
    delete record.enum;
  }
  for (const value of Object.values(record)) openModelType(value);
}
ajv.addSchema({ $id: 'scenario', definitions }, 'scenario');

function scenarioValidator(path: string, method: string, status: string): ValidateFunction {
  const ref = swagger.paths[path]?.[method]?.responses[status]?.schema?.$ref;
  if (!ref) throw new Error(`The spec has no ${status} response for ${method.toUpperCase()} ${path}`);
  return ajv.getSchema(`scenario${ref}`) as ValidateFunction;
}

function expectScenario(path: string, method: string, status: number, body: unknown): void {
  const validate = scenarioValidator(path, method, String(status));
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${method.toUpperCase()} ${path}`).toEqual([]);
}

interface OpenApi {
  servers: Array<{ url: string }>;
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { content?: Record<string, { schema: Schema; example?: unknown }> }> }
    >
  >;
  components: Schema;
}
const community = JSON.parse(read('specs/modelslab-community-models-openapi.json')) as OpenApi;
const train = JSON.parse(read('specs/modelslab-train-model-openapi.json')) as OpenApi;
ajv.addSchema({ $id: 'community', components: normalise(community.components) }, 'community');
ajv.addSchema({ $id: 'train', components: normalise(train.components) }, 'train');
const operation = JSON.parse(read('specs/modelslab-model-operation-openapi.json')) as OpenApi;
ajv.addSchema({ $id: 'operation', components: normalise(operation.components) }, 'operation');

function openApiValidator(
  id: 'community' | 'train' | 'operation',
  doc: OpenApi,
  path: string,
): ValidateFunction {
  const schema = doc.paths[path]?.post?.responses['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`The ${id} spec has no 200 response for POST ${path}`);
  const rewritten = JSON.parse(
    JSON.stringify(normalise(schema)).replaceAll('"#/components/', `"${id}#/components/`),
  );
  return ajv.compile(rewritten);
}

function expectOpenApi(
  id: 'community' | 'train' | 'operation',
  doc: OpenApi,
  path: string,
  body: unknown,
): void {
  const validate = openApiValidator(id, doc, path);
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `POST ${path}`).toEqual([]);
}

/** The smallest JSON object in a text that contains `marker` (and the key `having`), by brace matching. */
function jsonAround(text: string, marker: string, having?: string): Record<string, unknown> {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`marker ${marker} not found in the seed document`);
  let start = text.lastIndexOf('{', at);
  // Walk outwards until the braces balance into a parseable object.
  for (;;) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        const candidate = JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>;
        if (i > at && (having === undefined || having in candidate)) return candidate;
        break;
      }
    }
    start = text.lastIndexOf('{', start - 1);
    if (start < 0) throw new Error(`no JSON object around ${marker}`);
  }
}

describe('Scenario responses match the Swagger 2025-11-04 response schemas', () => {
  it('for models, training images, pairs, training, actions and dry runs', async () => {
    const emulator = manualEmulator();
    expectScenario('/models', 'get', 200, (await scenario(emulator, 'GET', '/models?privacy=public')).body);
    expectScenario(
      '/models/public',
      'get',
      200,
      (await scenario(emulator, 'GET', '/models/public?pageSize=3')).body,
    );
    const created = await scenario(emulator, 'POST', '/models', { name: 'shape', type: 'flux.1-lora' });
    expectScenario('/models', 'post', 200, created.body);
    const id = created.body.model.id;
    const image = await scenario(emulator, 'POST', `/models/${id}/training-images`, {
      name: 'a.png',
      data: 'data:image/png;base64,iVBORw0KGgo=',
    });
    expectScenario('/models/{modelId}/training-images', 'post', 200, image.body);
    await scenario(emulator, 'POST', `/models/${id}/training-images`, {
      name: 'b.png',
      data: 'data:image/png;base64,iVBORw0KGgo=',
    });
    const ids = (await scenario(emulator, 'GET', `/models/${id}`)).body.model.trainingImages.map(
      (i: { id: string }) => i.id,
    );
    const pairs = await scenario(emulator, 'PUT', `/models/${id}/training-images/pairs`, [
      { sourceId: ids[0], targetId: ids[1] },
    ]);
    expectScenario('/models/{modelId}/training-images/pairs', 'put', 200, pairs.body);
    const dry = await scenario(emulator, 'PUT', `/models/${id}/train?dryRun=true`, {});
    expectScenario('/generate/txt2img', 'post', 269, dry.body);
    const trained = await scenario(emulator, 'PUT', `/models/${id}/train`, {
      parameters: { nbEpochs: 3, samplePrompts: ['a fox'] },
    });
    expectScenario('/models/{modelId}/train', 'put', 200, trained.body);
    let elapsed = 0;
    for (const minutes of [0, 1, 2, 5, 14]) {
      emulator.clock.advance((minutes - elapsed) * 60_000);
      elapsed = minutes;
      expectScenario(
        '/models/{modelId}',
        'get',
        200,
        (await scenario(emulator, 'GET', `/models/${id}`)).body,
      );
      expectScenario(
        '/jobs/{jobId}',
        'get',
        200,
        (await scenario(emulator, 'GET', `/jobs/${trained.body.job.jobId}`)).body,
      );
    }
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.epochs.length).toBeGreaterThan(0);
    const action = await scenario(emulator, 'POST', `/models/${id}/train/action`, { action: 'cancel' });
    expectScenario('/models/{modelId}/train/action', 'post', 200, action.body);
    expectScenario(
      '/models/{modelId}',
      'get',
      200,
      (await scenario(emulator, 'GET', '/models/model_bfl-flux-2-dev')).body,
    );
  });

  it('for generation, jobs and assets', async () => {
    const emulator = manualEmulator();
    const custom = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev', {
      prompt: 'x',
      loras: ['model_flux2-ink-sketch'],
      lorasScale: [0.8],
      width: 256,
      height: 256,
    });
    expectScenario('/generate/custom/{modelId}', 'post', 200, custom.body);
    const legacy = await scenario(emulator, 'POST', '/generate/txt2img', {
      modelId: 'model_sdxl-isometric',
      prompt: 'a room',
      numSamples: 1,
    });
    expectScenario('/generate/txt2img', 'post', 200, legacy.body);
    emulator.clock.advance(10_000);
    const job = await scenario(emulator, 'GET', `/jobs/${custom.body.job.jobId}`);
    expectScenario('/jobs/{jobId}', 'get', 200, job.body);
    expectScenario('/jobs', 'get', 200, (await scenario(emulator, 'GET', '/jobs?pageSize=1')).body);
    const asset = await scenario(emulator, 'GET', `/assets/${job.body.job.metadata.assetIds[0]}`);
    expectScenario('/assets/{assetId}', 'get', 200, asset.body);
    const running = await scenario(emulator, 'POST', '/generate/custom/model_zimage', {
      prompt: 'x',
      width: 128,
      height: 128,
    });
    const cancel = await scenario(emulator, 'POST', `/jobs/${running.body.job.jobId}/action`, {
      action: 'cancel',
    });
    expectScenario('/jobs/{jobId}/action', 'post', 200, cancel.body);
  });

  it('for an image upload and an edit from it', async () => {
    const emulator = manualEmulator({ timings: { generationMs: 0 } });
    const upload = await scenario(emulator, 'POST', '/assets', {
      name: 'in.png',
      image: dataUrl(solidPng([9, 90, 200])),
    });
    expectScenario('/assets', 'post', 200, upload.body);
    const edit = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev', {
      prompt: 'relight it',
      modelId: 'model_flux2-relight-edit',
      referenceImages: [upload.body.asset.id],
    });
    expectScenario('/generate/custom/{modelId}', 'post', 200, edit.body);
    const job = await scenario(emulator, 'GET', `/jobs/${edit.body.job.jobId}`);
    expectScenario(
      '/assets/{assetId}',
      'get',
      200,
      (await scenario(emulator, 'GET', `/assets/${job.body.job.metadata.assetIds[0]}`)).body,
    );
  });
});

describe('the schema checks themselves', () => {
  it('reject bodies that break the documented shapes', () => {
    expect(scenarioValidator('/models/{modelId}', 'get', '200')({ model: { id: 'model_x' } })).toBe(false);
    expect(
      scenarioValidator('/jobs/{jobId}', 'get', '200')({ job: { jobId: 'job_x', status: 'done' } }),
    ).toBe(false);
    expect(openApiValidator('community', community, '/text2img')({ status: 'processing', eta: '13' })).toBe(
      false,
    );
    expect(openApiValidator('train', train, '/finetune_list')({ status: 'success', data: 'x' })).toBe(false);
  });
});

describe('ModelsLab responses match the OpenAPI specs', () => {
  it('for text2img and both fetch forms, processing, success and error', async () => {
    const emulator = manualEmulator();
    const body = {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
      lora_model: 'pixel-art-xl',
      lora_strength: '0.6',
    };
    const processing = await modelslab(emulator, '/v6/images/text2img', body);
    expectOpenApi('community', community, '/text2img', processing.body);
    expectOpenApi(
      'community',
      community,
      '/fetch',
      (await modelslab(emulator, `/v6/images/fetch/${processing.body.id}`, { key: ML_KEY })).body,
    );
    emulator.clock.advance(13_000);
    const done = await modelslab(emulator, '/v6/images/fetch', {
      key: ML_KEY,
      request_id: processing.body.id,
    });
    expect(done.body.status).toBe('success');
    expectOpenApi('community', community, '/fetch', done.body);
    const error = await modelslab(emulator, '/v6/images/text2img', { ...body, samples: 9 });
    expectOpenApi('community', community, '/text2img', error.body);
  });

  it('for img2img, processing, success and error', async () => {
    const emulator = manualEmulator();
    const body = {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
      init_image: dataUrl(solidPng([200, 9, 9])),
      strength: 0.4,
    };
    const processing = await modelslab(emulator, '/v6/images/img2img', body);
    expect(processing.body.status).toBe('processing');
    expectOpenApi('community', community, '/img2img', processing.body);
    emulator.clock.advance(13_000);
    const done = await modelslab(emulator, `/v6/images/fetch/${processing.body.id}`, { key: ML_KEY });
    expect(done.body.status).toBe('success');
    expectOpenApi('community', community, '/img2img', done.body);
    expectOpenApi(
      'community',
      community,
      '/img2img',
      (await modelslab(emulator, '/v6/images/img2img', { ...body, strength: 2 })).body,
    );
  });

  it('for v3 training, status, list, cancel and base64_crop, including the spec examples', async () => {
    const emulator = manualEmulator();
    const started = await modelslab(emulator, '/v3/lora_fine_tune', {
      key: ML_KEY,
      instance_prompt: 'photo of ambika0 man',
      class_prompt: 'photo of a man',
      images: ['https://example.invalid/a.png'],
      training_type: 'men',
      max_train_steps: '18',
    });
    const checks: Array<[string, unknown]> = [
      ['/lora_fine_tune', started.body],
      [
        '/fine_tune_status/{training_id}',
        (await modelslab(emulator, `/v3/fine_tune_status/${started.body.training_id}`, { key: ML_KEY })).body,
      ],
      ['/finetune_list', (await modelslab(emulator, '/v3/finetune_list', { key: ML_KEY })).body],
      [
        '/base64_crop',
        (
          await modelslab(emulator, '/v3/base64_crop', {
            key: ML_KEY,
            image: 'data:image/png;base64,iVBORw0KGgo=',
          })
        ).body,
      ],
      [
        '/cancel_training/{training_id}',
        (await modelslab(emulator, `/v3/cancel_training/${started.body.training_id}`, { key: ML_KEY })).body,
      ],
    ];
    for (const [path, body] of checks) {
      expectOpenApi('train', train, path, body);
      const example = train.paths[path]?.post?.responses['200']?.content?.['application/json']?.example;
      if (example && typeof example === 'object') {
        // Every key of the vendor's example is present, with a value of the same JSON type.
        for (const [key, value] of Object.entries(example)) {
          expect(typeof (body as Record<string, unknown>)[key], `${path} ${key}`).toBe(typeof value);
        }
      }
    }
  });
});

describe('the model catalogues agree with the specs', () => {
  it("ModelsLab: model_list answers the spec's array of PublicModel, each screenshot a PNG the emulator serves", async () => {
    const emulator = manualEmulator();
    const list = await modelslab(emulator, '/v4/dreambooth/model_list', { key: ML_KEY });
    expect(list.status).toBe(200);
    expectOpenApi('operation', operation, '/model_list', list.body);
    const rows = list.body as unknown as Array<{ model_id: string; screenshots: string }>;
    expect(rows.map((r) => r.model_id)).toContain('sdxl');
    const picture = await emulator.fetch(rows[0]!.screenshots);
    expect([...new Uint8Array(await picture.arrayBuffer()).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect((await modelslab(emulator, '/v4/dreambooth/model_list', { key: 'wrong' })).status).toBe(401);
  });

  it('Scenario: every seeded public model has a thumbnail whose URL serves PNG bytes', async () => {
    const emulator = manualEmulator();
    const page = await scenario(emulator, 'GET', '/models/public?pageSize=500');
    expectScenario('/models/public', 'get', 200, page.body);
    const models = page.body.models as Array<{ id: string; thumbnail?: { assetId: string; url: string } }>;
    expect(models.length).toBeGreaterThan(5);
    expect(models.filter((m) => !m.thumbnail)).toEqual([]);
    const bytes = new Uint8Array(await (await emulator.fetch(models[0]!.thumbnail!.url)).arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});

describe('responses agree with the example responses in the seed documents', () => {
  it('ModelsLab: the multi-LoRA request example is accepted and its processing example has our keys', async () => {
    const emulator = manualEmulator();
    const request = jsonAround(read('seeds/003_364cfc053cad865a.txt'), '"lora_strength": "0.45,0.55"');
    // The vendor's example LoRAs are in the emulator's public catalogue.
    const res = await modelslab(emulator, '/v6/images/text2img', { ...request, key: ML_KEY });
    expect(res.body.status).toBe('processing');
    const example = jsonAround(read('seeds/001_903b5bb51d41f6f3.txt'), '"status": "processing"');
    for (const [key, value] of Object.entries(example)) {
      // v6 spells it `message` (OpenAPI); the v3-era example spells it `messege`.
      const ours = key === 'messege' ? res.body.message : res.body[key];
      expect(typeof ours, key).toBe(typeof value);
    }
    for (const key of Object.keys(example.meta as object)) expect(res.body.meta, key).toHaveProperty(key);
    expect(res.body.meta.lora_strength).toBe('0.45,0.55');
  });

  it('Scenario: the training guide examples have our fields, with the schema status "new" for "draft"', async () => {
    const emulator = manualEmulator();
    const guide = read('seeds/002_79dd50d9b0a3b964.txt');
    const created = jsonAround(guide, '"status": "draft"');
    const ours = (await scenario(emulator, 'POST', '/models', { name: created.name, type: created.type }))
      .body.model;
    for (const key of Object.keys(created)) expect(ours, key).toHaveProperty(key);
    expect(ours.status).toBe('new');
    const trainExample = jsonAround(guide, '"stage": "queued-for-train"', 'job');
    const id = await loraWithImages(emulator, 'flux.2-dev-lora', 2);
    const trained = (await scenario(emulator, 'PUT', `/models/${id}/train`, {})).body;
    emulator.clock.advance(0.05 * 15 * 60_000);
    const model = (await scenario(emulator, 'GET', `/models/${id}`)).body.model;
    const progress = (trainExample.model as { trainingProgress: Record<string, unknown> }).trainingProgress;
    expect(model.trainingProgress.stage).toBe(progress.stage);
    for (const key of Object.keys(progress)) expect(model.trainingProgress, key).toHaveProperty(key);
    // The guide's job {id, type} is illustrative; the schema's job {jobId, jobType} is what we send.
    expect(trained.job.jobType).toBe((trainExample.job as { type: string }).type);
  });
});
