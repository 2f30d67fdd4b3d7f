import { describe, expect, it } from 'vitest';
import { control, loraWithImages, ML_KEY, manualEmulator, modelslab, scenario } from './test/helpers';

describe('control API', () => {
  it('reads the request log with filters, counting creates, trains and polls without credentials', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 2);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    for (let i = 0; i < 3; i++) await scenario(emulator, 'GET', `/models/${id}`);
    await modelslab(emulator, '/v6/images/text2img', { key: ML_KEY, model_id: 'sdxl', prompt: 'x' });
    const trains = await control(emulator, 'GET', '/log?route=scenario.models.train');
    // `route` matches the name and its children, so the train entry is there (and no dry runs here).
    expect(trains.body.entries.map((e: { route: string }) => e.route)).toEqual(['scenario.models.train']);
    expect(trains.body.entries[0].modelId).toBe(id);
    expect(trains.body.entries[0].jobId).toMatch(/^job_/);
    const polls = await control(emulator, 'GET', `/log?route=scenario.models.get&modelId=${id}`);
    expect(polls.body.entries).toHaveLength(3);
    const ml = await control(emulator, 'GET', '/log?provider=modelslab');
    expect(ml.body.entries).toHaveLength(1);
    const text = JSON.stringify((await control(emulator, 'GET', '/log')).body);
    expect(text).not.toContain(ML_KEY);
    expect(text).not.toContain('emulator-secret');
    const bad = await control(emulator, 'GET', '/log?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request' });
    expect(bad.body.error.issues[0].path).toEqual(['limit']);
  });

  it('misbehaves on cue: a generation that succeeds with no assets, a signed URL handed out expired, a ModelsLab generation that fails', async () => {
    const emulator = manualEmulator();
    const refused = await control(emulator, 'POST', '/misbehave', { emptyGenerations: -1 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toEqual(['emptyGenerations']);
    await control(emulator, 'POST', '/misbehave', { emptyGenerations: 1, staleUrls: 1 });
    const generate = () =>
      scenario(emulator, 'POST', '/generate/txt2img', {
        modelId: 'model_flux1-neon-noir',
        prompt: 'x',
        numSamples: 1,
      });
    const jobOf = async () => {
      const { jobId } = (await generate()).body.job;
      emulator.clock.advance(60_000);
      return (await scenario(emulator, 'GET', `/jobs/${jobId}`)).body.job;
    };
    const empty = await jobOf();
    expect(empty.status).toBe('success');
    expect(empty.metadata.assetIds).toEqual([]);
    const assetId = (await jobOf()).metadata.assetIds[0];
    const stale = (await scenario(emulator, 'GET', `/assets/${assetId}`)).body.asset.url;
    expect((await emulator.fetch(stale)).status).toBe(403);
    const fresh = (await scenario(emulator, 'GET', `/assets/${assetId}`)).body.asset.url;
    expect((await emulator.fetch(fresh)).status).toBe(200);
    await control(emulator, 'POST', '/misbehave', { failedGenerations: 1 });
    const queued = await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
    });
    emulator.clock.advance(60_000);
    const fetched = await modelslab(emulator, '/v6/images/fetch', {
      key: ML_KEY,
      request_id: String(queued.body.id),
    });
    expect(fetched.body).toMatchObject({ status: 'failed', id: queued.body.id });
  });

  it('lists the route table with a fault glob per route that the fault matcher accepts', async () => {
    const emulator = manualEmulator();
    const { body } = await control(emulator, 'GET', '/routes');
    const train = body.routes.find((r: { name: string }) => r.name === 'scenario.models.train');
    expect(train).toEqual({
      method: 'PUT',
      path: '/scenario/v1/models/:modelId/train',
      name: 'scenario.models.train',
      fault: 'PUT /scenario/v1/models/*/train',
    });
    expect(body.routes.find((r: { name: string }) => r.name === 'files.get').fault).toBe('GET /files/**');
    await control(emulator, 'POST', '/faults', { route: train.fault, rate: 1, kind: '5xx', times: 1 });
    const id = await loraWithImages(emulator, 'flux.1-lora', 1);
    expect((await scenario(emulator, 'PUT', `/models/${id}/train`, {})).status).toBe(500);
  });

  it('sets, lists and clears fault rules and refuses invalid ones with a path and a code', async () => {
    const emulator = manualEmulator();
    const set = await control(emulator, 'POST', '/faults', {
      rules: [{ route: 'GET /scenario/v1/models', rate: 1, kind: '5xx', status: 503 }],
    });
    expect(set.body.rules).toHaveLength(1);
    expect((await scenario(emulator, 'GET', '/models')).status).toBe(503);
    const added = await control(emulator, 'POST', '/faults', {
      route: '/^POST /',
      rate: 0.5,
      kind: 'latency',
      ms: 1,
    });
    expect(added.body.rules).toHaveLength(2);
    expect((await control(emulator, 'DELETE', '/faults')).body.rules).toEqual([]);
    expect((await scenario(emulator, 'GET', '/models')).status).toBe(200);
    const invalid = await control(emulator, 'POST', '/faults', {
      rules: [{ route: 'x', rate: 2, kind: '429' }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues[0]).toMatchObject({ path: ['rules', 0, 'rate'], code: 'too_big' });
    const regex = await control(emulator, 'POST', '/faults', { route: '/([/', rate: 1, kind: '429' });
    expect(regex.body.error.code).toBe('invalid_route');
    const json = await control(emulator, 'POST', '/faults', '{nope');
    expect(json.body.error.code).toBe('invalid_json');
  });

  it('advances the clock, switches to a speed and back to manual', async () => {
    const emulator = manualEmulator();
    const before = emulator.clock.now();
    const adv = await control(emulator, 'POST', '/clock/advance', { ms: 90_000 });
    expect(adv.body.clock.now).toBe(before + 90_000);
    const speed = await control(emulator, 'POST', '/clock/speed', { speed: 60 });
    expect(speed.body.clock).toMatchObject({ mode: 'scaled', speed: 60 });
    const manual = await control(emulator, 'POST', '/clock/manual');
    expect(manual.body.clock.mode).toBe('manual');
    expect((await control(emulator, 'POST', '/clock/advance', { ms: -1 })).status).toBe(400);
    expect((await control(emulator, 'POST', '/clock/speed', { speed: 0 })).status).toBe(400);
  });

  it('fails a training on cue and reports unknown ids', async () => {
    const emulator = manualEmulator();
    const id = await loraWithImages(emulator, 'flux.1-lora', 1);
    await scenario(emulator, 'PUT', `/models/${id}/train`, {});
    emulator.clock.advance(60_000);
    expect((await control(emulator, 'POST', '/trainings/fail', { id })).body).toEqual({ failed: id });
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('failed');
    const again = await control(emulator, 'POST', '/trainings/fail', { id });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_training');
    const ml = await modelslab(emulator, '/v3/lora_fine_tune', {
      key: ML_KEY,
      instance_prompt: 'p',
      class_prompt: 'c',
      images: ['https://example.invalid/a.png'],
      training_type: 'null',
      max_train_steps: 10,
    });
    expect((await control(emulator, 'POST', '/trainings/fail', { id: ml.body.training_id })).status).toBe(
      200,
    );
    const status = await modelslab(emulator, `/v3/fine_tune_status/${ml.body.training_id}`, { key: ML_KEY });
    expect(status.body.status).toBe('error');
  });

  it('changes timings and refuses unknown ones', async () => {
    const emulator = manualEmulator();
    const res = await control(emulator, 'POST', '/timings', { trainingMs: 1000 });
    expect(res.body.timings.trainingMs).toBe(1000);
    const bad = await control(emulator, 'POST', '/timings', { trainingMinutes: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_timings');
  });

  it('resets state, log and faults but keeps the catalogue and the clock', async () => {
    const emulator = manualEmulator();
    const before = await loraWithImages(emulator, 'flux.1-lora', 1);
    emulator.faults.set([{ route: '/files/**', rate: 1, kind: '429' }]);
    emulator.clock.advance(5_000);
    const now = emulator.clock.now();
    const state = (await control(emulator, 'GET', '/state')).body;
    expect(state.counts).toMatchObject({ models: 1, assets: 1 });
    const reset = await control(emulator, 'POST', '/reset');
    expect(reset.body.state.counts).toMatchObject({ models: 0, jobs: 0, assets: 0 });
    expect(reset.body.state.faults).toEqual([]);
    expect(emulator.clock.now()).toBe(now);
    expect((await control(emulator, 'GET', '/log')).body.entries).toEqual([]);
    expect((await scenario(emulator, 'GET', '/models/model_flux1-watercolor')).status).toBe(200);
    expect((await control(emulator, 'GET', '/nothing')).body.error.code).toBe('unknown_control_route');
    const again = await loraWithImages(emulator, 'flux.1-lora', 1);
    expect(again).not.toBe(before);
  });
});
