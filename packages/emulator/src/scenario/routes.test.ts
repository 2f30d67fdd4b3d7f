import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loraWithImages, manualEmulator, ORIGIN, PNG_DATA_URL, scenario } from '../test/helpers';

const MIN = 60_000;

describe('Scenario authentication', () => {
  it('answers 401 {"message":"Unauthorized"} for a missing or wrong key pair', async () => {
    const emulator = manualEmulator();
    const wrong = await scenario(emulator, 'GET', '/models', undefined, `Basic ${btoa('api_emulator:nope')}`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'Unauthorized' });
    const none = await scenario(emulator, 'GET', '/models', undefined, '');
    expect(none.status).toBe(401);
  });

  it('accepts configured credentials instead of the defaults', async () => {
    const emulator = manualEmulator({ credentials: { scenario: [{ key: 'api_k', secret: 's3' }] } });
    expect((await scenario(emulator, 'GET', '/models')).status).toBe(401);
    expect((await scenario(emulator, 'GET', '/models', undefined, `Basic ${btoa('api_k:s3')}`)).status).toBe(
      200,
    );
  });
});

describe('Scenario model catalogue', () => {
  it('lists public LoRAs of every family and base models with inputs', async () => {
    const emulator = manualEmulator();
    const { body } = await scenario(emulator, 'GET', '/models?privacy=public&pageSize=500');
    const types = new Set(body.models.map((m: { type: string }) => m.type));
    for (const t of [
      'flux.1-lora',
      'flux.2-dev-lora',
      'flux.2-klein-4b-lora',
      'sd-xl-lora',
      'sd-1_5-lora',
      'qwen-image-lora',
      'zimage-lora',
      'zimage-turbo-lora',
    ]) {
      expect(types).toContain(t);
    }
    const base = await scenario(emulator, 'GET', '/models/model_bfl-flux-2-dev');
    expect(base.body.model.custom).toBe(true);
    expect(base.body.model.inputs.map((i: { name: string }) => i.name)).toContain('lorasScale');
    // List rows omit inputs, as captured.
    expect(body.models.every((m: Record<string, unknown>) => !('inputs' in m))).toBe(true);
  });

  it('filters by type and types on /models and /models/public', async () => {
    const emulator = manualEmulator();
    const one = await scenario(emulator, 'GET', '/models?privacy=public&type=flux.1-lora');
    expect(one.body.models.length).toBeGreaterThan(0);
    expect(one.body.models.every((m: { type: string }) => m.type === 'flux.1-lora')).toBe(true);
    const two = await scenario(emulator, 'GET', '/models/public?types=zimage-lora,zimage-turbo-lora');
    expect(new Set(two.body.models.map((m: { type: string }) => m.type))).toEqual(
      new Set(['zimage-lora', 'zimage-turbo-lora']),
    );
  });

  it('pages with an opaque base64 token of {"offset","limit"} and no token on the last page', async () => {
    const emulator = manualEmulator();
    const first = await scenario(emulator, 'GET', '/models/public?pageSize=5');
    expect(first.body.models).toHaveLength(5);
    expect(JSON.parse(atob(first.body.nextPaginationToken))).toEqual({ offset: 5, limit: 5 });
    const seen = [...first.body.models];
    let token: string | undefined = first.body.nextPaginationToken;
    while (token) {
      const next = await scenario(
        emulator,
        'GET',
        `/models/public?paginationToken=${encodeURIComponent(token)}`,
      );
      seen.push(...next.body.models);
      token = next.body.nextPaginationToken;
    }
    const all = await scenario(emulator, 'GET', '/models/public?pageSize=500');
    expect(seen.map((m) => m.id)).toEqual(all.body.models.map((m: { id: string }) => m.id));
  });

  it('refuses a malformed pagination token or page size with a reason', async () => {
    const emulator = manualEmulator();
    const bad = await scenario(emulator, 'GET', '/models?paginationToken=not-base64!');
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('Invalid paginationToken');
    const big = await scenario(emulator, 'GET', '/models?pageSize=501');
    expect(big.body.reason).toBe('Input pageSize must be at most 500');
  });

  it('answers 404 {reason} for an unknown model', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'GET', '/models/model_nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ reason: 'Model model_nope not found' });
  });
});

