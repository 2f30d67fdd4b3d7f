/** One input of a custom base model, as `GET /models/{id}` describes it (`inputs[]`). */
export interface ModelInput {
  name: string;
  type:
    | 'boolean'
    | 'file'
    | 'file_array'
    | 'model'
    | 'model_array'
    | 'number'
    | 'number_array'
    | 'string'
    | 'string_array';
  label?: string;
  description?: string;
  min?: number;
  max?: number;
  step?: number;
  maxLength?: number;
  default?: unknown;
  modelTypes?: string[];
  required?: { always: boolean };
}

/**
 * A base model the emulator can generate with.
 *
 * @example
 * const flux2 = BASE_MODELS.find((m) => m.id === 'model_bfl-flux-2-dev');
 * flux2?.loraTypes; // ['flux.2-dev-lora', 'flux.2-dev-edit-lora']
 */
export interface BaseModelSpec {
  id: string;
  name: string;
  /** Scenario `type` (`custom` for the models driven through `/generate/custom/{id}`). */
  type: string;
  /** Which route generates with it: `custom` = `/generate/custom/{id}`, `txt2img` = the legacy route. */
  route: 'custom' | 'txt2img';
  /** LoRA (and composition) types it accepts in `loras`/`modelId`/`concepts`. */
  loraTypes: string[];
  /**
   * How it takes an input picture on `/generate/custom`: `referenceImages` (FLUX.2 and its edit
   * LoRAs, up to 5 asset ids) or `image` + `strength` (FLUX.1 img2img); none when absent.
   */
  imageInput?: 'referenceImages' | 'image';
  /** Creative units per call: generation plus the quality gate (captured for flux-1-dev and flux-2-dev). */
  price: { generation: number; qualityGate: number };
  defaults: { width: number; height: number; steps: number; guidance: number };
  limits: {
    size: [number, number];
    sizeMultiple: number;
    steps: [number, number];
    guidance: [number, number];
    outputs: [number, number];
  };
  shortDescription: string;
}

/**
 * A public LoRA in the seeded catalogue.
 *
 * @example
 * const zimage = PUBLIC_LORAS.filter((l) => l.type === 'zimage-lora');
 */
export interface PublicLoraSpec {
  id: string;
  name: string;
  type: string;
  compliantModelIds: string[];
  tags: string[];
  shortDescription: string;
}

const FLUX1_LORA_TYPES = ['flux.1-lora', 'flux.1-composition'];

/** A FLUX.2 [klein] base model: its LoRAs and edit LoRAs, plain and `base` variants, take reference images. */
function klein(size: '4b' | '9b', generation: number): BaseModelSpec {
  return {
    id: `model_bfl-flux-2-klein-${size}-base`,
    name: `FLUX.2 [klein] ${size.toUpperCase()} Base`,
    type: 'custom',
    route: 'custom',
    loraTypes: [
      `flux.2-klein-${size}-lora`,
      `flux.2-klein-base-${size}-lora`,
      `flux.2-klein-${size}-edit-lora`,
      `flux.2-klein-base-${size}-edit-lora`,
    ],
    imageInput: 'referenceImages',
    price: { generation, qualityGate: 1.75 },
    defaults: { width: 1024, height: 1024, steps: 28, guidance: 4 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 100], guidance: [1, 10], outputs: [1, 4] },
    shortDescription: `FLUX.2 [klein] ${size.toUpperCase()} base model with LoRAs and edit LoRAs.`,
  };
}

/**
 * The base models (`GET /models/{id}` shows the custom ones with `inputs[]`). Prices for `model_bfl-flux-1-dev` (9 + 1.75) and `model_bfl-flux-2-dev` (16 + 1.75)
 * are the captured dry-run prices; the others are plausible figures chosen for the emulator.
 */
