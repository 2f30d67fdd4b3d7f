import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError, ProviderResponseError } from './errors';
import type { FetchLike } from './http';
import { ModelsLabClient } from './modelslab/client';
import { ScenarioClient } from './scenario/client';
import { scriptedServers } from './test/server';

function answering(status: number, body: string): FetchLike {
  return async () => new Response(body, { status });
}

const anyBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc
    .record({ model: fc.jsonValue(), job: fc.jsonValue(), status: fc.string(), id: fc.jsonValue() })
    .map((v) => JSON.stringify(v)),
  fc.constantFrom('', '{', '<html>502</html>', '{"status":"processing"}', '{"job":{}}'),
);

describe('response parsing', () => {
  it('turns any Scenario answer into a typed value or a ProviderError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 599 }), anyBody, async (status, body) => {
        const c = new ScenarioClient({
          apiKey: 'k',
          apiSecret: 's',
          baseUrl: 'http://x/v1',
          fetch: answering(status, body),
          retry: { maxRetries: 0 },
        });
        for (const call of [
          () => c.getModel('m'),
          () => c.getJob('j'),
          () => c.listModels(),
          () => c.trainModel('m'),
        ]) {
          try {
            const v = await call();
            expect(v).toBeTypeOf('object');
          } catch (e) {
            expect(e).toBeInstanceOf(ProviderError);
            expect((e as ProviderError).code).toMatch(/^[a-z_]+$/);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('turns any ModelsLab answer into a result or a ProviderError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 599 }), anyBody, async (status, body) => {
        const c = new ModelsLabClient({
          apiKey: 'key-1234',
          baseUrl: 'http://x/api',
          fetch: answering(status, body),
          retry: { maxRetries: 0 },
        });
        for (const call of [
          () => c.fetch('1'),
          () => c.fineTuneStatus('t'),
          () => c.text2img({ modelId: 'm', prompt: 'p' }),
        ]) {
          try {
            const v = await call();
            expect(v).toBeTypeOf('object');
          } catch (e) {
            expect(e).toBeInstanceOf(ProviderError);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reports where a response went wrong with zod path and code', async () => {
    const c = new ScenarioClient({
      apiKey: 'k',
      apiSecret: 's',
      baseUrl: 'http://x/v1',
      fetch: answering(200, JSON.stringify({ model: { id: 3, status: 'trained' } })),
    });
    const e = await c.getModel('m').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderResponseError);
    expect(e).toMatchObject({
      code: 'invalid_response',
      issues: [{ path: ['model', 'id'], code: 'invalid_type' }],
    });
    expect((e as Error).message).toContain('model.id');
  });

  it("accepts the vendors' disagreeing spellings: job.id, message/messege, draft, extra fields", async () => {
    const c = new ScenarioClient({
      apiKey: 'k',
      apiSecret: 's',
      baseUrl: 'http://x/v1',
      fetch: answering(
        200,
        JSON.stringify({
          model: { id: 'm', status: 'training', extra: 1 },
          job: { id: 'job_9', type: 'flux-model-training' },
          creativeUnits: { estimatedCreativeUnits: 12 },
        }),
      ),
    });
    const r = await c.trainModel('m');
    expect(r).toMatchObject({
      kind: 'started',
      job: { jobId: 'job_9', jobType: 'flux-model-training' },
      creativeUnitsCost: 12,
    });
    expect(r.model).toMatchObject({ extra: 1 });
    const ml = new ModelsLabClient({
      apiKey: 'key-1234',
      baseUrl: 'http://x/api',
      fetch: answering(
        200,
        JSON.stringify({ status: 'success', messege: 'training_started', data: 'ETA 20 min' }),
      ),
    });
    await expect(ml.fineTuneStatus('t')).resolves.toMatchObject({
      stage: 'training_started',
      stageIndex: 1,
      done: false,
    });
  });
});

describe('request validation', () => {
  it('refuses bad arguments before sending, with a path and a code', async () => {
    let sent = 0;
    const fetch: FetchLike = async () => {
      sent++;
      return new Response('{}');
    };
    const ml = new ModelsLabClient({ apiKey: 'key-1234', baseUrl: 'http://x/api', fetch });
    const e = await ml
      .text2img({ modelId: 'm', prompt: 'p', width: 2048, samples: 5 })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'invalid_request', requestSent: false });
    expect((e as ProviderError).issues.map((i) => i.path.join('.'))).toEqual(['width', 'samples']);
    const sc = new ScenarioClient({ apiKey: 'k', apiSecret: 's', baseUrl: 'http://x/v1', fetch });
    await expect(
      sc.addTrainingImage('m', { assetIds: Array.from({ length: 11 }, (_, i) => `a${i}`) }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [{ path: ['assetIds'] }],
    });
    await expect(
      sc.generateCustom('model_bfl-flux-2-dev', { prompt: 'p', loras: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(sent).toBe(0);
  });

  it('sends ModelsLab numbers as numbers, flags as yes/no and LoRAs comma-joined', async () => {
    let body: Record<string, unknown> = {};
    const fetch: FetchLike = async (_i, init) => {
      body = JSON.parse(String(init?.body));
      return new Response(
        JSON.stringify({ status: 'processing', id: 12, eta: 13, fetch_result: 'x', future_links: ['u'] }),
      );
    };
    const ml = new ModelsLabClient({ apiKey: 'key-1234', baseUrl: 'http://x/api', fetch });
    const r = await ml.text2img({
      modelId: 'sdxl',
      prompt: 'p',
      width: 512,
      samples: 2,
      seed: 7,
      safetyChecker: false,
      enhancePrompt: true,
      loras: [
        { model: 'more_details', strength: 0.45 },
        { model: 'anime', strength: 0.55 },
      ],
    });
    expect(body).toEqual({
      key: 'key-1234',
      model_id: 'sdxl',
      prompt: 'p',
      width: 512,
      samples: 2,
      seed: 7,
      safety_checker: 'no',
      enhance_prompt: 'yes',
      lora_model: 'more_details,anime',
      lora_strength: '0.45,0.55',
    });
    expect(r).toEqual({
      status: 'processing',
      id: '12',
      etaMs: 13_000,
      fetchResult: 'x',
      futureLinks: ['u'],
      message: undefined,
    });
  });
});

describe('a Scenario model’s thumbnail', () => {
  const serve = scriptedServers(afterEach);

  it('is left out when malformed, since a picture the picker shows must not fail a training poll', async () => {
    const shapes = [null, { assetId: 'asset_a' }, 'https://cdn.example/t.png', { url: 7 }];
    const s = await serve((_, n) => ({
      status: 200,
      body: { model: { id: 'model_a', status: 'training', thumbnail: shapes[(n - 1) % shapes.length] } },
    }));
    const c = new ScenarioClient({ apiKey: 'k-thumb', apiSecret: 's-thumb', baseUrl: s.url });
    for (const _ of shapes) {
      const model = await c.models.get('model_a');
      expect(model).toMatchObject({ id: 'model_a', status: 'training' });
      expect(model.thumbnail).toBeUndefined();
    }
    const good = await serve(() => ({
      status: 200,
      body: {
        model: {
          id: 'model_b',
          status: 'trained',
          thumbnail: { assetId: 'asset_b', url: 'https://cdn.example/b.png' },
        },
      },
    }));
    const shown = await new ScenarioClient({
      apiKey: 'k-thumb',
      apiSecret: 's-thumb',
      baseUrl: good.url,
    }).models.get('model_b');
    expect(shown.thumbnail?.url).toBe('https://cdn.example/b.png');
  });
});
