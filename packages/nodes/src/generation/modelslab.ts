import type { JsonValue } from '@loraflow/core';
import {
  type ModelsLabClient,
  type ModelsLabImg2ImgInput,
  type ModelsLabText2ImgInput,
  ProviderError,
  waitForModelsLabResult,
} from '@loraflow/providers';
import { createOnce } from '../scenario-ops';
import { signalOf } from '../services';
import { bindHook, hookPolling, hookUrl, WEBHOOK_KINDS } from '../webhooks';
import { type GenerationBackend, type GenerationContext, withoutUnset } from './backend';

/**
 * What ModelsLab's text2img answered: the images at once, or an id to fetch them by later.
 *
 * @example
 * const s: ModelsLabSubmitted = { id: '42', output: [], etaMs: 8000 };
 */
export type ModelsLabSubmitted = {
  id: string | null;
  output: string[];
  etaMs: number | null;
  /** A webhook announces the result, so the wait polls only as a safety net. */
  webhook?: boolean;
};

/**
 * ModelsLab as a generation backend (PROVIDERS.md §2.2–2.3): text2img with every LoRA at its
 * strength, the fetch endpoint while it is processing, each output URL downloaded. ModelsLab has
 * no dry run, so its price is unknown.
 *
 * @example
 * const images = await runGeneration(ctx, createModelsLabBackend(modelslab), job, 600_000);
 */
export function createModelsLabBackend(
  client: ModelsLabClient,
): GenerationBackend<ModelsLabText2ImgInput, ModelsLabSubmitted, string, ModelsLabImg2ImgInput> {
  return {
    provider: 'modelslab',

    request({ plan, prompt, params: p, loras }) {
      if (plan.route !== 'modelslab')
        throw new Error(`A ${plan.provider} plan was given to the ModelsLab backend.`);
      const body = {
        modelId: plan.baseModelId,
        prompt,
        width: p.width,
        height: p.height,
        samples: p.samples,
        seed: p.seed ?? null,
        loras: loras.map((l) => ({ model: l.id, strength: l.strength })),
        ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
        ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
        ...(p.guidance !== undefined ? { guidanceScale: p.guidance } : {}),
        ...(p.scheduler ? { scheduler: p.scheduler } : {}),
        // sent explicitly: the spec and the multi-LoRA page disagree on their defaults (decision 0028)
        safetyChecker: p.safetyChecker ?? true,
        enhancePrompt: p.enhancePrompt ?? true,
      };
      return { body, intent: body as unknown as JsonValue, warnings: [] };
    },

    async submit(ctx, body) {
      // ModelsLab lists no generations (its track_id only reaches a webhook): an ambiguous failure is not sent again.
      const hook = await withHook(ctx, body);
      const r = await createOnce(ctx, {
        attempt: () => client.text2img(hook.body, { signal: signalOf(ctx) }),
      });
      if (r.status === 'success') return { id: r.id ?? null, output: r.output, etaMs: null };
      await hook.bind(r.id);
      return { id: r.id, output: [], etaMs: r.etaMs ?? null, ...hook.flag };
    },

    async usable(ctx, submitted) {
      if (submitted.id === null) return submitted.output.length > 0;
      try {
        await client.fetch(submitted.id, { signal: signalOf(ctx) });
        return true;
      } catch (error) {
        // a failed or unknown request answers an error that sending again cannot fix; that one is dead
        if (error instanceof ProviderError && !error.retryable && error.code !== 'aborted') return false;
        throw error;
      }
    },

    async wait(ctx, submitted, timeoutMs) {
      if (submitted.output.length > 0 || submitted.id === null) return submitted.output;
      ctx.progress(0.1, 'ModelsLab is processing');
      const done = await waitForModelsLabResult({
        ...hookPolling(
          ctx,
          submitted.webhook ? { kind: WEBHOOK_KINDS.modelslabImage, job: submitted.id } : undefined,
        ),
        client,
        id: submitted.id,
        etaMs: submitted.etaMs ?? undefined,
        timeoutMs,
        signal: signalOf(ctx),
        onProgress: (s) =>
          ctx.progress(
            0.1,
            `ModelsLab ${s.status}${s.etaMs ? `, about ${Math.ceil(s.etaMs / 1000)} s left` : ''}`,
          ),
      });
      return done.output;
    },

    async download(ctx, url) {
      const { bytes, mimeType } = await client.downloadOutput(url, { signal: signalOf(ctx) });
      return { bytes, mimeType: mimeType ?? 'image/png' };
    },

    // ModelsLab has no dry run: a generation's cost is unknown, never counted as free
    price: async () => undefined,

    async uploadInput(ctx, { dataUrl }) {
      // img2img reads a public URL (PROVIDERS.md §2): base64_crop makes one, as the training upload does.
      return client.training.base64Crop({ image: await dataUrl(), crop: false }, { signal: signalOf(ctx) });
    },

    imageRequest({ body, warnings }, input) {
      const img2img = withoutUnset({ ...body, initImage: input.reference, strength: input.strength });
      return { body: img2img, intent: img2img as unknown as JsonValue, warnings };
    },

    async submitImage(ctx, body) {
      // as submit: an ambiguous failure is not sent again (nothing to look it up by), a surely-unsent one is
      const hook = await withHook(ctx, body);
      const r = await createOnce(ctx, {
        attempt: () => client.images.img2img(hook.body, { signal: signalOf(ctx) }),
      });
      if (r.status === 'success') return { id: r.id ?? null, output: r.output, etaMs: null };
      await hook.bind(r.id);
      return { id: r.id, output: [], etaMs: r.etaMs ?? null, ...hook.flag };
    },
  };
}

/** The body with a callback URL and its `track_id` when the host takes webhooks (the journal keeps only the flag). */
async function withHook<B extends object>(
  ctx: GenerationContext,
  body: B,
): Promise<{ body: B; flag: { webhook?: true }; bind(job: string): Promise<void> }> {
  // A fresh hook per request: the waiter is keyed by the id ModelsLab answers, which the hook is bound to once known.
  const hook = crypto.randomUUID();
  const webhook = await hookUrl(ctx, WEBHOOK_KINDS.modelslabImage, hook);
  return webhook
    ? {
        body: { ...body, webhook, trackId: hook },
        flag: { webhook: true },
        bind: (job) => bindHook(ctx, WEBHOOK_KINDS.modelslabImage, hook, job),
      }
    : { body, flag: {}, bind: async () => {} };
}