describe('Scenario model creation', () => {
  it('creates a model with status "new" in the caller project, listed privately', async () => {
    const emulator = manualEmulator();
    const created = await scenario(emulator, 'POST', '/models', { name: 'Mine', type: 'flux.2-dev-lora' });
    expect(created.status).toBe(200);
    expect(created.body.model).toMatchObject({
      status: 'new',
      type: 'flux.2-dev-lora',
      privacy: 'private',
      name: 'Mine',
    });
    expect(created.body.model.id).toMatch(/^model_[A-Za-z0-9]{22}$/);
    const mine = await scenario(emulator, 'GET', '/models');
    expect(mine.body.models.map((m: { id: string }) => m.id)).toEqual([created.body.model.id]);
    const other = await scenario(emulator, 'GET', '/models?projectId=proj_other');
    expect(other.body.models).toEqual([]);
    expect(
      (await scenario(emulator, 'GET', `/models/${created.body.model.id}?projectId=proj_other`)).status,
    ).toBe(404);
  });

  it('refuses a composition whose concepts are of another family', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'POST', '/models', {
      type: 'flux.1-composition',
      concepts: [
        { modelId: 'model_flux1-watercolor', scale: 0.6 },
        { modelId: 'model_flux2-ink-sketch', scale: 0.8 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe(
      'Invalid model(s): model_flux2-ink-sketch.\nAllowed model types: flux.1-lora',
    );
  });

  it('refuses concept scales outside -2..2 and more than 6 concepts', async () => {
    const emulator = manualEmulator();
    const scale = await scenario(emulator, 'POST', '/models', {
      type: 'flux.1-composition',
      concepts: [{ modelId: 'model_flux1-watercolor', scale: 2.5 }],
    });
    expect(scale.body.reason).toBe('Input concepts[0].scale must be at most 2');
    const many = await scenario(emulator, 'POST', '/models', {
      type: 'flux.1-composition',
      concepts: Array.from({ length: 7 }, () => ({ modelId: 'model_flux1-watercolor', scale: 0.5 })),
    });
    expect(many.body.reason).toBe('Input concepts must be at most 6 items long');
  });

  it('answers 400 Invalid JSON body for malformed JSON', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'POST', '/models', '{"name":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ reason: 'Invalid JSON body' });
  });
});

describe('Scenario training images and pairs', () => {
  it('adds images by data URL and by existing asset ids, at most 10 per batch', async () => {
    const emulator = manualEmulator();
    const source = await loraWithImages(emulator, 'flux.1-lora', 2);
    const images = (await scenario(emulator, 'GET', `/models/${source}`)).body.model.trainingImages;
    expect(images).toHaveLength(2);
    const target = (await scenario(emulator, 'POST', '/models', { type: 'flux.1-lora' })).body.model.id;
    const batch = await scenario(emulator, 'POST', `/models/${target}/training-images`, {
      assetIds: images.map((i: { id: string }) => i.id),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.trainingImage.id).toBe(images[0].id);
    const tooMany = await scenario(emulator, 'POST', `/models/${target}/training-images`, {
      assetIds: Array.from({ length: 11 }, (_, i) => `asset_${i}`),
    });
    expect(tooMany.body.reason).toBe('Input assetIds must be at most 10 items long');
    const missing = await scenario(emulator, 'POST', `/models/${target}/training-images`, {
      assetId: 'asset_missing',
    });
    expect(missing.status).toBe(404);
  });

  it('refuses a 51st training image', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 50);
    const res = await scenario(emulator, 'POST', `/models/${id}/training-images`, {
      name: 'x.png',
      data: PNG_DATA_URL,
    });
    expect(res.status).toBe(400);
    expect(res.body.reason).toContain('at most 50 training images');
  });

  it('replaces pairs from a bare array and checks the ids are training images', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.2-dev-edit-lora', 4);
    const ids = (await scenario(emulator, 'GET', `/models/${id}`)).body.model.trainingImages.map(
      (i: { id: string }) => i.id,
    );
    const res = await scenario(emulator, 'PUT', `/models/${id}/training-images/pairs`, [
      { sourceId: ids[0], targetId: ids[1], instruction: 'relight' },
    ]);
    expect(res.body).toEqual({
      count: 1,
      pairs: [{ sourceId: ids[0], targetId: ids[1], instruction: 'relight' }],
    });
    const bad = await scenario(emulator, 'PUT', `/models/${id}/training-images/pairs`, [
      { sourceId: 'asset_x', targetId: ids[1] },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toContain('asset_x is not a training image');
    // An edit LoRA with fewer than two pairs cannot train.
    const train = await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    expect(train.body.reason).toBe(`Edit models need at least 2 training image pairs; ${id} has 1`);
  });
});

describe('Scenario training', () => {
  it('walks pending → queued-for-train → starting-train → running-train → trained on the clock', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    const started = await scenario(emulator, 'PUT', `/models/${id}/train`, { parameters: { rank: 16 } });
    expect(started.status).toBe(200);
    expect(started.body.model.status).toBe('training');
    expect(started.body.job).toMatchObject({ jobType: 'flux-model-training', status: 'queued' });
    const stages: string[] = [];
    const positions: number[] = [];
    let last = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 15; t++) {
      const { model } = (await scenario(emulator, 'GET', `/models/${id}`)).body;
      expect(model.status).toBe('training');
      const p = model.trainingProgress;
      if (stages.at(-1) !== p.stage) stages.push(p.stage);
      if (p.stage === 'queued-for-train') positions.push(p.position);
      expect(p.remainingTimeMs).toBeLessThan(last);
      last = p.remainingTimeMs;
      expect(p.remainingTimeMs).toBe(15 * MIN - t * MIN);
      emulator.clock.advance(MIN);
    }
    expect(stages).toEqual(['pending', 'queued-for-train', 'starting-train', 'running-train']);
    expect([...positions].sort((a, b) => b - a)).toEqual(positions);
    const done = (await scenario(emulator, 'GET', `/models/${id}`)).body.model;
    expect(done.status).toBe('trained');
    expect(done.trainingStats.trainDuration).toBeGreaterThan(0);
    const job = (await scenario(emulator, 'GET', `/jobs/${started.body.job.jobId}`)).body.job;
    expect(job.status).toBe('success');
    expect(job.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'warming-up',
      'in-progress',
      'finalizing',
      'success',
    ]);
  });

  it('produces per-epoch sample images that converge as the LoRA trains, and drops unreached ones on cancel', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {
      parameters: { nbEpochs: 4, samplePrompts: ['a red fox', 'a blue bird'] },
    });
    emulator.clock.advance(15 * MIN);
    const model = (await scenario(emulator, 'GET', `/models/${id}`)).body.model;
    expect(model.epochs).toHaveLength(4);
    expect(model.epochs.every((e: { assets: unknown[] }) => e.assets.length === 2)).toBe(true);
    expect(model.thumbnail.assetId).toBe(model.epochs[3].assets[0].assetId);
    const first = new Uint8Array(await (await emulator.fetch(model.epochs[0].assets[0].url)).arrayBuffer());
    const last = new Uint8Array(await (await emulator.fetch(model.epochs[3].assets[0].url)).arrayBuffer());
    expect(first).not.toEqual(last);

    const other = await loraWithImages(emulator, 'flux.1-lora', 1, 'other');
    await scenario(emulator, 'PUT', `/models/${other}/train`, {
      parameters: { nbEpochs: 4, samplePrompts: ['x'] },
    });
    emulator.clock.advance(9 * MIN);
    await scenario(emulator, 'POST', `/models/${other}/train/action`, { action: 'cancel' });
    emulator.clock.advance(10 * MIN);
    const canceled = (await scenario(emulator, 'GET', `/models/${other}`)).body.model;
    expect(canceled.epochs.length).toBeGreaterThan(0);
    expect(canceled.epochs.length).toBeLessThan(4);
    expect(emulator.state().counts.assets).toBe(3 + 8 + 1 + canceled.epochs.length);
  });

  it('counts the queue position down to 0 while queued-for-train', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    const positions: number[] = [];
    for (let t = 0; t < 150; t++) {
      const p = (await scenario(emulator, 'GET', `/models/${id}`)).body.model.trainingProgress;
      if (p.stage === 'queued-for-train') positions.push(p.position);
      emulator.clock.advance(1_000);
    }
    expect(positions[0]).toBeGreaterThan(0);
    expect(positions.at(-1)).toBe(0);
    expect([...positions].sort((a, b) => b - a)).toEqual(positions);
  });

  it('finishes a 15-minute training at once after advance(15 min) on a manual clock', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(15 * MIN - 1);
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('training');
    emulator.clock.advance(1);
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('trained');
  });

  it('lists models newest first, in creation order when created at the same moment', async () => {
    const emulator = manualEmulator();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await scenario(emulator, 'POST', '/models', { name: `m${i}` })).body.model.id);
    emulator.clock.advance(1_000);
    ids.push((await scenario(emulator, 'POST', '/models', { name: 'later' })).body.model.id);
    const listed = (await scenario(emulator, 'GET', '/models')).body.models.map((m: { id: string }) => m.id);
    expect(listed).toEqual([...ids].reverse());
  });

  it('finishes a zero-length training at once with finite progress numbers', async () => {
    const emulator = manualEmulator({ trainingMs: 0 });
    const id = await loraWithImages(emulator, 'flux.1-lora', 1);
    const started = await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    expect(started.body.model.status).toBe('trained');
    expect(started.body.model.trainingProgress).toMatchObject({ progress: 1, remainingTimeMs: 0 });
    expect(started.body.job.progress).toBe(1);
  });

  it('uses a configured training duration', async () => {
    const emulator = manualEmulator({ trainingMs: 60_000 });
    const id = await loraWithImages(emulator);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(60_000);
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('trained');
  });

  it('fails a training whose model name carries the fail-training marker, with the job in failure', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 2, 'demo fail-training');
    const started = await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(15 * MIN);
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('failed');
    const job = (await scenario(emulator, 'GET', `/jobs/${started.body.job.jobId}`)).body.job;
    expect(job.status).toBe('failure');
    expect(job.metadata.error).toContain('fail-training');
  });

  it('cancels a training: model training-canceled, job canceled', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    const started = await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(3 * MIN);
    const res = await scenario(emulator, 'POST', `/models/${id}/train/action`, { action: 'cancel' });
    expect(res.body.model.status).toBe('training-canceled');
    emulator.clock.advance(20 * MIN);
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('training-canceled');
    expect((await scenario(emulator, 'GET', `/jobs/${started.body.job.jobId}`)).body.job.status).toBe(
      'canceled',
    );
    const again = await scenario(emulator, 'POST', `/models/${id}/train/action`, { action: 'cancel' });
    expect(again.body.reason).toBe(`Model ${id} is not training`);
    const wrong = await scenario(emulator, 'POST', `/models/${id}/train/action`, { action: 'pause' });
    expect(wrong.status).toBe(400);
  });

  it('answers a dry run with HTTP 269 and a cost, without training', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator);
    const dry = await scenario(emulator, 'PUT', `/models/${id}/train?dryRun=true&trainingImagesCount=20`, {});
    expect(dry.status).toBe(269);
    expect(dry.body).toEqual({
      creativeUnitsCost: 200,
      creativeUnitsDiscount: 0,
      costDetails: { training: 200 },
    });
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('new');
  });

  it('refuses to train a model without images, or one already training', async () => {
    const emulator = manualEmulator();
    const empty = (await scenario(emulator, 'POST', '/models', { type: 'flux.1-lora' })).body.model.id;
    expect((await scenario(emulator, 'PUT', `/models/${empty}/train`, {})).body.reason).toBe(
      `Model ${empty} has no training images`,
    );
    const id = await loraWithImages(emulator);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    expect((await scenario(emulator, 'PUT', `/models/${id}/train`, {})).body.reason).toBe(
      `Model ${id} is already training`,
    );
  });

  it('finalises a composition quickly after its train call', async () => {
    const emulator = manualEmulator();
    const created = await scenario(emulator, 'POST', '/models', {
      type: 'flux.1-composition',
      concepts: [
        { modelId: 'model_flux1-watercolor', scale: 0.65 },
        { modelId: 'model_flux1-neon-noir', scale: 0.8 },
      ],
    });
    const id = created.body.model.id;
    const train = await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    expect(train.status).toBe(200);
    emulator.clock.advance(5_000);
    const model = (await scenario(emulator, 'GET', `/models/${id}`)).body.model;
    expect(model.status).toBe('trained');
    expect(model.concepts).toEqual([
      { modelId: 'model_flux1-watercolor', scale: 0.65 },
      { modelId: 'model_flux1-neon-noir', scale: 0.8 },
    ]);
  });
});

