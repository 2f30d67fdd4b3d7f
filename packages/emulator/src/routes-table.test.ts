import { describe, expect, it } from 'vitest';
import { ROUTE_TABLE, routeNameFor } from './routes-table';
import {
  loraWithImages,
  ML_KEY,
  manualEmulator,
  modelslab,
  ORIGIN,
  SCENARIO_AUTH,
  scenario,
} from './test/helpers';

describe('route names', () => {
  it('given before routing (for faults) agree with the names the routes give themselves', async () => {
    const emulator = manualEmulator({ timings: { generationMs: 0, modelslabEtaMs: 0 } });
    const id = await loraWithImages(emulator, 'flux.2-dev-edit-lora', 2);
    const images = (await scenario(emulator, 'GET', `/models/${id}`)).body.model.trainingImages;
    await scenario(emulator, 'PUT', `/models/${id}/training-images/pairs`, [
      { sourceId: images[0].id, targetId: images[1].id },
    ]);
    await scenario(emulator, 'DELETE', `/models/${id}/training-images/${images[1].id}`);
    await scenario(emulator, 'GET', '/models?privacy=public');
    await scenario(emulator, 'GET', '/models/public');
    const other = await loraWithImages(emulator, 'flux.1-lora', 1);
    const train = await scenario(emulator, 'PUT', `/models/${other}/train`, {});
    await scenario(emulator, 'PUT', `/models/${other}/train?dryRun=true`, {});
    await scenario(emulator, 'POST', `/models/${other}/train/action`, { action: 'cancel' });
    await scenario(emulator, 'GET', `/jobs/${train.body.job.jobId}`);
    await scenario(emulator, 'GET', '/jobs');
    const gen = await scenario(emulator, 'POST', '/generate/custom/model_zimage', {
      prompt: 'x',
      width: 128,
      height: 128,
    });
    await scenario(emulator, 'POST', `/jobs/${gen.body.job.jobId}/action`, { action: 'cancel' });
    await scenario(emulator, 'POST', '/generate/txt2img', {
      modelId: 'model_sd15-anime-cel',
      prompt: 'x',
      numSamples: 1,
    });
    const done = await scenario(emulator, 'POST', '/generate/custom/model_zimage', {
      prompt: 'y',
      width: 128,
      height: 128,
    });
    const job = (await scenario(emulator, 'GET', `/jobs/${done.body.job.jobId}`)).body.job;
    const asset = (await scenario(emulator, 'GET', `/assets/${job.metadata.assetIds[0]}`)).body.asset;
    await emulator.fetch(asset.url);
    const ml = await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
    });
    await modelslab(emulator, `/v6/images/fetch/${ml.body.id}`, { key: ML_KEY });
    await modelslab(emulator, '/v6/images/fetch', { key: ML_KEY, request_id: ml.body.id });
    const tr = await modelslab(emulator, '/v3/lora_fine_tune', {
      key: ML_KEY,
      instance_prompt: 'p',
      class_prompt: 'c',
      images: ['https://example.invalid/a.png'],
      training_type: 'men',
      max_train_steps: 12,
    });
    await modelslab(emulator, `/v3/fine_tune_status/${tr.body.training_id}`, { key: ML_KEY });
    await modelslab(emulator, `/v3/cancle_training/${tr.body.training_id}`, { key: ML_KEY });
    await modelslab(emulator, `/v3/finetune/delete/${tr.body.training_id}`, { key: ML_KEY });
    await modelslab(emulator, '/v3/finetune_list', { key: ML_KEY });
    await modelslab(emulator, '/v3/base64_crop', {
      key: ML_KEY,
      image: 'data:image/png;base64,iVBORw0KGgo=',
    });

    const entries = emulator.log.entries();
    const named = new Set(entries.map((e) => e.route));
    expect(named.size).toBeGreaterThanOrEqual(22);
    for (const entry of entries) {
      const early = routeNameFor(entry.method, entry.path);
      expect(
        entry.route === early || entry.route.startsWith(`${early}.`),
        `${entry.method} ${entry.path}`,
      ).toBe(true);
    }
  });

  it('come from one table that every route of the apps is registered from, each path under one name', async () => {
    const emulator = manualEmulator();
    const seen = new Map<string, string>();
    for (const route of ROUTE_TABLE) {
      const key = `${route.method} ${route.path}`;
      expect(seen.get(key), key).toBeUndefined();
      seen.set(key, route.name);
      // A concrete request for the row: parameters filled in, ModelsLab's key in the body.
      const path = route.path.replace(/:[a-zA-Z]+/g, 'x1').replace(/\*$/, 'scenario/x1.png');
      const modelsLab = path.startsWith('/modelslab/');
      await emulator.fetch(`${ORIGIN}${path}`, {
        method: route.method,
        headers: { authorization: SCENARIO_AUTH, 'content-type': 'application/json' },
        ...(route.method === 'GET' ? {} : { body: JSON.stringify(modelsLab ? { key: ML_KEY } : {}) }),
      });
      const entry = emulator.log.entries().at(-1);
      expect(routeNameFor(route.method, path), key).toBe(route.name);
      expect(
        entry?.route === route.name || entry?.route.startsWith(`${route.name}.`),
        `${key} → ${entry?.route}`,
      ).toBe(true);
    }
    expect(new Set(ROUTE_TABLE.map((r) => r.name)).size).toBeGreaterThanOrEqual(25);
  });
});
