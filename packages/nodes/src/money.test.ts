import type { GraphDocument } from '@loraflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './test/harness';
import type { ImagesValue } from './values';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function generation(lora: Record<string, unknown>, params: Record<string, unknown> = {}): GraphDocument {
  return {
    format: 'loraflow.graph',
    version: 1,
    nodes: [
      { id: 'lora', type: 'lora.source', params: lora },
      {
        id: 'gen',
        type: 'generate.multiLora',
        params: { prompt: 'a lighthouse', width: 512, height: 512, seed: 11, ...params },
      },
      { id: 'show', type: 'image.preview', params: {} },
    ],
    edges: [
      {
        id: 'e1',
        from: { node: 'lora', port: 'lora' },
        to: { node: 'gen', port: 'loras' },
        settings: { strength: 1 },
      },
      { id: 'e2', from: { node: 'gen', port: 'images' }, to: { node: 'show', port: 'images' } },
    ],
  };
}

const flux1 = { modelId: 'model_flux1-neon-noir', modelType: 'flux.1-lora' };
const flux2 = { modelId: 'model_flux2-ink-sketch', modelType: 'flux.2-dev-lora' };

/** The generation jobs Scenario holds for the account: what it billed. */
const paidJobs = async (x: Harness) =>
  (await x.scenario.listJobs({ pageSize: 200 })).items.filter(
    (j) => j.jobType === 'inference' || j.jobType === 'custom',
  ).length;