describe('Scenario generation', () => {
  it('generates with LoRAs: job history, assets after success, downloadable signed PNG', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev', {
      prompt: 'a fox in snow',
      loras: ['model_flux2-ink-sketch', 'model_flux2-retro-poster'],
      lorasScale: [0.5, 0.9],
      numOutputs: 2,
      width: 256,
      height: 256,
      seed: 42,
    });
    expect(res.status).toBe(200);
    expect(res.body.creativeUnitsCost).toBe(33.75);
    const jobId = res.body.job.jobId;
    expect(res.body.job.jobType).toBe('custom');
    let job = (await scenario(emulator, 'GET', `/jobs/${jobId}`)).body.job;
    expect(job.metadata.assetIds).toEqual([]);
    emulator.clock.advance(10_000);
    job = (await scenario(emulator, 'GET', `/jobs/${jobId}`)).body.job;
    expect(job.status).toBe('success');
    expect(job.metadata.assetIds).toHaveLength(2);
    const asset = (await scenario(emulator, 'GET', `/assets/${job.metadata.assetIds[0]}`)).body.asset;
    expect(asset).toMatchObject({ mimeType: 'image/png', kind: 'image', status: 'success' });
    expect(asset.properties).toMatchObject({ width: 256, height: 256 });
    const download = await emulator.fetch(asset.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes.length).toBe(asset.properties.size);
    expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
  });

  it('refuses asset downloads with a forged signature or after expiry', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 1);
    const url = (await scenario(emulator, 'GET', `/models/${id}`)).body.model.trainingImages[0]
      .downloadUrl as string;
    expect((await emulator.fetch(url)).status).toBe(200);
    expect((await emulator.fetch(url.replace(/Signature=[0-9a-f]+/, 'Signature=0000'))).status).toBe(403);
    emulator.clock.advance(2 * 60 * MIN);
    expect((await emulator.fetch(url)).status).toBe(403);
    expect((await emulator.fetch(`${ORIGIN}/files/scenario/asset_missing.png`)).status).toBe(404);
  });

  it('refuses a LoRA of the wrong family, more than 6 LoRAs, scales above 2 and LoRA ids in the path', async () => {
    const emulator = manualEmulator();
    const path = '/generate/custom/model_bfl-flux-2-dev';
    const family = await scenario(emulator, 'POST', path, { prompt: 'x', loras: ['model_flux1-watercolor'] });
    expect(family.body.reason).toBe(
      'Invalid model(s): model_flux1-watercolor.\nAllowed model types: flux.2-dev-lora, flux.2-dev-edit-lora',
    );
    const many = await scenario(emulator, 'POST', path, {
      prompt: 'x',
      loras: Array(7).fill('model_flux2-ink-sketch'),
    });
    expect(many.body.reason).toBe('Input loras must be at most 6 items long');
    const scale = await scenario(emulator, 'POST', path, {
      prompt: 'x',
      loras: ['model_flux2-ink-sketch'],
      lorasScale: [2.5],
    });
    expect(scale.body.reason).toBe('Input lorasScale[0] must be at most 2');
    const step = await scenario(emulator, 'POST', path, {
      prompt: 'x',
      loras: ['model_flux2-ink-sketch'],
      lorasScale: [0.33],
    });
    expect(step.body.reason).toBe('Input lorasScale[0] must be a multiple of 0.05');
    const lora = await scenario(emulator, 'POST', '/generate/custom/model_flux2-ink-sketch', { prompt: 'x' });
    expect(lora.body).toEqual({ reason: 'Custom models only are supported for this endpoint' });
    const unknown = await scenario(emulator, 'POST', path, { prompt: 'x', loras: ['model_missing'] });
    expect(unknown.status).toBe(404);
    const reference = await scenario(emulator, 'POST', path, {
      prompt: 'x',
      referenceImages: ['asset_missing'],
    });
    expect(reference).toMatchObject({ status: 404, body: { reason: 'Asset asset_missing not found' } });
  });

  it('answers a generation dry run with 269 and the captured flux prices', async () => {
    const emulator = manualEmulator();
    const two = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev?dryRun=true', {
      prompt: 'x',
    });
    expect(two.status).toBe(269);
    expect(two.body.creativeUnitsCost).toBe(17.75);
    const one = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-1-dev?dryRun=true', {
      prompt: 'x',
      loras: ['model_flux1-watercolor', 'model_flux1-neon-noir'],
    });
    expect(one.body.creativeUnitsCost).toBe(10.75);
    expect((await scenario(emulator, 'GET', '/jobs')).body.jobs).toEqual([]);
  });

  it('generates through legacy txt2img with a composition and extra concepts', async () => {
    const emulator = manualEmulator();
    const comp = (
      await scenario(emulator, 'POST', '/models', {
        type: 'flux.1-composition',
        concepts: [{ modelId: 'model_flux1-watercolor', scale: 0.7 }],
      })
    ).body.model.id;
    const untrained = await scenario(emulator, 'POST', '/generate/txt2img', { modelId: comp, prompt: 'x' });
    expect(untrained.body.reason).toBe(`Model ${comp} is not trained (status: new)`);
    await scenario(emulator, 'PUT', `/models/${comp}/train`, {});
    emulator.clock.advance(5_000);
    const res = await scenario(emulator, 'POST', '/generate/txt2img', {
      modelId: comp,
      prompt: 'a lighthouse',
      numSamples: 1,
      concepts: [{ modelId: 'model_flux1-paper-cut', scale: 0.4 }],
    });
    expect(res.status).toBe(200);
    expect(res.body.inference).toMatchObject({ type: 'txt2img', prompt: 'a lighthouse' });
    const missingModel = await scenario(emulator, 'POST', '/generate/txt2img', { prompt: 'x' });
    expect(missingModel.body.reason).toBe('"modelId" must be a string');
  });

  it('lists jobs newest first with type and status filters and page tokens', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 1);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(1_000);
    const gens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await scenario(emulator, 'POST', '/generate/custom/model_zimage', {
        prompt: `p${i}`,
        width: 128,
        height: 128,
      });
      gens.push(res.body.job.jobId);
    }
    const custom = await scenario(emulator, 'GET', '/jobs?type=custom&pageSize=2');
    expect(custom.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([gens[2], gens[1]]);
    const rest = await scenario(
      emulator,
      'GET',
      `/jobs?type=custom&paginationToken=${custom.body.nextPaginationToken}`,
    );
    expect(rest.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([gens[0]]);
    expect(rest.body.nextPaginationToken).toBeUndefined();
    const training = await scenario(
      emulator,
      'GET',
      '/jobs?types=flux-model-training,model-training&status=queued',
    );
    expect(training.body.jobs).toHaveLength(1);
    expect((await scenario(emulator, 'GET', '/jobs?pageSize=201')).status).toBe(400);
  });

  it('cancels a running generation job through /jobs/{id}/action', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'POST', '/generate/custom/model_zimage', {
      prompt: 'x',
      width: 128,
      height: 128,
    });
    const jobId = res.body.job.jobId;
    const cancel = await scenario(emulator, 'POST', `/jobs/${jobId}/action`, { action: 'cancel' });
    expect(cancel.body.job.status).toBe('canceled');
    emulator.clock.advance(60_000);
    const job = (await scenario(emulator, 'GET', `/jobs/${jobId}`)).body.job;
    expect(job.status).toBe('canceled');
    expect(job.metadata.assetIds).toEqual([]);
    expect((await scenario(emulator, 'GET', '/jobs/job_missing')).status).toBe(404);
  });

  it('never answers a malformed generation body with a 5xx', async () => {
    const emulator = manualEmulator({ timings: { generationMs: 0 } });
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            prompt: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            loras: fc.oneof(
              fc.array(fc.constantFrom('model_flux2-ink-sketch', 'model_zimage-film-grain', 'x')),
              fc.string(),
            ),
            lorasScale: fc.array(fc.oneof(fc.double({ noNaN: true }), fc.string())),
            width: fc.oneof(fc.integer({ min: -10, max: 5000 }), fc.string()),
            numOutputs: fc.integer({ min: -1, max: 6 }),
            seed: fc.oneof(fc.integer(), fc.double()),
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const res = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev', body);
          expect([200, 400, 404]).toContain(res.status);
          if (res.status !== 200) expect(typeof res.body.reason).toBe('string');
        },
      ),
      { numRuns: 60 },
    );
  });
});
