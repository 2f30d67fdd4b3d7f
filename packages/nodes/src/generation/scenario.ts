import { type JsonValue, NodeRunError } from '@loraflow/core';
import {
  type CustomGenerateInput,
  ProviderError,
  type ScenarioClient,
  type Txt2imgInput,
  waitForJob,
} from '@loraflow/providers';
import { familiesCompatible } from '../families';
import { createOnce } from '../scenario-ops';
import { NODE_ERROR_CODES, polling, pollOptions, signalOf } from '../services';
import { type GenerationBackend, type GenerationJob, type PriceQuery, withoutUnset } from './backend';
import { FLUX1_CUSTOM_BASE } from './rules';

/**
 * A Scenario generation request: route A (`generate/txt2img`, the LoRA or composition as the
 * model) or route B (`generate/custom/{baseModelId}`, every LoRA with its scale).
 *
 * @example
 * const r: ScenarioRequest = { route: 'custom', baseModelId: 'model_bfl-flux-2-dev', body: { prompt: 'a fox' } };
 */
export type ScenarioRequest =
  | { route: 'txt2img'; body: Txt2imgInput }
  | { route: 'custom'; baseModelId: string; body: CustomGenerateInput };

const customBody = (query: Omit<PriceQuery, 'loras'>, loras: GenerationJob['loras']): CustomGenerateInput => {
  const p = query.params;
  return {
    prompt: query.prompt,
    loras: loras.map((l) => l.id),
    lorasScale: loras.map((l) => l.strength),
    numOutputs: p.samples,
    width: p.width,
    height: p.height,
    ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
    ...(p.guidance !== undefined ? { guidance: p.guidance } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
  };
};

function txt2imgBody(job: GenerationJob, model: number, concepts: number[]): Txt2imgInput {
  const p = job.params;
  const scaled = concepts.map((i) => ({ modelId: job.loras[i]!.id, scale: job.loras[i]!.strength }));
  return {
    modelId: job.loras[model]!.id,
    prompt: job.prompt,
    numSamples: p.samples,
    width: p.width,
    height: p.height,
    ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
    ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
    ...(p.guidance !== undefined ? { guidance: p.guidance } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.scheduler ? { scheduler: p.scheduler } : {}),
    ...(scaled.length > 0 ? { concepts: scaled } : {}),
  };
}

// How far the provider's clock may run behind ours when a job's creation time is compared with our send time.
const CLOCK_SKEW_MS = 120_000;
const JOB_PAGES = 3;

// A scalar the vendor may echo as a string (Scenario echoes txt2img's seed as one).
const same = (a: unknown, b: unknown) =>
  typeof a === 'object' || typeof b === 'object'
    ? JSON.stringify(a) === JSON.stringify(b)
    : String(a) === String(b);

/**
 * The job an ambiguous generation request created, if any: among the jobs created since it was
 * sent (a few pages), one whose echoed `metadata.input` has our prompt and agrees
 * with every other field of our body that it echoes. Decision 0027.
 */
async function findGenerationJob(
  client: ScenarioClient,
  body: Record<string, unknown>,
  since: number,
  signal: AbortSignal,
): Promise<{ jobId: string } | undefined> {
  let token: string | undefined;
  for (let page = 0; page < JOB_PAGES; page++) {
    const { items, nextPaginationToken } = await client.listJobs(
      { pageSize: 50, ...(token ? { paginationToken: token } : {}) },
      { signal },
    );
    // The list's order is not documented: older jobs are skipped, and a page of only older ones ends the search.
    let recent = 0;
    for (const job of items) {
      const created = Date.parse(job.createdAt ?? '');
      if (Number.isFinite(created) && created < since) continue;
      recent++;
      const input = (job.metadata as { input?: Record<string, unknown> } | undefined)?.input;
      if (!input || input.prompt !== body.prompt) continue;
      const agrees = Object.entries(body).every(([k, v]) => !(k in input) || same(input[k], v));
      if (agrees) return { jobId: job.jobId };
    }
    if (!nextPaginationToken || recent === 0) return undefined;
    token = nextPaginationToken;
  }
  return undefined;
}

/**
 * Scenario as a generation backend (PROVIDERS.md §1.6): submit on route A or B, poll the job,
 * read each asset and download it; the price is the route's dry run. LoRAs that do not exist yet
 * are priced by the base model alone — Scenario prices a generation by its base model,
 * "regardless of LoRA count" — a FLUX.1 txt2img generation as the same one on the FLUX.1 [dev]
 * custom route; other txt2img families stay unknown.
 *
 * @example
 * const images = await runGeneration(ctx, createScenarioBackend(scenario), job, 600_000);
 */
export function createScenarioBackend(
  client: ScenarioClient,
): GenerationBackend<ScenarioRequest, { jobId: string }, string, ScenarioRequest> {
  return {
    provider: 'scenario',

    request(job) {
      const { plan } = job;
      if (plan.route === 'txt2img') {
        const body = txt2imgBody(job, plan.model, plan.concepts);
        const intent = { route: 'txt2img', body } as unknown as JsonValue;
        return { body: { route: 'txt2img', body }, intent, warnings: [] };
      }
      if (plan.route !== 'custom')
        throw new Error(`A ${plan.provider} plan was given to the Scenario backend.`);
      const body = customBody(job, job.loras);
      // The journal's intent is the route and the body, as it always was; the base model is the plan's.
      const intent = { route: 'custom', body } as unknown as JsonValue;
      const warnings = job.params.negativePrompt
        ? ['The negative prompt is ignored: Scenario custom generation has no negative prompt.']
        : [];
      return { body: { route: 'custom', baseModelId: plan.baseModelId, body }, intent, warnings };
    },

    submit(ctx, request) {
      const signal = signalOf(ctx);
      const now = polling(ctx).now ?? Date.now;
      const sentAt = now();
      // A generation has no name or tag: after an ambiguous failure its job is found by its echoed input, then sent once more at most.
      return createOnce(ctx, {
        attempt: async () => {
          const r =
            request.route === 'txt2img'
              ? await client.generateTxt2img(request.body, {}, { signal })
              : await client.generateCustom(request.baseModelId, request.body, {}, { signal });
          return { jobId: r.job.jobId };
        },
        find: () => findGenerationJob(client, request.body, sentAt - CLOCK_SKEW_MS, signal),
        tries: 2,
      });
    },

    async usable(ctx, submitted) {
      try {
        const job = await client.getJob(submitted.jobId, { signal: signalOf(ctx) });
        if (job.status === 'failure' || job.status === 'canceled') return false;
        return job.status !== 'success' || (job.metadata?.assetIds?.length ?? 0) > 0;
      } catch (error) {
        if (error instanceof ProviderError && error.status === 404) return false;
        throw error;
      }
    },

    async wait(ctx, submitted, timeoutMs) {
      ctx.progress(0.05, 'generation submitted');
      const job = await waitForJob({
        ...pollOptions(polling(ctx)),
        client,
        jobId: submitted.jobId,
        timeoutMs,
        signal: signalOf(ctx),
        cancelOnAbort: true,
        onProgress: (j) =>
          ctx.progress(0.05 + 0.8 * Math.min(1, j.progress ?? 0), `generation ${j.status ?? 'pending'}`),
      });
      if (job.status !== 'success') {
        throw new NodeRunError(
          NODE_ERROR_CODES.generationFailed,
          `Scenario generation job ${job.jobId} ended "${job.status}"${job.metadata?.error ? `: ${job.metadata.error}` : ''}.`,
        );
      }
      return job.metadata?.assetIds ?? [];
    },

    async download(ctx, assetId) {
      const signal = signalOf(ctx);
      const asset = await client.getAsset(assetId, { signal });
      const { bytes, mimeType } = await client.downloadAsset(asset, { signal });
      return {
        bytes,
        mimeType: mimeType ?? asset.mimeType ?? 'image/png',
        assetId,
        width: asset.properties?.width,
        height: asset.properties?.height,
      };
    },

    async price(query) {
      if (query.loras) {
        const { body: r } = this.request({ ...query, loras: query.loras });
        return r.route === 'txt2img'
          ? client.generateTxt2img(r.body, { dryRun: true })
          : client.generateCustom(r.baseModelId, r.body, { dryRun: true });
      }
      const { plan, params } = query;
      const base =
        plan.route === 'custom'
          ? plan.baseModelId
          : (params.baseModelId ??
            (familiesCompatible(plan.family, 'flux.1') ? FLUX1_CUSTOM_BASE : undefined));
      return base ? client.generateCustom(base, customBody(query, []), { dryRun: true }) : undefined;
    },

    async uploadInput(ctx, { image, dataUrl }) {
      // An image Scenario made is an asset of this account already: the edit names it, nothing is uploaded.
      if (image.provider === 'scenario' && image.assetId) return image.assetId;
      const name = `loraflow-input.${image.blob.mime.split('/')[1] ?? 'png'}`;
      const asset = await client.assets.upload({ name, image: await dataUrl() }, { signal: signalOf(ctx) });
      return asset.id;
    },

    imageRequest({ body: request, warnings }, input) {
      if (request.route !== 'custom')
        throw new Error(
          'A Scenario edit was planned on the txt2img route; the rules send edit LoRAs to route B.',
        );
      // The edit route (PROVIDERS.md §1.6): route B with the image to edit in `referenceImages`.
      const body = withoutUnset({ ...request.body, referenceImages: [input.reference] });
      const intent = { route: 'edit', body } as unknown as JsonValue;
      return { body: { ...request, body }, intent, warnings };
    },

    // An edit is a route B request, so it is sent (and guarded against a second send) as every one is.
    submitImage(ctx, request) {
      return this.submit(ctx, request);
    },
  };
}
