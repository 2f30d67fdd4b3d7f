import { createEngine, createRegistry, type GraphDocument, type GraphNode } from '@loraflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { loraPack } from './pack';
import { type Harness, startHarness } from './test/harness';
import type { ImagesValue } from './values';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Lora = { params: Record<string, unknown>; strength?: number; scale?: number };
const scenarioLora = (modelId: string, modelType: string, strength = 1): Lora => ({
  params: { modelId, modelType },
  strength,
});
const modelslabLora = (modelId: string, family: string, strength = 1): Lora => ({
  params: { provider: 'modelslab', modelId, family },
  strength,
});

function generation(loras: Lora[], params: Record<string, unknown> = {}, into = 'gen'): GraphDocument {
  const nodes: GraphNode[] = loras.map((l, i) => ({ id: `l${i}`, type: 'lora.source', params: l.params }));
  nodes.push(
    {
      id: 'gen',
      type: 'generate.multiLora',
      params: { prompt: 'a lighthouse', width: 512, height: 512, seed: 11, ...params },
    },
    { id: 'show', type: 'image.preview', params: {} },
  );
  if (into === 'blend') nodes.push({ id: 'blend', type: 'lora.compose', params: { name: 'mix' } });
  return {
    format: 'loraflow.graph',
    version: 1,
    nodes,
    edges: [
      ...loras.map((l, i) => ({
        id: `e${i}`,
        from: { node: `l${i}`, port: 'lora' },
        to: { node: into, port: 'loras' },
        settings: into === 'blend' ? { scale: l.scale ?? 1 } : { strength: l.strength ?? 1 },
      })),
      ...(into === 'blend'
        ? [
            {
              id: 'eb',
              from: { node: 'blend', port: 'lora' },
              to: { node: 'gen', port: 'loras' },
              settings: { strength: 1 },
            },
          ]
        : []),
      { id: 'eg', from: { node: 'gen', port: 'images' }, to: { node: 'show', port: 'images' } },
    ],
  };
}

const issues = (x: Harness, doc: GraphDocument) =>
  x.engine.validate(doc).issues.map((i) => ({ code: i.code, path: i.path, message: i.message }));

describe('multi-LoRA generation routes', () => {
  it('generates on ModelsLab with each LoRA at its own strength', async () => {
    h = await startHarness();
    const doc = generation(
      [modelslabLora('add-detail-xl', 'sd-xl', 0.6), modelslabLora('pixel-art-xl', 'sd-xl', 0.9)],
      { samples: 2 },
    );
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    const images = result.nodes.show?.outputs?.images as ImagesValue;
    expect(images).toHaveLength(2);
    expect(images.every((i) => i.provider === 'modelslab')).toBe(true);
    expect(h.count('modelslab.text2img')).toBe(1);
    expect(h.count('scenario.generate.txt2img') + h.count('scenario.generate.custom')).toBe(0);
  });

  it("refuses a ModelsLab strength outside 0.1..1 when the graph is validated, on that LoRA's edge", async () => {
    h = await startHarness();
    const doc = generation([
      modelslabLora('add-detail-xl', 'sd-xl', 0.5),
      modelslabLora('pixel-art-xl', 'sd-xl', 1.5),
    ]);
    const edgeIndex = doc.edges.findIndex((e) => e.from.node === 'l1' && e.to.node === 'gen');
    expect(issues(h, doc)).toEqual([
      {
        code: 'generate.strength-out-of-range',
        path: ['edges', edgeIndex, 'settings', 'strength'],
        message: 'Node "gen": LoRA 2 has strength 1.5; ModelsLab takes 0.1..1.',
      },
    ]);
    expect(h.count('modelslab.text2img')).toBe(0);
  });

  it('refuses, before any training, a Scenario composition at a strength other than 1 on the txt2img route', async () => {
    h = await startHarness();
    const doc = generation([scenarioLora('model_flux1-watercolor', 'flux.1-composition', 0.6)]);
    expect(issues(h, doc).map((i) => i.code)).toEqual(['generate.strength-out-of-range']);
  });

  it('routes FLUX.2 LoRAs to generate/custom with one scale per LoRA', async () => {
    h = await startHarness();
    const doc = generation([
      scenarioLora('model_flux2-ink-sketch', 'flux.2-dev-lora', 0.7),
      scenarioLora('model_flux2-retro-poster', 'flux.2-dev-lora', 1.2),
    ]);
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    expect(h.count('scenario.generate.custom')).toBe(1);
    expect(result.nodes.show?.outputs?.images as ImagesValue).toHaveLength(1);
  });

  it('moves a FLUX.1 LoRA below full strength to the custom route, which honours every scale', async () => {
    h = await startHarness();
    const { result } = await h.run(
      generation([
        scenarioLora('model_flux1-neon-noir', 'flux.1-lora', 0.6),
        scenarioLora('model_flux1-paper-cut', 'flux.1-lora', 0.4),
      ]),
    );
    expect(result.status).toBe('succeeded');
    expect(h.count('scenario.generate.custom')).toBe(1);
    expect(h.count('scenario.generate.txt2img')).toBe(0);
  });

  it('generates with an SDXL composition through txt2img', async () => {
    h = await startHarness();
    const doc = generation(
      [
        { params: { modelId: 'model_sdxl-isometric', modelType: 'sd-xl-lora' }, scale: 0.7 },
        { params: { modelId: 'model_sdxl-charcoal', modelType: 'sd-xl-lora' }, scale: 0.3 },
      ],
      {},
      'blend',
    );
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    expect(result.nodes.blend?.outputs?.lora).toMatchObject({
      modelType: 'sd-xl-composition',
      family: 'sd-xl',
    });
    expect(h.count('scenario.generate.txt2img')).toBe(1);
  });
});

