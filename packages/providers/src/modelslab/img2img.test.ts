import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError, ValidationError } from '../errors';
import { isPng } from '../test/assets';
import { type SeenRequest, scriptedServers } from '../test/server';
import { ModelsLabClient } from './client';

// The request shape comes from specs/modelslab-community-models-openapi.json "/img2img"
// (ImageToImageRequest: `key`, `model_id` and `init_image` (a URI) required, `strength` 0..1,
// plus the common parameters text2img has, LoRAs as `lora_model` / `lora_strength`).

const KEY = 'modelslab-KEY-0123456789';
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
const serve = scriptedServers(afterEach);

async function vendor(answer: (r: SeenRequest, url: string) => { status: number; body?: unknown }) {
  const s = await serve((r) => {
    if (r.url.startsWith('/files/'))
      return { status: 200, body: PNG, headers: { 'content-type': 'image/png' } };
    return answer(r, s.url);
  });
  return { s, ml: new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: KEY }) };
}

describe('ModelsLab img2img', () => {
  it('posts init_image, strength and the LoRAs to /v6/images/img2img, then fetches and downloads the result', async () => {
    const { s, ml } = await vendor((r, url) =>
      r.url === '/api/v6/images/img2img'
        ? {
            status: 200,
            body: { status: 'processing', id: 77, eta: 4, fetch_result: `${url}/api/v6/images/fetch/77` },
          }
        : { status: 200, body: { status: 'success', id: 77, output: [`${url}/files/77.png`] } },
    );
    const first = await ml.images.img2img({
      modelId: 'sdxl',
      initImage: 'https://cdn.test/in.png',
      prompt: 'a watercolour',
      strength: 0.6,
      samples: 1,
      seed: 3,
      safetyChecker: false,
      loras: [
        { model: 'anime', strength: 0.7 },
        { model: 'more_details', strength: 0.4 },
      ],
    });
    expect(first).toMatchObject({ status: 'processing', id: '77', etaMs: 4000 });
    expect(s.seen[0]?.method).toBe('POST');
    expect(JSON.parse(s.seen[0]?.body ?? '')).toEqual({
      key: KEY,
      model_id: 'sdxl',
      init_image: 'https://cdn.test/in.png',
      prompt: 'a watercolour',
      strength: 0.6,
      samples: 1,
      seed: 3,
      safety_checker: 'no',
      lora_model: 'anime,more_details',
      lora_strength: '0.7,0.4',
    });
    const done = await ml.images.fetch(first.id as string);
    expect(done.status).toBe('success');
    const file = await ml.images.download((done as { output: string[] }).output[0] as string);
    expect(isPng(file.bytes)).toBe(true);
    expect(s.seen.map((r) => r.url)).toEqual([
      '/api/v6/images/img2img',
      '/api/v6/images/fetch',
      '/files/77.png',
    ]);
    expect(s.seen[2]?.body).toBe('');
  });

  it('refuses a non-http init_image, a strength over 1 and a missing model before sending', async () => {
    const { s, ml } = await vendor(() => ({ status: 200, body: { status: 'success', output: [] } }));
    const paths = async (input: unknown) => {
      const e = await ml.images
        .img2img(input as Parameters<typeof ml.images.img2img>[0])
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).issues.map((i) => i.path.join('.'));
    };
    expect(await paths({ modelId: 'sdxl', initImage: 'data:image/png;base64,AAAA' })).toEqual(['initImage']);
    expect(await paths({ modelId: 'sdxl', initImage: 'https://cdn.test/a.png', strength: 1.5 })).toEqual([
      'strength',
    ]);
    expect(await paths({ initImage: 'https://cdn.test/a.png' })).toEqual(['modelId']);
    expect(await paths({ modelId: 'sdxl', initImage: 'https://cdn.test/a.png', upscale: true })).toEqual([
      '',
    ]);
    expect(s.seen).toEqual([]);
  });

  it('maps a status:"error" answer on HTTP 200 into the error hierarchy, without the key', async () => {
    const { ml } = await vendor(() => ({
      status: 200,
      body: { status: 'error', message: `Model not found: x (${KEY})` },
    }));
    const e = await ml.images
      .img2img({ modelId: 'x', initImage: 'https://cdn.test/a.png' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ code: 'not_found', status: 404 });
    expect(JSON.stringify(e)).not.toContain(KEY);
  });
});
