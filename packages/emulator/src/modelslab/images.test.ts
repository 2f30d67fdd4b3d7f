import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator';
import { dataUrl, ML_KEY, manualEmulator, modelslab, pictureOf, solidPng } from '../test/helpers';

const RED: [number, number, number] = [230, 30, 30];
const BLUE: [number, number, number] = [30, 30, 230];

const img2img = (init_image: string, extra: Record<string, unknown> = {}) => ({
  key: ML_KEY,
  model_id: 'sdxl',
  prompt: 'a cat',
  init_image,
  strength: 0.5,
  seed: 3,
  ...extra,
});

/** Uploads through base64_crop, as a client turns a local picture into the URL ModelsLab wants. */
async function link(emulator: Emulator, png: Uint8Array): Promise<string> {
  const res = await modelslab(emulator, '/v3/base64_crop', { key: ML_KEY, image: dataUrl(png) });
  return res.body.link as string;
}

describe('ModelsLab img2img', () => {
  it('answers processing, then fetch gives an output the size of the input that follows its colours', async () => {
    const emulator = manualEmulator();
    const red = await modelslab(
      emulator,
      '/v6/images/img2img',
      img2img(await link(emulator, solidPng(RED, 320, 240))),
    );
    expect(red.body).toMatchObject({ status: 'processing', eta: 13, output: [] });
    expect(red.body.meta).toMatchObject({ W: 320, H: 240, strength: 0.5, prompt: 'a cat' });
    const blue = await modelslab(emulator, '/v6/images/img2img', img2img(dataUrl(solidPng(BLUE, 320, 240))));
    emulator.clock.advance(13_000);
    const done = await modelslab(emulator, `/v6/images/fetch/${red.body.id}`, { key: ML_KEY });
    expect(done.body.status).toBe('success');
    expect(done.body.output).toEqual(red.body.future_links);
    const fromRed = await pictureOf(emulator, done.body.output[0]);
    const fromBlue = await pictureOf(emulator, blue.body.future_links[0]);
    expect([fromRed.width, fromRed.height]).toEqual([320, 240]);
    const [rr, , rb] = fromRed.mean as [number, number, number];
    const [br, , bb] = fromBlue.mean as [number, number, number];
    expect(rr - br).toBeGreaterThan(60);
    expect(bb - rb).toBeGreaterThan(60);
  });

  it('takes LoRAs as text2img does and scales a large input down to 1024', async () => {
    const emulator = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    const res = await modelslab(
      emulator,
      '/v6/images/img2img',
      img2img(await link(emulator, solidPng(RED, 2048, 1024)), {
        lora_model: 'add-detail-xl',
        lora_strength: '0.6',
      }),
    );
    expect(res.body).toMatchObject({ status: 'success', meta: { W: 1024, H: 512, lora: 'add-detail-xl' } });
    const bad = await modelslab(
      emulator,
      '/v6/images/img2img',
      img2img(dataUrl(solidPng(RED)), { lora_model: 'more_details' }),
    );
    expect(bad.body).toEqual({
      status: 'error',
      message: 'LoRA more_details is not compatible with model sdxl',
    });
  });

  it('reads a blob: URL and bare base64 with base64 "yes"', async () => {
    const emulator = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    const png = solidPng(BLUE, 64, 64);
    const blob = URL.createObjectURL(new Blob([png.slice().buffer], { type: 'image/png' }));
    try {
      expect((await modelslab(emulator, '/v6/images/img2img', img2img(blob))).body.status).toBe('success');
    } finally {
      URL.revokeObjectURL(blob);
    }
    const bare = dataUrl(png).slice('data:image/png;base64,'.length);
    expect(
      (await modelslab(emulator, '/v6/images/img2img', img2img(bare, { base64: 'yes' }))).body.status,
    ).toBe('success');
  });

  it('never fetches another host: a loopback server named in init_image receives nothing', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const emulator = manualEmulator();
      const send = (url: string) => modelslab(emulator, '/v6/images/img2img', img2img(url));
      const elsewhere = await send(`http://127.0.0.1:${port}/a.png`);
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body).toEqual({
        status: 'error',
        message:
          'init_image must be a file URL of this emulator (…/files/…), a data: URL or a blob: URL; the emulator fetches no other host',
      });
      // A loopback `/files/` URL is read from the emulator's own store (a restarted emulator has a new port).
      const files = await send(`http://127.0.0.1:${port}/files/a.png`);
      expect(files.body.message).toBe('init_image could not be downloaded: HTTP 404 (Not Found)');
      const remote = await send('https://example.com/files/a.png');
      expect(remote.body.message).toContain('the emulator fetches no other host');
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives the documented error shape for a missing, unknown, non-PNG or out-of-range input', async () => {
    const emulator = manualEmulator();
    const jpeg = dataUrl(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'image/jpeg');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ init_image: undefined }, 'init_image is required'],
      [{ init_image: jpeg }, 'init_image is a JPEG image; the emulator reads PNG input images only'],
      [
        { init_image: 'http://emulator.invalid/files/modelslab/uploads/none.png' },
        'init_image could not be downloaded: HTTP 404 (Not Found)',
      ],
      [
        { init_image: 'not a url' },
        expect.stringContaining('the emulator fetches no other host') as unknown as string,
      ],
      [{ strength: 1.5 }, 'strength must be between 0 and 1'],
      [{ model_id: 'nope' }, 'Model not found: nope'],
    ];
    for (const [patch, message] of cases) {
      const body: Record<string, unknown> = img2img(dataUrl(solidPng(RED)), patch);
      for (const [k, v] of Object.entries(patch)) if (v === undefined) delete body[k];
      const res = await modelslab(emulator, '/v6/images/img2img', body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'error', message });
    }
    expect(emulator.state().counts.modelslabRequests).toBe(0);
  });
});
