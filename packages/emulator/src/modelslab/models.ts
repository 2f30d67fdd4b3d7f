import { MODELSLAB_BASE_MODELS } from '../catalogue';
import { renderPng } from '../image';
import { resource } from '../route-kit';
import { json } from '../vendor-errors';
import type { ModelsLabApi } from './http';

// What each seeded public checkpoint is called and described as (the spec's `PublicModel` example names the first).
const NAMES: Readonly<Record<string, [name: string, description: string]>> = {
  midjourney: ['MidJourney V4', 'Openjourney, Stable Diffusion fine-tuned on Midjourney images.'],
  'f222-diffusion': ['F222', 'Photographic people, SD 1.5.'],
  'realistic-vision-v51': ['Realistic Vision V5.1', 'Photorealism, SD 1.5.'],
  'anything-v5': ['Anything V5', 'Anime illustration, SD 1.5.'],
  sdxl: ['SDXL 1.0', 'Stable Diffusion XL base.'],
  'juggernaut-xl-v10': ['Juggernaut XL v10', 'Cinematic photography, SDXL.'],
  flux: ['Flux', 'Black Forest Labs FLUX.1.'],
};

/** Where a public model's preview picture is served (unsigned, as the vendor's CDN links are). */
const screenshotPath = (id: string) => `modelslab/models/${id}.png`;

/**
 * `POST /v4/dreambooth/model_list`: the public checkpoints as the spec's bare array of `PublicModel`,
 * each with a `screenshots` link to a PNG the emulator serves under `/files/`.
 */
export const models = resource<ModelsLabApi>('modelslab.models').post(
  'publicList',
  '/v4/dreambooth/model_list',
  async (c, api) => {
    await api.authed(c, 'v3');
    const t = api.now();
    const rows = Object.keys(MODELSLAB_BASE_MODELS).map((id) => {
      const path = screenshotPath(id);
      // Put on first listing (and again after a reset cleared the files): the picture is deterministic.
      if (!api.core.files.get(path)) {
        api.core.files.put(path, {
          mime: 'image/png',
          availableAt: 0,
          signed: false,
          bytes: () =>
            renderPng({ prompt: id, seed: 11, width: 128, height: 128, loras: [{ id, strength: 1 }] }),
        });
      }
      const [name, description] = NAMES[id] ?? [id, ''];
      return {
        model_id: id,
        status: 'model_ready',
        created_at: null,
        instance_prompt: null,
        model_name: name,
        description,
        screenshots: api.core.files.url(path, t),
      };
    });
    return json(rows);
  },
);
