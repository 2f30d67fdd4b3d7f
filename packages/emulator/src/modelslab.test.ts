import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ML_KEY, manualEmulator, modelslab, specTrainingStages } from './test/helpers';

const text2img = (extra: Record<string, unknown> = {}) => ({
  key: ML_KEY,
  model_id: 'f222-diffusion',
  prompt: 'a female model doing photoshoot',
  width: '512',
  height: '512',
  samples: '1',
  lora_model: 'more_details,ganyu-lora',
  lora_strength: '0.45,0.55',
  ...extra,
});

describe('ModelsLab text2img', () => {
  it('refuses an invalid key with HTTP 401 and status "error"', async () => {
    const emulator = manualEmulator();
    const res = await modelslab(emulator, '/v6/images/text2img', text2img({ key: 'wrong' }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 'error', message: 'Invalid API key' });
    const none = await modelslab(emulator, '/v6/images/text2img', { prompt: 'x' });
    expect(none.status).toBe(401);
  });

  it('answers processing with id, eta, fetch_result and future_links, then success after the eta', async () => {
    const emulator = manualEmulator();
    const first = await modelslab(emulator, '/v6/images/text2img', text2img());
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'processing', eta: 13, output: [] });
    expect(Number.isInteger(first.body.id)).toBe(true);
    expect(first.body.fetch_result).toBe(
      `http://emulator.invalid/modelslab/api/v6/images/fetch/${first.body.id}`,
    );
    expect(first.body.meta).toMatchObject({
      W: 512,
      H: 512,
      lora: 'more_details,ganyu-lora',
      lora_strength: '0.45,0.55',
    });
    const [link] = first.body.future_links;
    expect((await emulator.fetch(link)).status).toBe(404);
    emulator.clock.advance(6_000);
    const mid = await modelslab(emulator, `/v6/images/fetch/${first.body.id}`, { key: ML_KEY });
    expect(mid.body).toMatchObject({ status: 'processing', eta: 7 });
    emulator.clock.advance(7_000);
    const done = await modelslab(emulator, '/v6/images/fetch', {
      key: ML_KEY,
      request_id: String(first.body.id),
    });
    expect(done.body.status).toBe('success');
    expect(done.body.output).toEqual(first.body.future_links);
    expect(done.body.proxy_links).toEqual(done.body.output);
    const image = await emulator.fetch(link);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('answers success at once when the eta is configured to 0', async () => {
    const emulator = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    const res = await modelslab(emulator, '/v6/images/text2img', text2img());
    expect(res.body.status).toBe('success');
    expect(res.body.output).toHaveLength(1);
  });

  it('gives the documented validation messages on HTTP 200', async () => {
    const emulator = manualEmulator();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ prompt: undefined }, 'prompt is required'],
      [{ prompt: 12 }, 'prompt must be a string'],
      [{ width: 2048 }, 'width must be between 256 and 1024'],
      [{ height: '1100' }, 'height must be between 256 and 1024'],
      [{ height: 516 }, 'height must be divisible by 8'],
      [{ samples: 5 }, 'samples must be between 1 and 4'],
      [{ guidance_scale: 25 }, 'guidance_scale must be between 1 and 20'],
      [{ lora_strength: '0.05,0.5' }, 'lora_strength must be between 0.1 and 1'],
      [{ lora_strength: 1.2 }, 'lora_strength must be between 0.1 and 1'],
      [{ model_id: 'nope' }, 'Model not found: nope'],
      [{ lora_model: 'more_details,missing-lora', lora_strength: '0.5' }, 'Model not found: missing-lora'],
      [
        { model_id: 'flux', lora_model: 'more_details', lora_strength: 0.5 },
        'LoRA more_details is not compatible with model flux',
      ],
      [{ width: 'wide' }, 'width must be a number'],
      [{ num_inference_steps: '30' }, 'num_inference_steps must be one of 21, 31 or 41'],
    ];
    for (const [patch, message] of cases) {
      const body = text2img(patch);
      for (const [k, v] of Object.entries(patch))
        if (v === undefined) delete (body as Record<string, unknown>)[k];
      const res = await modelslab(emulator, '/v6/images/text2img', body);
      expect(res.status, message).toBe(200);
      expect(res.body).toEqual({ status: 'error', message });
    }
  });

  it('takes the documented steps per model (21, 31, 41; flux 1..50) and echoes safety_checker and enhance_prompt as "yes" by default', async () => {
    const emulator = manualEmulator();
    const ok = await modelslab(emulator, '/v6/images/text2img', text2img({ num_inference_steps: '41' }));
    expect(ok.body.status).toBe('processing');
    expect(ok.body.meta).toMatchObject({ steps: 41, safety_checker: 'yes', enhance_prompt: 'yes' });
    const flux = { key: ML_KEY, model_id: 'flux', prompt: 'x', num_inference_steps: 30 };
    expect((await modelslab(emulator, '/v6/images/text2img', flux)).body.status).toBe('processing');
  });

  it('treats numbers and numeric strings, booleans and "yes"/"no" alike', async () => {
    const a = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    const b = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    const strings = await modelslab(
      a,
      '/v6/images/text2img',
      text2img({ seed: '7', safety_checker: 'yes', guidance_scale: '7.5' }),
    );
    const numbers = await modelslab(
      b,
      '/v6/images/text2img',
      text2img({
        width: 512,
        height: 512,
        samples: 1,
        seed: 7,
        safety_checker: true,
        guidance_scale: 7.5,
        lora_strength: '0.45,0.55',
      }),
    );
    expect(strings.body.meta).toEqual(numbers.body.meta);
    const bytesA = new Uint8Array(await (await a.fetch(strings.body.output[0])).arrayBuffer());
    const bytesB = new Uint8Array(await (await b.fetch(numbers.body.output[0])).arrayBuffer());
    expect(bytesA).toEqual(bytesB);
  });

  it('answers HTTP 429 with a retry_after body field past the queue limit', async () => {
    const emulator = manualEmulator({ timings: { modelslabQueueLimit: 2 } });
    await modelslab(emulator, '/v6/images/text2img', text2img());
    emulator.clock.advance(3_000);
    await modelslab(emulator, '/v6/images/text2img', text2img());
    const third = await modelslab(emulator, '/v6/images/text2img', text2img());
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      status: 'error',
      message: 'Rate limit exceeded. Maximum 2 queued requests allowed.',
      retry_after: 10,
    });
    emulator.clock.advance(10_000);
    expect((await modelslab(emulator, '/v6/images/text2img', text2img())).body.status).toBe('processing');
  });

  it('answers 404 for an unknown request id and 400 for a missing one', async () => {
    const emulator = manualEmulator();
    const unknown = await modelslab(emulator, '/v6/images/fetch/123', { key: ML_KEY });
    expect(unknown.status).toBe(404);
    expect(unknown.body.status).toBe('error');
    const missing = await modelslab(emulator, '/v6/images/fetch', { key: ML_KEY });
    expect(missing.status).toBe(400);
  });

  it('never answers an arbitrary text2img body with a 5xx or without a status', async () => {
    const emulator = manualEmulator({ timings: { modelslabEtaMs: 0, modelslabQueueLimit: 10_000 } });
    const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'model_id',
            'prompt',
            'width',
            'height',
            'samples',
            'lora_model',
            'lora_strength',
            'seed',
            'safety_checker',
            'num_inference_steps',
            'guidance_scale',
          ),
          value,
        ),
        async (patch) => {
          const res = await modelslab(emulator, '/v6/images/text2img', {
            ...text2img(),
            ...patch,
            key: ML_KEY,
          });
          expect(res.status).toBeLessThan(500);
          expect(['success', 'processing', 'error']).toContain(res.body.status);
          if (res.body.status === 'error') expect(typeof res.body.message).toBe('string');
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('ModelsLab v3 LoRA training', () => {
  const training = (extra: Record<string, unknown> = {}) => ({
    key: ML_KEY,
    instance_prompt: 'photo of ambika0 man',
    class_prompt: 'photo of a man',
    base_model_type: 'normal',
    images: ['https://example.invalid/1.png', 'https://example.invalid/2.png'],
    training_type: 'men',
    max_train_steps: '18',
    ...extra,
  });

  it('walks all eight stages in order and lists the model once ready', async () => {
    const emulator = manualEmulator();
    const started = await modelslab(emulator, '/v3/lora_fine_tune', training());
    expect(started.body).toMatchObject({
      status: 'success',
      messege: 'deploying_gpu',
      data: 'it will take upto 30 minutes.',
    });
    const id = started.body.training_id;
    expect(id).toMatch(/^[A-Za-z0-9]{10}$/);
    const seen: string[] = [];
    for (let t = 0; t <= 20 * 60; t += 10) {
      const res = await modelslab(emulator, `/v3/fine_tune_status/${id}`, { key: ML_KEY });
      expect(res.body.status).toBe('success');
      if (seen.at(-1) !== res.body.messege) seen.push(res.body.messege);
      emulator.clock.advance(10_000);
    }
    expect(seen).toEqual(specTrainingStages());
    const list = await modelslab(emulator, '/v3/finetune_list', { key: ML_KEY });
    expect(list.body).toEqual({ status: 'success', messege: 'model list', data: [id] });
    // The trained LoRA now works in text2img on a model of its family.
    const gen = await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'realistic-vision-v51',
      prompt: 'ambika0 man',
      lora_model: id,
      lora_strength: 0.8,
    });
    expect(gen.body.status).toBe('processing');
  });

  it('validates the body with messege on HTTP 200', async () => {
    const emulator = manualEmulator();
    const steps = await modelslab(emulator, '/v3/lora_fine_tune', training({ max_train_steps: '80' }));
    expect(steps.body).toEqual({ status: 'error', messege: 'max_train_steps must be between 10 and 50' });
    const type = await modelslab(emulator, '/v3/lora_fine_tune', training({ training_type: 'dogs' }));
    expect(type.body).toEqual({
      status: 'error',
      messege: 'training_type must be one of men, women, couple, null',
    });
    const images = await modelslab(emulator, '/v3/lora_fine_tune', training({ images: [] }));
    expect(images.body.messege).toBe('images must contain at least one image URL');
    const key = await modelslab(emulator, '/v3/lora_fine_tune', training({ key: 'bad' }));
    expect(key.status).toBe(401);
    expect(key.body).toEqual({ status: 'error', messege: 'Invalid API key' });
  });

  it('cancels through both spellings of the path and reports the cancel on status', async () => {
    const emulator = manualEmulator();
    for (const path of ['cancel_training', 'cancle_training']) {
      const id = (await modelslab(emulator, '/v3/lora_fine_tune', training())).body.training_id;
      const res = await modelslab(emulator, `/v3/${path}/${id}`, { key: ML_KEY });
      expect(res.body).toMatchObject({ status: 'success', messege: 'training canceled' });
      const status = await modelslab(emulator, `/v3/fine_tune_status/${id}`, { key: ML_KEY });
      expect(status.body).toEqual({ status: 'error', messege: 'Training was canceled' });
    }
    const unknown = await modelslab(emulator, '/v3/fine_tune_status/nope', { key: ML_KEY });
    expect(unknown.status).toBe(404);
  });

  it('fails a training whose prompt carries the fail-training marker', async () => {
    const emulator = manualEmulator();
    const id = (
      await modelslab(emulator, '/v3/lora_fine_tune', training({ instance_prompt: 'fail-training man' }))
    ).body.training_id;
    emulator.clock.advance(20 * 60_000);
    const status = await modelslab(emulator, `/v3/fine_tune_status/${id}`, { key: ML_KEY });
    expect(status.body.status).toBe('error');
    expect(status.body.messege).toContain('fail-training');
  });

  it('turns a base64 image into a public link with base64_crop', async () => {
    const emulator = manualEmulator();
    const res = await modelslab(emulator, '/v3/base64_crop', {
      key: ML_KEY,
      image: 'data:image/png;base64,iVBORw0KGgo=',
      crop: 'true',
    });
    expect(res.body).toMatchObject({ status: 'success', messege: 'image uploaded' });
    const file = await emulator.fetch(res.body.link);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(
      Uint8Array.from(atob('iVBORw0KGgo='), (c) => c.charCodeAt(0)),
    );
    const bad = await modelslab(emulator, '/v3/base64_crop', { key: ML_KEY, image: 'not a data url' });
    expect(bad.body).toEqual({ status: 'error', messege: 'image must be a base64 data URL' });
  });
});