describe('problems found before anything runs', () => {
  it('refuses a FLUX.2 LoRA in a composition, naming both types, and calls no provider', async () => {
    h = await startHarness();
    const doc = generation([scenarioLora('model_flux2-ink-sketch', 'flux.2-dev-lora')], {}, 'blend');
    expect(issues(h, doc)).toEqual([
      {
        code: 'type.incompatible',
        path: ['edges', 0],
        message:
          'Edge "e0" (l0.lora → blend.loras): A Scenario FLUX.2 [dev] LoRA output cannot connect to a Scenario LoRA (FLUX.1, SDXL or SD 1.5) input: Scenario composes only FLUX.1, SDXL and SD 1.5 LoRAs, all of one family.',
      },
    ]);
    expect(h.server.emulator.log.entries()).toHaveLength(0);
  });

  it('refuses mixed families in a composition', async () => {
    h = await startHarness();
    const doc = generation(
      [
        scenarioLora('model_flux1-neon-noir', 'flux.1-lora'),
        scenarioLora('model_sdxl-charcoal', 'sd-xl-lora'),
      ],
      {},
      'blend',
    );
    expect(issues(h, doc).map((i) => i.code)).toContain('lora.mixed-families');
  });

  it('refuses LoRAs of two providers, or of two families, in one generation', async () => {
    h = await startHarness();
    const providers = generation([
      scenarioLora('model_sdxl-charcoal', 'sd-xl-lora'),
      modelslabLora('add-detail-xl', 'sd-xl'),
    ]);
    expect(issues(h, providers)).toContainEqual({
      code: 'lora.mixed-providers',
      path: ['nodes', 2, 'inputs', 'loras'],
      message:
        'Node "gen": One generation runs on one provider, but these LoRAs are on Scenario and ModelsLab.',
    });
    const families = generation([
      scenarioLora('model_flux2-ink-sketch', 'flux.2-dev-lora'),
      scenarioLora('model_qwen-blueprint', 'qwen-image-lora'),
    ]);
    expect(issues(h, families).map((i) => i.code)).toEqual(['lora.mixed-families']);
  });

  it('checks sizes against the route: ModelsLab stops at 1024', async () => {
    h = await startHarness();
    const doc = generation([modelslabLora('add-detail-xl', 'sd-xl')], { width: 1536 });
    expect(issues(h, doc)).toEqual([
      {
        code: 'generate.size-out-of-range',
        path: ['nodes', 1, 'params', 'width'],
        message: 'Node "gen": width 1536 is outside what ModelsLab takes: 256..1024, a multiple of 8.',
      },
    ]);
  });

  it('asks for a prompt when there is none', async () => {
    h = await startHarness();
    const doc = generation([scenarioLora('model_flux2-ink-sketch', 'flux.2-dev-lora')], { prompt: '' });
    expect(issues(h, doc).map((i) => i.code)).toEqual(['generate.no-prompt']);
  });

  it('refuses, when the graph is validated, a Scenario txt2img model LoRA below full strength, which the run would refuse', async () => {
    h = await startHarness();
    const doc = generation([
      scenarioLora('model_sdxl-charcoal', 'sd-xl-lora', 0.5),
      scenarioLora('model_sdxl-isometric', 'sd-xl-lora', 0.8),
    ]);
    expect(issues(h, doc)).toEqual([
      {
        code: 'generate.strength-out-of-range',
        path: ['edges', 0, 'settings', 'strength'],
        message:
          'Node "gen": On Scenario\'s txt2img route the first LoRA is the model itself and runs at full strength, so LoRA 1 must have strength 1 (it has 0.5); connect a LoRA at strength 1 first.',
      },
    ]);
    await expect(h.run(doc)).rejects.toThrow(/the first LoRA is the model itself/);
    expect(h.server.emulator.log.entries()).toHaveLength(0);
  });

  it("checks the size against the route the LoRAs' strengths lead to: FLUX.1 below full strength takes the custom route, in steps of 16", async () => {
    h = await startHarness();
    const doc = generation([scenarioLora('model_flux1-neon-noir', 'flux.1-lora', 0.6)], { width: 1000 });
    expect(issues(h, doc)).toEqual([
      {
        code: 'generate.size-out-of-range',
        path: ['nodes', 1, 'params', 'width'],
        message:
          'Node "gen": width 1000 is outside what Scenario custom generation takes: 128..2048, a multiple of 16.',
      },
    ]);
  });

  it('refuses more than six LoRAs', async () => {
    h = await startHarness();
    const seven = Array.from({ length: 7 }, () => scenarioLora('model_flux2-ink-sketch', 'flux.2-dev-lora'));
    expect(issues(h, generation(seven)).map((i) => i.code)).toContain('input.too-many');
  });
});

describe('generation resources', () => {
  it('holds only the slot of the provider its LoRAs are on, known from the connections before they run', () => {
    const engine = createEngine({ registry: createRegistry(loraPack) });
    const resourcesOf = (doc: GraphDocument) =>
      engine.plan(doc).steps.find((s) => s.nodeId === 'gen')?.resources;
    expect(resourcesOf(generation([modelslabLora('add-detail-xl', 'sd-xl')]))).toEqual([
      'provider:modelslab',
    ]);
    expect(resourcesOf(generation([scenarioLora('model_flux1-watercolor', 'flux.1-lora')]))).toEqual([
      'provider:scenario',
    ]);
  });
});