export const BASE_MODELS: readonly BaseModelSpec[] = [
  {
    id: 'model_bfl-flux-1-dev',
    name: 'FLUX.1 [dev]',
    type: 'custom',
    route: 'custom',
    loraTypes: FLUX1_LORA_TYPES,
    imageInput: 'image',
    price: { generation: 9, qualityGate: 1.75 },
    defaults: { width: 1104, height: 832, steps: 28, guidance: 3.5 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 50], guidance: [0, 10], outputs: [1, 4] },
    shortDescription: 'Black Forest Labs FLUX.1 [dev] with LoRAs and compositions.',
  },
  {
    id: 'model_bfl-flux-2-dev',
    name: 'FLUX.2 [dev]',
    type: 'custom',
    route: 'custom',
    loraTypes: ['flux.2-dev-lora', 'flux.2-dev-edit-lora'],
    imageInput: 'referenceImages',
    price: { generation: 16, qualityGate: 1.75 },
    defaults: { width: 1024, height: 1024, steps: 28, guidance: 4 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 100], guidance: [1, 10], outputs: [1, 4] },
    shortDescription: 'Black Forest Labs FLUX.2 [dev] with up to six LoRAs.',
  },
  klein('4b', 5),
  klein('9b', 8),
  {
    id: 'model_qwen-image',
    name: 'Qwen-Image',
    type: 'custom',
    route: 'custom',
    loraTypes: ['qwen-image-lora', 'qwen-image-2512-lora'],
    price: { generation: 12, qualityGate: 1.75 },
    defaults: { width: 1024, height: 1024, steps: 30, guidance: 4 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 100], guidance: [1, 10], outputs: [1, 4] },
    shortDescription: 'Qwen-Image with LoRAs.',
  },
  {
    id: 'model_zimage',
    name: 'Z-Image',
    type: 'custom',
    route: 'custom',
    loraTypes: ['zimage-lora', 'zimage-turbo-lora', 'zimage-de-turbo-lora'],
    price: { generation: 6, qualityGate: 1.75 },
    defaults: { width: 1024, height: 1024, steps: 28, guidance: 4 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 100], guidance: [1, 10], outputs: [1, 4] },
    shortDescription: 'Z-Image; its LoRAs work across the zimage, turbo and de-turbo variants.',
  },
  {
    id: 'model_zimage-turbo',
    name: 'Z-Image Turbo',
    type: 'custom',
    route: 'custom',
    loraTypes: ['zimage-lora', 'zimage-turbo-lora', 'zimage-de-turbo-lora'],
    price: { generation: 3, qualityGate: 1.75 },
    defaults: { width: 1024, height: 1024, steps: 8, guidance: 1 },
    limits: { size: [128, 2048], sizeMultiple: 16, steps: [1, 50], guidance: [1, 10], outputs: [1, 4] },
    shortDescription: 'Z-Image Turbo: few-step generation, same LoRA family as Z-Image.',
  },
  {
    id: 'flux.1-dev',
    name: 'Flux.1 dev (legacy txt2img)',
    type: 'flux.1',
    route: 'txt2img',
    loraTypes: FLUX1_LORA_TYPES,
    price: { generation: 9, qualityGate: 1.75 },
    defaults: { width: 512, height: 512, steps: 30, guidance: 3.5 },
    limits: { size: [64, 2048], sizeMultiple: 8, steps: [1, 150], guidance: [0, 10], outputs: [1, 128] },
    shortDescription: 'Flux.1 dev through POST /generate/txt2img.',
  },
  {
    id: 'flux.1-schnell',
    name: 'Flux.1 schnell (legacy txt2img)',
    type: 'flux.1',
    route: 'txt2img',
    loraTypes: FLUX1_LORA_TYPES,
    price: { generation: 3, qualityGate: 1.75 },
    defaults: { width: 512, height: 512, steps: 4, guidance: 3.5 },
    limits: { size: [64, 2048], sizeMultiple: 8, steps: [1, 150], guidance: [0, 10], outputs: [1, 128] },
    shortDescription: 'Flux.1 schnell through POST /generate/txt2img.',
  },
  {
    id: 'stable-diffusion-xl-base-1.0',
    name: 'Stable Diffusion XL 1.0',
    type: 'sd-xl',
    route: 'txt2img',
    loraTypes: ['sd-xl-lora', 'sd-xl-composition'],
    price: { generation: 4, qualityGate: 0 },
    defaults: { width: 1024, height: 1024, steps: 30, guidance: 6 },
    limits: { size: [512, 2048], sizeMultiple: 8, steps: [1, 150], guidance: [0, 20], outputs: [1, 128] },
    shortDescription: 'SDXL base through POST /generate/txt2img.',
  },
  {
    id: 'stable-diffusion-v1-5',
    name: 'Stable Diffusion 1.5',
    type: 'sd-1_5',
    route: 'txt2img',
    loraTypes: ['sd-1_5-lora', 'sd-1_5-composition'],
    price: { generation: 2, qualityGate: 0 },
    defaults: { width: 512, height: 512, steps: 30, guidance: 7.5 },
    limits: { size: [64, 1024], sizeMultiple: 8, steps: [1, 150], guidance: [0, 20], outputs: [1, 128] },
    shortDescription: 'SD 1.5 through POST /generate/txt2img.',
  },
];