describe('money: no second charge, no false success', () => {
  it.each([
    ['txt2img', flux1, 'POST /scenario/v1/generate/txt2img'],
    ['custom', flux2, 'POST /scenario/v1/generate/custom/*'],
  ])(
    'finds the Scenario %s job a 502 hid after it was created, instead of paying for another',
    async (_route, lora, pattern) => {
      h = await startHarness();
      h.server.emulator.faults.set([
        { route: pattern, rate: 1, kind: '5xx', status: 502, phase: 'after', times: 1 },
      ]);
      const { result } = await h.run(generation(lora));
      expect(result.nodes.gen?.error).toBeUndefined();
      expect(result.status).toBe('succeeded');
      expect(result.nodes.show?.outputs?.images as ImagesValue).toHaveLength(1);
      expect(await paidJobs(h)).toBe(1);
    },
  );

  it('pays for one job when every answer to the generation is a 502 after Scenario created it', async () => {
    h = await startHarness();
    h.server.emulator.faults.set([
      { route: 'POST /scenario/v1/generate/txt2img', rate: 1, kind: '5xx', status: 502, phase: 'after' },
    ]);
    const { result } = await h.run(generation(flux1));
    expect(result.status).toBe('succeeded');
    expect(await paidJobs(h)).toBe(1);
  });

  it('sends a generation once more, and only once, when no job shows it arrived', async () => {
    h = await startHarness();
    h.server.emulator.faults.set([
      { route: 'POST /scenario/v1/generate/txt2img', rate: 1, kind: '5xx', status: 502, phase: 'before' },
    ]);
    const { result } = await h.run(generation(flux1));
    expect(result.nodes.gen?.error?.code).toBe('server');
    expect(h.server.emulator.log.entries({ route: 'scenario.generate.txt2img' })).toHaveLength(2);
    h.server.emulator.faults.set([
      {
        route: 'POST /scenario/v1/generate/txt2img',
        rate: 1,
        kind: '5xx',
        status: 502,
        phase: 'before',
        times: 1,
      },
    ]);
    expect((await h.run(generation(flux1))).result.status).toBe('succeeded');
    expect(await paidJobs(h)).toBe(1);
  });

  it('does not send a ModelsLab generation again after a 502 once it was queued: it cannot be looked up', async () => {
    h = await startHarness();
    h.server.emulator.faults.set([
      { route: 'POST /modelslab/api/v6/images/text2img', rate: 1, kind: '5xx', status: 502, phase: 'after' },
    ]);
    const { result } = await h.run(
      generation({ provider: 'modelslab', modelId: 'add-detail-xl', family: 'sd-xl' }),
    );
    expect(result.nodes.gen?.error?.code).toBe('provider.ambiguous');
    expect(result.nodes.gen?.error?.message).toMatch(/not sent again/);
    expect(h.server.emulator.log.entries({ route: 'modelslab.text2img' })).toHaveLength(1);
  });

  it('fails a Scenario generation that succeeds with no assets, caches nothing, and generates again next run', async () => {
    h = await startHarness();
    h.server.emulator.misbehave({ emptyGenerations: 1 });
    const first = await h.run(generation(flux1));
    expect(first.result.nodes.gen?.error?.code).toBe('generate.failed');
    expect(first.result.nodes.gen?.error?.message).toMatch(/answered success but returned no images/);
    expect(await h.store.get(h.engine.plan(generation(flux1)).keys.gen!)).toBeUndefined();
    const second = await h.run(generation(flux1));
    expect(second.result.status).toBe('succeeded');
    expect(second.result.nodes.show?.outputs?.images as ImagesValue).toHaveLength(1);
    expect(await paidJobs(h)).toBe(2);
  });

  it('sends a ModelsLab generation again on the next run when the recorded one failed, not the dead request', async () => {
    h = await startHarness();
    h.server.emulator.misbehave({ failedGenerations: 1 });
    const doc = generation({ provider: 'modelslab', modelId: 'add-detail-xl', family: 'sd-xl' });
    const first = await h.run(doc);
    expect(first.result.nodes.gen?.status).toBe('failed');
    const second = await h.run(doc);
    expect(second.result.status).toBe('succeeded');
    expect(h.server.emulator.log.entries({ route: 'modelslab.text2img' })).toHaveLength(2);
  });

  it('reads an asset afresh when its signed download URL has expired, instead of failing the node', async () => {
    h = await startHarness();
    const emulator = h.server.emulator;
    const { result } = await h.run(generation(flux1, { samples: 2 }), {
      // the URLs handed out after the job is submitted are stale by the time they are used
      onEvent: (e) => {
        if (e.type === 'node.progress' && e.nodeId === 'gen' && e.message === 'generation submitted')
          emulator.misbehave({ staleUrls: 1 });
      },
    });
    expect(result.nodes.gen?.error).toBeUndefined();
    expect(result.nodes.show?.outputs?.images as ImagesValue).toHaveLength(2);
    const files = emulator.log.entries({ provider: 'files' });
    expect(files.filter((e) => e.status === 403)).toHaveLength(1);
    expect(files.filter((e) => e.status === 200)).toHaveLength(2);
    expect(await paidJobs(h)).toBe(1);
  });

  it('refuses ModelsLab steps its documents do not list for the model, and generates with a listed count', async () => {
    h = await startHarness();
    const lora = { provider: 'modelslab', modelId: 'more_details', family: 'sd-1_5' };
    const doc = generation(lora, { steps: 30, baseModelId: 'realistic-vision-v51' });
    expect(h.engine.validate(doc).issues).toEqual([
      expect.objectContaining({
        code: 'generate.steps-out-of-range',
        path: ['nodes', 1, 'params', 'steps'],
        message:
          'Node "gen": ModelsLab takes 21, 31 or 41 inference steps for realistic-vision-v51 (its multi-LoRA documentation), not 30.',
      }),
    ]);
    const { result } = await h.run(generation(lora, { steps: 31, baseModelId: 'realistic-vision-v51' }));
    expect(result.status).toBe('succeeded');
    const sent = h.server.emulator.log.entries({ route: 'modelslab.text2img' });
    expect(sent).toHaveLength(1);
    const images = result.nodes.show?.outputs?.images as ImagesValue;
    expect(images).toHaveLength(1);
  });

  it('says when a composition goes beyond what Scenario documents: SDXL LoRAs, a scale outside 0..1', async () => {
    h = await startHarness();
    const compose = (loras: Array<[string, string, number]>): GraphDocument => ({
      format: 'loraflow.graph',
      version: 1,
      nodes: [
        ...loras.map(([modelId, modelType], i) => ({
          id: `l${i}`,
          type: 'lora.source',
          params: { modelId, modelType },
        })),
        { id: 'blend', type: 'lora.compose', params: { name: 'mix' } },
      ],
      edges: loras.map(([, , scale], i) => ({
        id: `e${i}`,
        from: { node: `l${i}`, port: 'lora' },
        to: { node: 'blend', port: 'loras' },
        settings: { scale },
      })),
    });
    const warnings = async (doc: GraphDocument) => {
      const { result, events } = await h!.run(doc);
      expect(result.status).toBe('succeeded');
      return events.flatMap((e) => (e.type === 'node.log' && e.level === 'warn' ? [e.message] : []));
    };
    expect(
      await warnings(
        compose([
          ['model_sdxl-isometric', 'sd-xl-lora', 0.7],
          ['model_sdxl-charcoal', 'sd-xl-lora', 1.4],
        ]),
      ),
    ).toEqual([
      expect.stringMatching(
        /^Scenario documents composition for FLUX\.1 LoRAs only .*SDXL LoRAs goes beyond/,
      ),
      expect.stringMatching(/has scale 1\.4, outside the documented 0\.\.1/),
    ]);
    expect(
      await warnings(
        compose([
          ['model_flux1-neon-noir', 'flux.1-lora', 0.6],
          ['model_flux1-paper-cut', 'flux.1-lora', 0.4],
        ]),
      ),
    ).toEqual([]);
  });
});
