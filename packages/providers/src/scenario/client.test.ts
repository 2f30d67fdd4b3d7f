import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../http';
import { ScenarioClient } from './client';

interface Sent {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: string | null;
  body: unknown;
}

/** Captures what the client puts on the wire and answers with `reply`. */
function capture(reply: (s: Sent) => { status?: number; body: unknown }) {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    const s: Sent = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      auth: new Headers(init?.headers).get('authorization'),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    sent.push(s);
    const r = reply(s);
    return new Response(JSON.stringify(r.body), { status: r.status ?? 200 });
  };
  const client = new ScenarioClient({
    baseUrl: 'https://api.test/v1/',
    apiKey: 'api_k',
    apiSecret: 'sec',
    projectId: 'proj_1',
    fetch,
  });
  return { client, sent };
}

const model = { id: 'model_1', status: 'new', type: 'flux.1-lora' };
const job = { jobId: 'job_1', jobType: 'flux-model-training', status: 'queued' };
const PNG_HEAD = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('ScenarioClient wire format', () => {
  it('sends Basic key:secret and projectId on every call', async () => {
    const { client, sent } = capture(() => ({ body: { model } }));
    await client.getModel('model_1');
    expect(sent[0]).toMatchObject({
      method: 'GET',
      path: '/v1/models/model_1',
      query: { projectId: 'proj_1' },
      auth: `Basic ${btoa('api_k:sec')}`,
    });
  });

  it('joins list filters as comma lists and passes pagination', async () => {
    const { client, sent } = capture(() => ({ body: { models: [model], nextPaginationToken: '' } }));
    const page = await client.listModels({
      types: ['flux.1-lora', 'sd-xl-lora'],
      status: 'trained',
      pageSize: 5,
      paginationToken: 't',
    });
    expect(page.nextPaginationToken).toBeUndefined();
    expect(sent[0]?.query).toEqual({
      types: 'flux.1-lora,sd-xl-lora',
      status: 'trained',
      pageSize: '5',
      paginationToken: 't',
      projectId: 'proj_1',
    });
  });

  it('stops iterating when a page repeats its token', async () => {
    const { client, sent } = capture(() => ({ body: { models: [model], nextPaginationToken: 'same' } }));
    const ids = [];
    for await (const m of client.iterateModels()) ids.push(m.id);
    expect(ids).toHaveLength(2);
    expect(sent).toHaveLength(2);
  });

  it('trains with PUT and parameters, and a dry run with ?dryRun=true answered 269', async () => {
    const { client, sent } = capture((s) =>
      s.query.dryRun
        ? { status: 269, body: { creativeUnitsCost: 60, creativeUnitsDiscount: 0 } }
        : { body: { model, job } },
    );
    const cost = await client.trainModel('model_1', { dryRun: true, trainingImagesCount: 12 });
    expect(cost).toEqual({ kind: 'cost', creativeUnitsCost: 60, creativeUnitsDiscount: 0 });
    const started = await client.trainModel('model_1', { parameters: { rank: 16 } });
    expect(started).toMatchObject({ kind: 'started', job: { jobId: 'job_1' } });
    expect(sent.map((s) => [s.method, s.path, s.query, s.body])).toEqual([
      [
        'PUT',
        '/v1/models/model_1/train',
        { dryRun: 'true', trainingImagesCount: '12', projectId: 'proj_1' },
        { parameters: {} },
      ],
      ['PUT', '/v1/models/model_1/train', { projectId: 'proj_1' }, { parameters: { rank: 16 } }],
    ]);
  });

  it('sends pairs as a bare array, cancel as an action, and generation bodies as given', async () => {
    const { client, sent } = capture((s) => {
      if (s.path.endsWith('/pairs')) return { body: { count: 1, pairs: s.body } };
      if (s.path.endsWith('/train/action'))
        return { body: { model: { ...model, status: 'training-canceled' } } };
      return { body: { job: { ...job, jobType: 'custom' } } };
    });
    await client.replaceTrainingImagePairs('model_1', [
      { sourceId: 'a', targetId: 'b', instruction: 'night' },
    ]);
    await client.cancelTraining('model_1');
    await client.generateTxt2img({
      modelId: 'model_1',
      prompt: 'p',
      seed: 42,
      concepts: [{ modelId: 'model_2', scale: 0.5 }],
    });
    await client.generateCustom('model_bfl-flux-2-dev', {
      prompt: 'p',
      loras: ['model_3'],
      lorasScale: [0.8],
    });
    expect(sent.map((s) => [s.method, s.path, s.body])).toEqual([
      [
        'PUT',
        '/v1/models/model_1/training-images/pairs',
        [{ sourceId: 'a', targetId: 'b', instruction: 'night' }],
      ],
      ['POST', '/v1/models/model_1/train/action', { action: 'cancel' }],
      [
        'POST',
        '/v1/generate/txt2img',
        { modelId: 'model_1', prompt: 'p', seed: '42', concepts: [{ modelId: 'model_2', scale: 0.5 }] },
      ],
      [
        'POST',
        '/v1/generate/custom/model_bfl-flux-2-dev',
        { prompt: 'p', loras: ['model_3'], lorasScale: [0.8] },
      ],
    ]);
  });

  it('downloads an asset from its signed URL without the Basic header', async () => {
    const seen: Array<string | null> = [];
    const fetch: FetchLike = async (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      if (String(input).includes('/assets/')) {
        return new Response(
          JSON.stringify({
            asset: { id: 'asset_1', url: 'https://cdn.test/a.png?sig=1', mimeType: 'image/png' },
          }),
        );
      }
      return new Response(PNG_HEAD, { headers: { 'content-type': 'image/png' } });
    };
    const client = new ScenarioClient({
      baseUrl: 'https://api.test/v1',
      apiKey: 'api_k',
      apiSecret: 'sec',
      fetch,
      // cdn.test resolves nowhere: the in-process fetch answers for it.
      download: { allowOrigins: ['https://cdn.test'] },
    });
    const file = await client.downloadAsset('asset_1');
    expect([...file.bytes]).toEqual([...PNG_HEAD]);
    expect(file.mimeType).toBe('image/png');
    expect(seen[0]).toMatch(/^Basic /);
    expect(seen[1]).toBeNull();
  });

  it('refuses a train call whose dryRun is not a boolean before sending, with its path', async () => {
    const { client, sent } = capture(() => ({ body: {} }));
    await expect(
      client.trainModel('model_1', { dryRun: 'yes' } as unknown as { dryRun?: false }),
    ).rejects.toMatchObject({ code: 'invalid_request', issues: [{ path: ['dryRun'] }] });
    expect(sent).toEqual([]);
  });

  it('refuses a composition without concepts and bad options with a path', async () => {
    const { client } = capture(() => ({ body: {} }));
    await expect(client.createModel({ type: 'flux.1-composition' })).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [{ path: ['concepts'] }],
    });
    expect(() => new ScenarioClient({ apiKey: '', apiSecret: 'x' })).toThrow(/apiKey/);
  });
});

