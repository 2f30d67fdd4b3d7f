import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError, RateLimitError, ValidationError } from '../errors';
import { waitForModelsLabResult, waitForModelsLabTraining } from '../polling';
import { isPng, TINY_PNG_DATA_URL } from '../test/assets';
import { type Harness, startHarness } from '../test/emulator-harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const count = (path: RegExp) =>
  h.emulator.log.entries({ method: 'POST' }).filter((e) => path.test(e.path)).length;

describe('ModelsLabClient against the emulator', () => {
  it('generates with two LoRAs: processing, then success after the eta, then a PNG', async () => {
    const ml = h.modelslab();
    const first = await ml.text2img({
      modelId: 'realistic-vision-v51',
      prompt: 'a lighthouse',
      width: 512,
      height: 512,
      seed: 3,
      loras: [
        { model: 'more_details', strength: 0.5 },
        { model: 'anime-lineart', strength: 0.8 },
      ],
    });
    expect(first.status).toBe('processing');
    if (first.status !== 'processing') return;
    expect(first.etaMs).toBeGreaterThan(0);
    const done = await waitForModelsLabResult({
      client: ml,
      id: first.id,
      etaMs: first.etaMs,
      sleep: h.sleep,
      now: h.now,
    });
    expect(done.output.length).toBe(1);
    expect(count(/\/v6\/images\/fetch/)).toBeLessThanOrEqual(3);
    expect(done.meta).toMatchObject({ lora_strength: '0.5,0.8', seed: 3 });
    const file = await ml.downloadOutput(done.output[0] as string);
    expect(isPng(file.bytes)).toBe(true);
  });

  it('maps a bad key and an unknown request id into the error hierarchy', async () => {
    await expect(
      h.modelslab({ apiKey: 'not-a-valid-key' }).text2img({ modelId: 'sdxl', prompt: 'x' }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    await expect(h.modelslab().fetch('999999999')).rejects.toBeInstanceOf(NotFoundError);
    // A LoRA from another family is refused by the vendor with its reason.
    const e = await h
      .modelslab()
      .text2img({ modelId: 'sdxl', prompt: 'x', loras: [{ model: 'more_details', strength: 0.5 }] })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).reason).toContain('not compatible');
  });

  it('retries a generation refused by the queue limit once the queue drains (retry_after honoured)', async () => {
    const ml = h.modelslab({ retry: { maxRetries: 0 } });
    const errors = [];
    for (let i = 0; i < 8; i++) {
      const r = await ml.text2img({ modelId: 'sdxl', prompt: `p${i}` }).catch((e: unknown) => e);
      if (r instanceof Error) errors.push(r);
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(RateLimitError);
    expect((errors[0] as RateLimitError).retryAfterMs).toBeGreaterThan(0);
    // With retries on, the client waits retry_after (advancing the emulated clock) and is let in.
    const patient = h.modelslab();
    await expect(patient.text2img({ modelId: 'sdxl', prompt: 'late' })).resolves.toMatchObject({
      status: 'processing',
    });
  });

  it('trains a LoRA through every v3 stage to model_ready, and lists it', async () => {
    const ml = h.modelslab();
    const link = await ml.base64Crop({ image: TINY_PNG_DATA_URL, crop: true });
    expect(link).toMatch(/^https?:\/\//);
    const { trainingId } = await ml.loraFineTune({
      instancePrompt: 'photo of sks dog',
      classPrompt: 'photo of a dog',
      images: [link, link, link],
      trainingType: 'null',
      maxTrainSteps: 10,
    });
    const stages: string[] = [];
    const s = await waitForModelsLabTraining({
      client: ml,
      trainingId,
      sleep: h.sleep,
      now: h.now,
      onProgress: (p) => stages.push(p.stage),
    });
    expect(s.done).toBe(true);
    expect(stages.at(-1)).toBe('model_ready');
    expect(new Set(stages).size).toBeGreaterThan(2);
    expect(await ml.finetuneList()).toContain(trainingId);
  });

  it('cancels a v3 training', async () => {
    const ml = h.modelslab();
    const link = await ml.base64Crop({ image: TINY_PNG_DATA_URL });
    const { trainingId } = await ml.loraFineTune({
      instancePrompt: 'photo of sks cat',
      classPrompt: 'photo of a cat',
      images: [link],
      trainingType: 'null',
      maxTrainSteps: 10,
    });
    await expect(ml.cancelTraining(trainingId)).resolves.toBeDefined();
  });

  it('fetch survives injected 5xx and resets; text2img is not resent after a failure past the server', async () => {
    const ml = h.modelslab();
    const first = await ml.text2img({ modelId: 'sdxl', prompt: 'x' });
    if (first.status !== 'processing') throw new Error('expected processing');
    h.emulator.faults.set([
      { route: 'POST /modelslab/api/v6/images/fetch**', rate: 1, kind: '5xx', times: 1 },
      { route: 'POST /modelslab/api/v6/images/fetch**', rate: 1, kind: 'reset', times: 1 },
    ]);
    await expect(
      waitForModelsLabResult({ client: ml, id: first.id, etaMs: first.etaMs, sleep: h.sleep, now: h.now }),
    ).resolves.toMatchObject({ status: 'success' });
    h.emulator.faults.set([
      { route: 'POST /modelslab/api/v6/images/text2img', rate: 1, kind: '5xx', phase: 'after', times: 1 },
    ]);
    const before = count(/\/v6\/images\/text2img$/);
    await expect(ml.text2img({ modelId: 'sdxl', prompt: 'once' })).rejects.toMatchObject({
      code: 'server',
      retryable: true,
    });
    expect(count(/\/v6\/images\/text2img$/) - before).toBe(1);
  });

  it('trains to model_ready through seeded random faults on every status poll', async () => {
    const ml = h.modelslab({ retry: { maxRetries: 6, sleep: h.sleep, random: () => 0.5 } });
    const link = await ml.base64Crop({ image: TINY_PNG_DATA_URL });
    const { trainingId } = await ml.loraFineTune({
      instancePrompt: 'photo of sks cup',
      classPrompt: 'photo of a cup',
      images: [link, link],
      trainingType: 'null',
      maxTrainSteps: 10,
    });
    h.emulator.faults.set([
      { route: 'POST /modelslab/api/v3/fine_tune_status/*', rate: 0.3, kind: '5xx' },
      { route: 'POST /modelslab/api/v3/fine_tune_status/*', rate: 0.2, kind: 'reset' },
      { route: 'POST /modelslab/api/v3/fine_tune_status/*', rate: 0.2, kind: '429', retryAfterS: 2 },
    ]);
    const s = await waitForModelsLabTraining({ client: ml, trainingId, sleep: h.sleep, now: h.now });
    expect(s.stage).toBe('model_ready');
    expect(h.emulator.log.entries({ method: 'POST' }).some((e) => e.fault !== undefined)).toBe(true);
    expect(count(/\/v3\/lora_fine_tune$/)).toBe(1);
  });
});