/**
 * For each LoRA type: the base models it is compliant with and the composition type that may contain it.
 *
 * @example
 * LORA_FAMILIES['flux.1-lora']?.compositionType; // 'flux.1-composition'
 */
export const LORA_FAMILIES: Readonly<Record<string, { baseModelIds: string[]; compositionType?: string }>> = {
  'flux.1-lora': {
    baseModelIds: ['flux.1-dev', 'flux.1-schnell', 'model_bfl-flux-1-dev'],
    compositionType: 'flux.1-composition',
  },
  'flux.2-dev-lora': { baseModelIds: ['model_bfl-flux-2-dev'] },
  'flux.2-dev-edit-lora': { baseModelIds: ['model_bfl-flux-2-dev'] },
  'flux.2-klein-4b-lora': { baseModelIds: ['model_bfl-flux-2-klein-4b-base'] },
  'flux.2-klein-base-4b-lora': { baseModelIds: ['model_bfl-flux-2-klein-4b-base'] },
  'flux.2-klein-4b-edit-lora': { baseModelIds: ['model_bfl-flux-2-klein-4b-base'] },
  'flux.2-klein-base-4b-edit-lora': { baseModelIds: ['model_bfl-flux-2-klein-4b-base'] },
  'flux.2-klein-9b-lora': { baseModelIds: ['model_bfl-flux-2-klein-9b-base'] },
  'flux.2-klein-base-9b-lora': { baseModelIds: ['model_bfl-flux-2-klein-9b-base'] },
  'flux.2-klein-9b-edit-lora': { baseModelIds: ['model_bfl-flux-2-klein-9b-base'] },
  'flux.2-klein-base-9b-edit-lora': { baseModelIds: ['model_bfl-flux-2-klein-9b-base'] },
  'qwen-image-lora': { baseModelIds: ['model_qwen-image'] },
  'qwen-image-2512-lora': { baseModelIds: ['model_qwen-image'] },
  'zimage-lora': { baseModelIds: ['model_zimage', 'model_zimage-turbo'] },
  'zimage-turbo-lora': { baseModelIds: ['model_zimage', 'model_zimage-turbo'] },
  'zimage-de-turbo-lora': { baseModelIds: ['model_zimage', 'model_zimage-turbo'] },
  'sd-xl-lora': { baseModelIds: ['stable-diffusion-xl-base-1.0'], compositionType: 'sd-xl-composition' },
  'sd-1_5-lora': { baseModelIds: ['stable-diffusion-v1-5'], compositionType: 'sd-1_5-composition' },
};

