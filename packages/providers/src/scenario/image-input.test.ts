import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { TINY_PNG_DATA_URL } from '../test/assets';
import { type SeenRequest, scriptedServers } from '../test/server';
import { ScenarioClient } from './client';

// The request shapes come from the reference: POST /assets (PostAssetRequest: `name` required,
// `image` a base64 string), route B with `referenceImages` (asset ids, at most 5) for FLUX.2 edit
// LoRAs, and `image` + `strength` (0.01..1) on a FLUX.1 base.

const serve = scriptedServers(afterEach);

const asset = { id: 'asset_in', url: 'https://cdn.test/in.png', mimeType: 'image/png', kind: 'image' };
const job = { jobId: 'job_1', jobType: 'custom', status: 'queued' };

async function vendor() {
  const s = await serve((r: SeenRequest) => {
    const url = new URL(r.url, 'http://x');
    if (r.method === 'POST' && url.pathname === '/v1/assets') return { status: 200, body: { asset } };
    if (url.searchParams.get('dryRun') === 'true') {
      return { status: 269, body: { creativeUnitsCost: 17.75, creativeUnitsDiscount: 0 } };
    }
    return { status: 200, body: { job } };
  });
  const client = new ScenarioClient({
    baseUrl: `${s.url}/v1`,
    apiKey: 'api_key',
    apiSecret: 'secret_value',
    projectId: 'proj_1',
  });
  const sent = () =>
    s.seen.map((r) => {
      const url = new URL(r.url, 'http://x');
      return {
        method: r.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        auth: r.headers.authorization,
        body: r.body ? JSON.parse(r.body) : undefined,
      };
    });
  return { client, sent };
}

describe('Scenario image inputs', () => {
  it('uploads an input image as an asset: POST /assets with its name and the image as a data URL', async () => {
    const { client, sent } = await vendor();
    const uploaded = await client.assets.upload({ name: 'before.png', image: TINY_PNG_DATA_URL });
    expect(uploaded).toMatchObject({ id: 'asset_in', url: 'https://cdn.test/in.png' });
    expect(sent()).toEqual([
      {
        method: 'POST',
        path: '/v1/assets',
        query: { projectId: 'proj_1' },
        auth: `Basic ${btoa('api_key:secret_value')}`,
        body: { name: 'before.png', image: TINY_PNG_DATA_URL },
      },
    ]);
  });

  it('edits with route B: the uploaded asset as referenceImages, the edit LoRA, the instruction as prompt', async () => {
    const { client, sent } = await vendor();
    const body = {
      prompt: 'make it night',
      referenceImages: ['asset_in'],
      loras: ['model_edit'],
      lorasScale: [1],
      seed: 7,
    };
    const cost = await client.generations.edit('model_bfl-flux-2-dev', body, { dryRun: true });
    expect(cost).toEqual({ kind: 'cost', creativeUnitsCost: 17.75, creativeUnitsDiscount: 0 });
    const submitted = await client.generations.edit('model_bfl-flux-2-dev', body);
    expect(submitted).toMatchObject({ kind: 'submitted', job: { jobId: 'job_1' } });
    expect(sent().map((r) => [r.method, r.path, r.query, r.body])).toEqual([
      ['POST', '/v1/generate/custom/model_bfl-flux-2-dev', { dryRun: 'true', projectId: 'proj_1' }, body],
      ['POST', '/v1/generate/custom/model_bfl-flux-2-dev', { projectId: 'proj_1' }, body],
    ]);
  });

  it('runs img2img on a FLUX.1 base with image and strength, the image as an asset id or a data URL', async () => {
    const { client, sent } = await vendor();
    await client.generations.img2img('model_bfl-flux-1-dev', {
      prompt: 'a watercolour',
      image: 'asset_in',
      strength: 0.6,
      loras: ['model_style'],
      lorasScale: [0.8],
    });
    await client.generations.img2img('model_bfl-flux-1-dev', { prompt: 'p', image: TINY_PNG_DATA_URL });
    expect(sent().map((r) => [r.path, r.body])).toEqual([
      [
        '/v1/generate/custom/model_bfl-flux-1-dev',
        {
          prompt: 'a watercolour',
          image: 'asset_in',
          strength: 0.6,
          loras: ['model_style'],
          lorasScale: [0.8],
        },
      ],
      ['/v1/generate/custom/model_bfl-flux-1-dev', { prompt: 'p', image: TINY_PNG_DATA_URL }],
    ]);
  });

  it('refuses what the documents rule out before sending, each with its path', async () => {
    const { client, sent } = await vendor();
    const refused = async (p: Promise<unknown>) => {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect(e).toMatchObject({ code: 'invalid_request', requestSent: false });
      return (e as ValidationError).issues.map((i) => i.path.join('.'));
    };
    const base = 'model_bfl-flux-2-dev';
    expect(await refused(client.generations.edit(base, { prompt: 'p', referenceImages: [] }))).toEqual([
      'referenceImages',
    ]);
    expect(
      await refused(
        client.generations.edit(base, { prompt: 'p', referenceImages: ['a', 'b', 'c', 'd', 'e', 'f'] }),
      ),
    ).toEqual(['referenceImages']);
    expect(
      await refused(
        client.generations.img2img('model_bfl-flux-1-dev', { prompt: 'p', image: 'asset_in', strength: 0 }),
      ),
    ).toEqual(['strength']);
    expect(
      await refused(
        client.generations.img2img('model_bfl-flux-1-dev', { prompt: 'p', image: 'not an id', strength: 1 }),
      ),
    ).toEqual(['image']);
    expect(await refused(client.assets.upload({ name: 'x.png', image: 'iVBORw0KGgo=' }))).toEqual(['image']);
    expect(await refused(client.assets.upload({ name: '', image: TINY_PNG_DATA_URL }))).toEqual(['name']);
    expect(sent()).toEqual([]);
  });
});
