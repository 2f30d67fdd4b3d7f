import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  ValidationError,
} from '../errors';
import { waitForJob, waitForModel } from '../polling';
import { isPng, TINY_PNG_DATA_URL } from '../test/assets';
import { type Harness, startHarness } from '../test/emulator-harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const routeCount = (method: string, path: RegExp) =>
  h.emulator.log.entries({ method }).filter((e) => path.test(e.path)).length;

describe('ScenarioClient against the emulator', () => {
  it('lists the public catalogue across LoRA families', async () => {
    const c = h.scenario();
    const all = [];
    let token: string | undefined;
    do {
      const page = await c.listPublicModels(
        token ? { pageSize: 50, paginationToken: token } : { pageSize: 50 },
      );
      all.push(...page.items);
      token = page.nextPaginationToken;
    } while (token);
    const types = new Set(all.map((m) => m.type));
    expect(types.has('flux.1-lora')).toBe(true);
    expect(types.has('sd-xl-lora')).toBe(true);
    expect(types.has('flux.2-dev-lora')).toBe(true);
  });

  it('iterates every page of the private model list', async () => {
    const c = h.scenario();
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await c.createModel({ name: `m${i}`, type: 'flux.1-lora' })).id);
    const seen = [];
    for await (const m of c.iterateModels({ pageSize: 3 })) seen.push(m.id);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(routeCount('GET', /\/scenario\/v1\/models$/)).toBe(3);
  });

  it('creates a LoRA, adds images three ways, prices and runs a training, and sees it trained', async () => {
    const c = h.scenario();
    const model = await c.createModel({ name: 'ink', type: 'flux.1-lora' });
    expect(model.status).toBe('new');
    const first = await c.addTrainingImage(model.id, { name: 'a.png', data: TINY_PNG_DATA_URL });
    const second = await c.addTrainingImage(model.id, { name: 'b.png', data: TINY_PNG_DATA_URL });
    await c.addTrainingImage(model.id, { assetId: first.id });
    await c.addTrainingImage(model.id, { assetIds: [first.id, second.id] });
    const cost = await c.trainModel(model.id, { dryRun: true });
    expect(cost.kind).toBe('cost');
    expect(cost.creativeUnitsCost).toBeGreaterThan(0);
    expect(h.emulator.log.entries({ status: 269 })).toHaveLength(1);
    const started = await c.trainModel(model.id, { parameters: { nbEpochs: 2 } });
    expect(started.job.jobId).toMatch(/^job_/);
    expect(started.model?.status).toBe('training');
    const stages: string[] = [];
    const done = await waitForModel({
      client: c,
      modelId: model.id,
      sleep: h.sleep,
      now: h.now,
      onProgress: (p) => p.stage && stages.push(p.stage),
    });
    expect(done.status).toBe('trained');
    expect(stages.length).toBeGreaterThan(0);
    const job = await c.getJob(started.job.jobId);
    expect(job.status).toBe('success');
  });

  it('cancels a training: the model ends training-canceled', async () => {
    const c = h.scenario();
    const model = await c.createModel({ name: 'cancel me', type: 'flux.1-lora' });
    await c.addTrainingImage(model.id, { name: 'a.png', data: TINY_PNG_DATA_URL });
    await c.trainModel(model.id);
    await c.cancelTraining(model.id);
    const after = await waitForModel({ client: c, modelId: model.id, sleep: h.sleep, now: h.now });
    expect(after.status).toBe('training-canceled');
  });

  it('composes LoRAs, generates through route A and downloads the PNG without Basic auth', async () => {
    const c = h.scenario();
    const loras = (await c.listPublicModels({ type: 'flux.1-lora' })).items.filter(
      (m) => m.type === 'flux.1-lora',
    );
    expect(loras.length).toBeGreaterThanOrEqual(2);
    const comp = await c.createModel({
      type: 'flux.1-composition',
      concepts: loras.slice(0, 2).map((m, i) => ({ modelId: m.id, scale: i === 0 ? 0.8 : 0.4 })),
    });
    await c.trainModel(comp.id);
    expect((await waitForModel({ client: c, modelId: comp.id, sleep: h.sleep, now: h.now })).status).toBe(
      'trained',
    );
    const { job } = await c.generateTxt2img({
      modelId: comp.id,
      prompt: 'a lighthouse',
      numSamples: 1,
      seed: 42,
      width: 512,
      height: 512,
    });
    const finished = await waitForJob({ client: c, jobId: job.jobId, sleep: h.sleep, now: h.now });
    expect(finished.status).toBe('success');
    const assetId = finished.metadata?.assetIds?.[0];
    expect(assetId).toBeDefined();
    const asset = await c.getAsset(assetId as string);
    const file = await c.downloadAsset(asset);
    expect(isPng(file.bytes)).toBe(true);
  });

  it('generates with FLUX.2 LoRAs through route B, dry run first', async () => {
    const c = h.scenario();
    const lora = (await c.listPublicModels({ type: 'flux.2-dev-lora' })).items.find(
      (m) => m.type === 'flux.2-dev-lora',
    );
    expect(lora).toBeDefined();
    const body = { prompt: 'a fox', loras: [lora?.id as string], lorasScale: [0.7], numOutputs: 1 };
    const cost = await c.generateCustom('model_bfl-flux-2-dev', body, { dryRun: true });
    expect(cost.creativeUnitsCost).toBeGreaterThan(0);
    const { job } = await c.generateCustom('model_bfl-flux-2-dev', body);
    const done = await waitForJob({ client: c, jobId: job.jobId, sleep: h.sleep, now: h.now });
    expect(done.status).toBe('success');
  });

  it('surfaces the vendor reason for a LoRA of the wrong family, and 404s as NotFoundError', async () => {
    const c = h.scenario();
    const sdxl = (await c.listPublicModels({ type: 'sd-xl-lora' })).items.find(
      (m) => m.type === 'sd-xl-lora',
    );
    const e = await c
      .generateCustom('model_bfl-flux-2-dev', { prompt: 'x', loras: [sdxl?.id as string] })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).reason).toMatch(/Invalid model|Allowed model types/);
    const nf = await c.getModel('model_doesnotexist').catch((x: unknown) => x);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect((nf as NotFoundError).reason).toContain('not found');
  });

  it("scopes models by projectId and refuses to train another project's model with PermissionError", async () => {
    const mine = h.scenario({ projectId: 'proj_alpha' });
    const created = await mine.createModel({ name: 'alpha only', type: 'flux.1-lora' });
    await expect(mine.getModel(created.id)).resolves.toMatchObject({ name: 'alpha only' });
    await expect(h.scenario().getModel(created.id)).rejects.toBeInstanceOf(NotFoundError);
    const publicLora = (await mine.listPublicModels({ type: 'flux.1-lora' })).items[0];
    const e = await mine.trainModel(publicLora?.id as string).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PermissionError);
    expect(e).toMatchObject({ status: 403, code: 'permission', retryable: false });
  });

  it('refuses wrong credentials with AuthenticationError', async () => {
    const c = h.scenario({ apiSecret: 'wrong-secret-value' });
    await expect(c.listModels()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('replaces training pairs of an edit LoRA and cancels a job', async () => {
    const c = h.scenario();
    const m = await c.createModel({ name: 'edit', type: 'flux.2-dev-edit-lora' });
    const imgs = [];
    for (let i = 0; i < 4; i++)
      imgs.push(await c.addTrainingImage(m.id, { name: `${i}.png`, data: TINY_PNG_DATA_URL }));
    const pairs = [
      { sourceId: imgs[0]?.id as string, targetId: imgs[1]?.id as string, instruction: 'night' },
      { sourceId: imgs[2]?.id as string, targetId: imgs[3]?.id as string, instruction: 'rain' },
    ];
    const out = await c.replaceTrainingImagePairs(m.id, pairs);
    expect(out.count).toBe(2);
    const lora = (await c.listPublicModels({ type: 'flux.2-dev-lora' })).items[0];
    const { job } = await c.generateCustom('model_bfl-flux-2-dev', {
      prompt: 'x',
      loras: [lora?.id as string],
    });
    await c.cancelJob(job.jobId);
    const ended = await waitForJob({ client: c, jobId: job.jobId, sleep: h.sleep, now: h.now });
    expect(['canceled', 'success']).toContain(ended.status);
    const jobs = await c.listJobs({ pageSize: 10 });
    expect(jobs.items.some((j) => j.jobId === job.jobId)).toBe(true);
  });
});

describe('ScenarioClient under injected faults', () => {
  it('reads survive 429 with Retry-After, 5xx and connection resets', async () => {
    const c = h.scenario();
    const m = await c.createModel({ name: 'x', type: 'flux.1-lora' });
    h.emulator.faults.set([
      { route: 'GET /scenario/v1/models/*', rate: 1, kind: '429', retryAfterS: 2, times: 1 },
    ]);
    await expect(c.getModel(m.id)).resolves.toMatchObject({ id: m.id });
    expect(h.sleeps).toContain(2000);
    h.emulator.faults.set([
      { route: 'GET /scenario/v1/models/*', rate: 1, kind: '5xx', status: 503, times: 2 },
    ]);
    await expect(c.getModel(m.id)).resolves.toMatchObject({ id: m.id });
    h.emulator.faults.set([{ route: 'GET /scenario/v1/models/*', rate: 1, kind: 'reset', times: 1 }]);
    await expect(c.getModel(m.id)).resolves.toMatchObject({ id: m.id });
  });

  it('does not duplicate a create when the server fails after acting on it', async () => {
    const c = h.scenario();
    h.emulator.faults.set([
      { route: 'POST /scenario/v1/models', rate: 1, kind: '5xx', phase: 'after', times: 1 },
    ]);
    const e = await c.createModel({ name: 'once', type: 'flux.1-lora' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect((e as ServerError).retryable).toBe(true);
    expect(routeCount('POST', /\/scenario\/v1\/models$/)).toBe(1);
    // The model was created despite the 500: the journal reconciles instead of creating a second one.
    const names = [];
    for await (const m of c.iterateModels()) names.push(m.name);
    expect(names.filter((n) => n === 'once')).toHaveLength(1);
  });

  it('does not resend a training after a reset, but retries it after a 429', async () => {
    const c = h.scenario();
    const m = await c.createModel({ name: 'x', type: 'flux.1-lora' });
    await c.addTrainingImage(m.id, { name: 'a.png', data: TINY_PNG_DATA_URL });
    h.emulator.faults.set([
      { route: 'PUT /scenario/v1/models/*/train', rate: 1, kind: 'reset', phase: 'after', times: 1 },
    ]);
    await expect(c.trainModel(m.id)).rejects.toMatchObject({ code: 'connection', requestSent: true });
    expect(routeCount('PUT', /\/train$/)).toBe(1);
    const m2 = await c.createModel({ name: 'y', type: 'flux.1-lora' });
    await c.addTrainingImage(m2.id, { name: 'a.png', data: TINY_PNG_DATA_URL });
    h.emulator.faults.set([
      { route: 'PUT /scenario/v1/models/*/train', rate: 1, kind: '429', retryAfterS: 1, times: 1 },
    ]);
    await expect(c.trainModel(m2.id)).resolves.toMatchObject({ kind: 'started' });
    expect(routeCount('PUT', new RegExp(`${m2.id}/train$`))).toBe(2);
  });

  it('reports a rate limit that outlasts the retries as RateLimitError with retryAfterMs', async () => {
    const c = h.scenario({ retry: { maxRetries: 1, sleep: h.sleep } });
    h.emulator.faults.set([{ route: 'GET /scenario/v1/models', rate: 1, kind: '429', retryAfterS: 5 }]);
    const e = await c.listModels().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).retryAfterMs).toBe(5000);
  });

  it('finishes a whole training flow through seeded random 429s, 5xx and resets on every read', async () => {
    const c = h.scenario({ retry: { maxRetries: 6, sleep: h.sleep, random: () => 0.5 } });
    const m = await c.createModel({ name: 'chaos', type: 'flux.1-lora' });
    await c.addTrainingImage(m.id, { name: 'a.png', data: TINY_PNG_DATA_URL });
    await c.trainModel(m.id);
    h.emulator.faults.set([
      { route: 'GET /scenario/v1/**', rate: 0.25, kind: '5xx', status: 503 },
      { route: 'GET /scenario/v1/**', rate: 0.2, kind: 'reset' },
      { route: 'GET /scenario/v1/**', rate: 0.2, kind: '429', retryAfterS: 1 },
    ]);
    const done = await waitForModel({ client: c, modelId: m.id, sleep: h.sleep, now: h.now });
    expect(done.status).toBe('trained');
    const faults = h.emulator.log.entries({ method: 'GET' }).filter((e) => e.fault !== undefined);
    expect(faults.length).toBeGreaterThan(0);
    expect(routeCount('PUT', /\/train$/)).toBe(1);
  });
});
