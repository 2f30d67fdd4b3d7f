import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator';
import { dataUrl, manualEmulator, PNG_DATA_URL, pictureOf, scenario, solidPng } from '../test/helpers';

const RED: [number, number, number] = [230, 30, 30];
const BLUE: [number, number, number] = [30, 30, 230];

async function upload(emulator: Emulator, image: string, name = 'input.png'): Promise<string> {
  const res = await scenario(emulator, 'POST', '/assets', { name, image });
  expect(res.status).toBe(200);
  return res.body.asset.id as string;
}

/** Submits a custom generation, lets it finish, and returns its first output asset and picture. */
async function generateFrom(emulator: Emulator, baseModelId: string, body: Record<string, unknown>) {
  const res = await scenario(emulator, 'POST', `/generate/custom/${baseModelId}`, {
    prompt: 'a cat',
    seed: 7,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  emulator.clock.advance(10_000);
  const job = (await scenario(emulator, 'GET', `/jobs/${res.body.job.jobId}`)).body.job;
  expect(job.status).toBe('success');
  const asset = (await scenario(emulator, 'GET', `/assets/${job.metadata.assetIds[0]}`)).body.asset;
  return { job, asset, picture: await pictureOf(emulator, asset.url) };
}

describe('Scenario asset uploads', () => {
  it('store a base64 image (data URL or bare) as an uploaded asset with a signed URL', async () => {
    const emulator = manualEmulator();
    const png = solidPng(RED, 40, 24);
    const viaUrl = await scenario(emulator, 'POST', '/assets', { name: 'red.png', image: dataUrl(png) });
    expect(viaUrl.body.asset).toMatchObject({
      kind: 'image',
      mimeType: 'image/png',
      source: 'uploaded',
      status: 'success',
      properties: { size: png.length, width: 40, height: 24 },
      metadata: { type: 'uploaded', name: 'red.png' },
    });
    const bare = await scenario(emulator, 'POST', '/assets', {
      name: 'bare.png',
      image: dataUrl(png).slice('data:image/png;base64,'.length),
    });
    expect(bare.body.asset.id).toMatch(/^asset_/);
    expect((await pictureOf(emulator, viaUrl.body.asset.url)).mean.map(Math.round)).toEqual(RED);
    const read = await scenario(emulator, 'GET', `/assets/${viaUrl.body.asset.id}`);
    expect(read.body.asset.id).toBe(viaUrl.body.asset.id);
  });

  it('refuse an upload without an image, or with bytes that are no image', async () => {
    const emulator = manualEmulator();
    const canvas = await scenario(emulator, 'POST', '/assets', { name: 'c', canvas: '{}' });
    expect(canvas).toMatchObject({
      status: 400,
      body: { reason: expect.stringContaining('Input image is required') },
    });
    const text = await scenario(emulator, 'POST', '/assets', { name: 't', image: btoa('hello, world') });
    expect(text.body.reason).toBe(
      'Input image must be a base64 PNG, JPEG or WebP image (a data URL or bare base64)',
    );
    const unnamed = await scenario(emulator, 'POST', '/assets', { image: PNG_DATA_URL });
    expect(unnamed.body.reason).toBe('"name" must be a string');
    expect(emulator.state().counts.assets).toBe(0);
  });
});

describe('Scenario edits and image-to-image on /generate/custom', () => {
  it('derive a FLUX.2 edit from its first reference image: two inputs give outputs that follow their colours', async () => {
    const emulator = manualEmulator();
    const red = await upload(emulator, dataUrl(solidPng(RED)));
    const blue = await upload(emulator, dataUrl(solidPng(BLUE)));
    const edit = { modelId: 'model_flux2-relight-edit', width: 256, height: 256 };
    const fromRed = await generateFrom(emulator, 'model_bfl-flux-2-dev', {
      ...edit,
      referenceImages: [red, blue],
    });
    const fromBlue = await generateFrom(emulator, 'model_bfl-flux-2-dev', {
      ...edit,
      referenceImages: [blue, red],
    });
    const [rr, , rb] = fromRed.picture.mean as [number, number, number];
    const [br, , bb] = fromBlue.picture.mean as [number, number, number];
    expect(rr - br).toBeGreaterThan(60);
    expect(bb - rb).toBeGreaterThan(60);
    expect(fromRed.asset.metadata).toMatchObject({ type: 'img2img', parentId: red });
    expect(fromRed.job.metadata.input.referenceImages).toEqual([red, blue]);
  });

  it('take the output size from the reference image when the call gives none', async () => {
    const emulator = manualEmulator();
    const wide = await upload(emulator, dataUrl(solidPng(BLUE, 320, 160)));
    const { picture } = await generateFrom(emulator, 'model_bfl-flux-2-klein-9b-base', {
      referenceImages: [wide],
    });
    expect([picture.width, picture.height]).toEqual([320, 160]);
  });

  it('run FLUX.1 img2img from an asset id or a data URL, weighted by strength', async () => {
    const emulator = manualEmulator();
    const red = await upload(emulator, dataUrl(solidPng(RED)));
    const body = { modelId: 'model_flux1-watercolor', width: 256, height: 256 };
    const light = await generateFrom(emulator, 'model_bfl-flux-1-dev', {
      ...body,
      image: red,
      strength: 0.2,
    });
    const heavy = await generateFrom(emulator, 'model_bfl-flux-1-dev', {
      ...body,
      image: red,
      strength: 0.9,
    });
    // Strength is how much of the input the generation replaces: 0.2 stays near the input's colour.
    const away = (mean: number[]) => Math.hypot(...mean.map((v, k) => v - (RED[k] as number)));
    expect(away(light.picture.mean)).toBeLessThan(away(heavy.picture.mean) / 2);
    expect(light.job.metadata.input).toMatchObject({ image: red, strength: 0.2 });
    const inline = await generateFrom(emulator, 'model_bfl-flux-1-dev', {
      ...body,
      image: dataUrl(solidPng(RED)),
    });
    // The data URL is stored as an uploaded asset, which the job echoes and the output names as parent.
    const stored = inline.job.metadata.input.image as string;
    expect(stored).toMatch(/^asset_/);
    expect(inline.job.metadata.input.strength).toBe(0.7);
    expect(inline.asset.metadata.parentId).toBe(stored);
  });

  it('refuse picture inputs a base model does not take, and strength without image', async () => {
    const emulator = manualEmulator();
    const red = await upload(emulator, dataUrl(solidPng(RED)));
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'model_bfl-flux-2-dev',
        { image: red },
        'Input image is not supported by model_bfl-flux-2-dev; it takes referenceImages',
      ],
      [
        'model_bfl-flux-1-dev',
        { referenceImages: [red] },
        'Input referenceImages is not supported by model_bfl-flux-1-dev; it takes image and strength',
      ],
      ['model_zimage', { referenceImages: [red] }, 'Input referenceImages is not supported by model_zimage'],
      ['model_bfl-flux-1-dev', { strength: 0.5 }, 'Input strength requires image'],
      ['model_bfl-flux-1-dev', { image: red, strength: 0 }, 'Input strength must be at least 0.01'],
      [
        'model_bfl-flux-2-dev',
        { referenceImages: Array(6).fill(red) },
        'Input referenceImages must be at most 5 items long',
      ],
    ];
    for (const [base, body, message] of cases) {
      const res = await scenario(emulator, 'POST', `/generate/custom/${base}`, { prompt: 'x', ...body });
      expect(res, message).toMatchObject({ status: 400, body: { reason: message } });
    }
  });

  it('refuse a JPEG or a non-image input with a sentence, and read PNG only', async () => {
    const emulator = manualEmulator();
    const jpeg = await upload(
      emulator,
      dataUrl(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'image/jpeg'),
    );
    const asJpeg = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-2-dev', {
      prompt: 'x',
      referenceImages: [jpeg],
    });
    expect(asJpeg.body.reason).toBe(
      'Input referenceImages[0] is a JPEG image; the emulator reads PNG input images only',
    );
    const inline = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-1-dev', {
      prompt: 'x',
      image: 'data:image/png;base64,AAAA',
    });
    expect(inline.body.reason).toBe(
      'Input image is not a PNG or JPEG image; the emulator reads PNG input images only',
    );
    const missing = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-1-dev', {
      prompt: 'x',
      image: 'asset_missing',
    });
    expect(missing).toMatchObject({ status: 404, body: { reason: 'Asset asset_missing not found' } });
  });

  it('check an inline image on a dry run without storing it', async () => {
    const emulator = manualEmulator();
    const res = await scenario(emulator, 'POST', '/generate/custom/model_bfl-flux-1-dev?dryRun=true', {
      prompt: 'x',
      image: dataUrl(solidPng(RED)),
    });
    expect(res.status).toBe(269);
    expect(emulator.state().counts.assets).toBe(0);
  });

  it('advertise their picture inputs in the base model inputs[]', async () => {
    const emulator = manualEmulator();
    const names = async (id: string) =>
      (await scenario(emulator, 'GET', `/models/${id}`)).body.model.inputs.map(
        (i: { name: string }) => i.name,
      );
    expect(await names('model_bfl-flux-2-dev')).toContain('referenceImages');
    expect(await names('model_bfl-flux-1-dev')).toEqual(expect.arrayContaining(['image', 'strength']));
    expect(await names('model_zimage')).not.toEqual(expect.arrayContaining(['referenceImages']));
  });
});
