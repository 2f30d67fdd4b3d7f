import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { scriptedServers } from '../test/server';
import { ModelsLabClient } from './client';

const serve = scriptedServers(afterEach);

async function vendor() {
  const s = await serve(() => ({
    status: 200,
    body: { status: 'success', id: 1, output: ['http://x/1.png'] },
  }));
  return { s, ml: new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' }) };
}

describe('ModelsLab text2img as its documents say', () => {
  it('refuses, before sending, inference steps the multi-LoRA page does not list (21, 31, 41)', async () => {
    const { s, ml } = await vendor();
    const error = await ml
      .text2img({ modelId: 'realistic-vision-v51', prompt: 'x', numInferenceSteps: 30 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues[0]).toMatchObject({ path: ['numInferenceSteps'] });
    expect(error.message).toMatch(/21, 31 or 41 inference steps for realistic-vision-v51.*not 30/);
    expect(s.seen).toHaveLength(0);
    await ml.text2img({ modelId: 'realistic-vision-v51', prompt: 'x', numInferenceSteps: 31 });
    expect(JSON.parse(s.seen[0]?.body ?? '{}').num_inference_steps).toBe(31);
  });

  it('takes 1..50 steps for flux, as the FLUX spec says', async () => {
    const { s, ml } = await vendor();
    await ml.text2img({ modelId: 'flux', prompt: 'x', numInferenceSteps: 30 });
    expect(s.seen).toHaveLength(1);
    await expect(ml.text2img({ modelId: 'flux', prompt: 'x', numInferenceSteps: 51 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('sends safety_checker and enhance_prompt explicitly, "yes" by default as documented', async () => {
    const { s, ml } = await vendor();
    await ml.text2img({ modelId: 'sdxl', prompt: 'x' });
    await ml.text2img({ modelId: 'sdxl', prompt: 'x', safetyChecker: false, enhancePrompt: false });
    const sent = s.seen.map((r) => JSON.parse(r.body));
    expect(sent.map((b) => [b.safety_checker, b.enhance_prompt])).toEqual([
      ['yes', 'yes'],
      ['no', 'no'],
    ]);
  });

  it('accepts a processing answer without an id when its fetch_result names it', async () => {
    const s = await serve(() => ({
      status: 200,
      body: {
        status: 'processing',
        eta: 2,
        fetch_result: 'https://modelslab.com/api/v6/images/fetch/29763508',
      },
    }));
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' });
    await expect(ml.text2img({ modelId: 'sdxl', prompt: 'x' })).resolves.toMatchObject({
      status: 'processing',
      id: '29763508',
    });
  });
});