/** Composition types and the LoRA type their concepts must have. */
export const COMPOSITION_TYPES: Readonly<Record<string, string>> = {
  'flux.1-composition': 'flux.1-lora',
  'sd-xl-composition': 'sd-xl-lora',
  'sd-1_5-composition': 'sd-1_5-lora',
};

const lora = (
  id: string,
  name: string,
  type: string,
  tags: string[],
  shortDescription: string,
): PublicLoraSpec => ({
  id,
  name,
  type,
  compliantModelIds: LORA_FAMILIES[type]?.baseModelIds ?? [],
  tags,
  shortDescription,
});

/**
 * The public LoRAs every emulator starts with, two or more per family.
 *
 * @example
 * PUBLIC_LORAS.map((l) => l.id); // ['model_flux1-watercolor', ...]
 */
export const PUBLIC_LORAS: readonly PublicLoraSpec[] = [
  lora(
    'model_flux1-watercolor',
    'Watercolor Wash',
    'flux.1-lora',
    ['style', 'painting'],
    'Soft watercolour washes.',
  ),
  lora(
    'model_flux1-neon-noir',
    'Neon Noir',
    'flux.1-lora',
    ['style', 'cinematic'],
    'Rain, neon and hard shadows.',
  ),
  lora(
    'model_flux1-paper-cut',
    'Paper Cut',
    'flux.1-lora',
    ['style', 'craft'],
    'Layered paper-cut dioramas.',
  ),
  lora(
    'model_flux2-ink-sketch',
    'Ink Sketch',
    'flux.2-dev-lora',
    ['style', 'drawing'],
    'Loose ink line work.',
  ),
  lora(
    'model_flux2-retro-poster',
    'Retro Poster',
    'flux.2-dev-lora',
    ['style', 'print'],
    'Mid-century poster print.',
  ),
  lora(
    'model_flux2-relight-edit',
    'Relight',
    'flux.2-dev-edit-lora',
    ['edit'],
    'Edit LoRA: relights a scene.',
  ),
  lora(
    'model_klein4b-pixel',
    'Pixel Art',
    'flux.2-klein-4b-lora',
    ['style', 'pixel'],
    'Crisp 16-bit pixel art.',
  ),
  lora(
    'model_klein4b-clay',
    'Clay Figures',
    'flux.2-klein-base-4b-lora',
    ['style', '3d'],
    'Stop-motion clay.',
  ),
  lora(
    'model_sdxl-isometric',
    'Isometric Rooms',
    'sd-xl-lora',
    ['style', 'isometric'],
    'Isometric cutaway rooms.',
  ),
  lora('model_sdxl-charcoal', 'Charcoal', 'sd-xl-lora', ['style', 'drawing'], 'Smudged charcoal studies.'),
  lora('model_sd15-anime-cel', 'Anime Cel', 'sd-1_5-lora', ['style', 'anime'], 'Flat cel shading.'),
  lora('model_sd15-more-details', 'More Details', 'sd-1_5-lora', ['detail'], 'Adds fine detail.'),
  lora(
    'model_qwen-storybook',
    'Storybook',
    'qwen-image-lora',
    ['style', 'illustration'],
    'Picture-book gouache.',
  ),
  lora(
    'model_qwen-blueprint',
    'Blueprint',
    'qwen-image-lora',
    ['style', 'technical'],
    'Technical blueprints.',
  ),
  lora('model_zimage-film-grain', 'Film Grain', 'zimage-lora', ['style', 'photo'], 'Analogue film grain.'),
  lora('model_zimage-golden-hour', 'Golden Hour', 'zimage-lora', ['lighting'], 'Warm low sun.'),
  lora('model_zimage-turbo-mosaic', 'Mosaic', 'zimage-turbo-lora', ['style', 'tiles'], 'Roman mosaic tiles.'),
  lora('model_zimage-turbo-vapor', 'Vaporwave', 'zimage-turbo-lora', ['style', 'retro'], 'Pastel vaporwave.'),
];