describe('cacheScope', () => {
  // a stand-in hash that shows its input: enough to prove what goes in and that the secret does not
  const show = (text: string) => `hash(${text})`;

  it('names the project when there is one (rotating keys keeps the cache), else the key id, never the secret', () => {
    const a = new ScenarioClient({ apiKey: 'api_one', apiSecret: 'SECRET-one', projectId: 'proj_a' });
    const rotated = new ScenarioClient({ apiKey: 'api_two', apiSecret: 'SECRET-two', projectId: 'proj_a' });
    const b = new ScenarioClient({ apiKey: 'api_one', apiSecret: 'SECRET-one', projectId: 'proj_b' });
    const noProject = new ScenarioClient({ apiKey: 'api_one', apiSecret: 'SECRET-one' });
    expect(a.cacheScope(show)).toBe(rotated.cacheScope(show));
    expect(a.cacheScope(show)).not.toBe(b.cacheScope(show));
    expect(noProject.cacheScope(show)).not.toBe(a.cacheScope(show));
    for (const c of [a, rotated, b, noProject]) expect(c.cacheScope(show)).not.toMatch(/SECRET/);
  });

  it('tells ModelsLab accounts apart by their key', async () => {
    const { ModelsLabClient } = await import('../modelslab/client');
    const one = new ModelsLabClient({ apiKey: 'ml-key-one' });
    const two = new ModelsLabClient({ apiKey: 'ml-key-two' });
    expect(one.cacheScope((t) => t.length.toString() + t)).not.toBe(
      two.cacheScope((t) => t.length.toString() + t),
    );
  });
});