/**
 * ModelsLab's families: SD 1.5 (`normal`), SDXL and Flux; a LoRA only runs on a base model of its family.
 *
 * @example
 * const family: ModelsLabFamily = MODELSLAB_BASE_MODELS.sdxl ?? 'sdxl';
 */
export type ModelsLabFamily = 'sd15' | 'sdxl' | 'flux';

/**
 * ModelsLab base model ids (`model_id`) with their family.
 *
 * @example
 * MODELSLAB_BASE_MODELS.flux; // 'flux'
 */
export const MODELSLAB_BASE_MODELS: Readonly<Record<string, ModelsLabFamily>> = {
  'f222-diffusion': 'sd15',
  'realistic-vision-v51': 'sd15',
  'anything-v5': 'sd15',
  midjourney: 'sd15',
  sdxl: 'sdxl',
  'juggernaut-xl-v10': 'sdxl',
  flux: 'flux',
};

/**
 * ModelsLab public LoRA ids (`lora_model`) with their family; the first four appear in the vendor's examples.
 *
 * @example
 * MODELSLAB_PUBLIC_LORAS.more_details; // 'sd15'
 */
export const MODELSLAB_PUBLIC_LORAS: Readonly<Record<string, ModelsLabFamily>> = {
  more_details: 'sd15',
  'ganyu-lora': 'sd15',
  'teddy-jacket-v1-0': 'sd15',
  'a-simple-china-dress-v6-0': 'sd15',
  'anime-lineart': 'sd15',
  'add-detail-xl': 'sdxl',
  'pixel-art-xl': 'sdxl',
  'watercolor-xl': 'sdxl',
  'flux-realism': 'flux',
  'flux-anime-style': 'flux',
};

/** Looks up a base model by id. */
export function findBaseModel(id: string): BaseModelSpec | undefined {
  return BASE_MODELS.find((m) => m.id === id);
}

function imageInputs(spec: BaseModelSpec): ModelInput[] {
  if (spec.imageInput === 'referenceImages') {
    return [{ name: 'referenceImages', type: 'file_array', label: 'Reference images', max: 5 }];
  }
  if (spec.imageInput === 'image') {
    return [
      { name: 'image', type: 'file', label: 'Input image' },
      { name: 'strength', type: 'number', label: 'Strength', min: 0.01, max: 1, step: 0.01, default: 0.7 },
    ];
  }
  return [];
}

/** The inputs[] a custom base model advertises, derived from its limits. */
export function baseModelInputs(spec: BaseModelSpec): ModelInput[] {
  return [
    { name: 'prompt', type: 'string', label: 'Prompt', maxLength: 2048, required: { always: true } },
    { name: 'modelId', type: 'model', label: 'LoRA or composition', modelTypes: spec.loraTypes },
    { name: 'loras', type: 'model_array', label: 'LoRAs', modelTypes: spec.loraTypes },
    { name: 'lorasScale', type: 'number_array', label: 'LoRA scales', min: 0, max: 2, step: 0.05 },
    ...imageInputs(spec),
    {
      name: 'numOutputs',
      type: 'number',
      min: spec.limits.outputs[0],
      max: spec.limits.outputs[1],
      default: 1,
    },
    {
      name: 'numInferenceSteps',
      type: 'number',
      min: spec.limits.steps[0],
      max: spec.limits.steps[1],
      default: spec.defaults.steps,
    },
    {
      name: 'width',
      type: 'number',
      min: spec.limits.size[0],
      max: spec.limits.size[1],
      step: spec.limits.sizeMultiple,
    },
    {
      name: 'height',
      type: 'number',
      min: spec.limits.size[0],
      max: spec.limits.size[1],
      step: spec.limits.sizeMultiple,
    },
    {
      name: 'guidance',
      type: 'number',
      min: spec.limits.guidance[0],
      max: spec.limits.guidance[1],
      default: spec.defaults.guidance,
    },
    { name: 'seed', type: 'number', min: 0, max: 2147483647 },
  ];
}
