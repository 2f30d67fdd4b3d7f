import { readFileSync } from 'node:fs';
import type { GraphDocument, GraphEdge, GraphNode } from '@loraflow/core';
import { decode } from 'fast-png';
import { afterEach, describe, expect, it } from 'vitest';
import { generateImageToImage } from './nodes/image-to-image';
import { type Harness, memoryFiles, pngDataUrl, startHarness } from './test/harness';
import { loraType } from './types';
import type { ImagesValue } from './values';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const examples = new URL('../../../examples/', import.meta.url);
const exampleGraph = (): GraphDocument =>
  JSON.parse(readFileSync(new URL('image-to-image.json', examples), 'utf8')) as GraphDocument;
const lanternFiles = () =>
  memoryFiles(
    Object.fromEntries(
      [1, 2, 3, 4].map((i) => [
        `images/lantern-${i}.png`,
        new Uint8Array(readFileSync(new URL(`images/lantern-${i}.png`, examples))),
      ]),
    ),
  );

const edge = (id: string, from: string, fromPort: string, to: string, toPort: string, settings?: object) =>
  ({
    id,
    from: { node: from, port: fromPort },
    to: { node: to, port: toPort },
    ...(settings ? { settings } : {}),
  }) as GraphEdge;

/** A Scenario FLUX.2 picture (an asset), then image-to-image from it with the LoRA of `source`. */
function fromScenarioPicture(source: GraphNode, params: Record<string, unknown> = {}): GraphDocument {
  return {
    format: 'loraflow.graph',
    version: 1,
    nodes: [
      {
        id: 'sketch',
        type: 'lora.source',
        params: { modelId: 'model_flux2-ink-sketch', modelType: 'flux.2-dev-lora' },
      },
      {
        id: 'photo',
        type: 'generate.multiLora',
        params: { prompt: 'a harbour', width: 512, height: 384, seed: 3 },
      },
      source,
      { id: 'edit', type: 'generate.imageToImage', params: { prompt: 'make it night', seed: 5, ...params } },
    ],
    edges: [
      edge('e1', 'sketch', 'lora', 'photo', 'loras', { strength: 1 }),
      edge('e2', 'photo', 'images', 'edit', 'image'),
      edge('e3', source.id, 'lora', 'edit', 'loras', { strength: 1 }),
    ],
  };
}

/** A trained FLUX.2 edit LoRA (from two before/after pairs) into an image-to-image node. */
function withTrainedEditLora(doc: GraphDocument): GraphDocument {
  const pair = (i: number) => ({
    source: { dataUrl: pngDataUrl(i), name: `day-${i}.png` },
    target: { dataUrl: pngDataUrl(i + 10), name: `night-${i}.png` },
    instruction: 'make it night',
  });
  return {
    ...doc,
    nodes: [
      ...doc.nodes,
      { id: 'pairs', type: 'training.set', params: { pairs: [pair(1), pair(2)] } },
      { id: 'train', type: 'lora.train', params: { modelType: 'flux.2-dev-edit-lora', name: 'night' } },
    ],
    edges: [
      ...doc.edges,
      edge('e-pairs', 'pairs', 'set', 'train', 'set'),
      edge('e-train', 'train', 'training', 'wait', 'training'),
    ],
  };
}

const lineart: GraphNode = {
  id: 'ink',
  type: 'lora.source',
  params: { provider: 'modelslab', modelId: 'anime-lineart', family: 'sd-1_5' },
};

const issues = (x: Harness, doc: GraphDocument) =>
  x.engine.validate(doc).issues.map((i) => ({ code: i.code, path: i.path, message: i.message }));

type Picture = { width: number; height: number; rgb: number[] };

/** The RGB of every pixel of a stored PNG, whether it is indexed or not. */
async function picture(x: Harness, image: ImagesValue[number] | undefined): Promise<Picture> {
  const bytes = await x.store.getBlob(image?.blob.$blob ?? '');
  const png = decode(bytes ?? new Uint8Array());
  const rgb: number[] = [];
  for (let i = 0; i < png.width * png.height; i++) {
    const px = png.palette
      ? (png.palette[png.data[i] as number] ?? [])
      : [...png.data.subarray(i * png.channels, i * png.channels + 3)];
    rgb.push(px[0] ?? 0, px[1] ?? 0, px[2] ?? 0);
  }
  return { width: png.width, height: png.height, rgb };
}

/** Mean absolute difference per channel between two pictures of one size, 0..255. */
const distance = (a: Picture, b: Picture) =>
  a.rgb.reduce((sum, v, i) => sum + Math.abs(v - (b.rgb[i] as number)), 0) / a.rgb.length;

const first = (r: { nodes: Record<string, { outputs?: Record<string, unknown> } | undefined> }, id: string) =>
  (r.nodes[id]?.outputs?.images as ImagesValue | undefined)?.[0];

describe('image-to-image rules, before anything runs', () => {
  it('refuses a Scenario LoRA that is not an edit LoRA, naming the route it needs, and calls no provider', async () => {
    h = await startHarness();
    const doc = fromScenarioPicture({
      id: 'style',
      type: 'lora.source',
      params: { modelId: 'model_flux1-watercolor', modelType: 'flux.1-lora' },
    });
    expect(issues(h, doc)).toEqual([
      {
        code: 'generate.no-route',
        path: ['nodes', 3, 'inputs', 'loras'],
        message:
          'Node "edit": Scenario starts from an image with edit LoRAs only (*-edit-lora, trained from before/after pairs), and LoRA 1 is not; use edit LoRAs, or ModelsLab LoRAs for img2img.',
      },
    ]);
  });

  it("keeps the generation rules: a ModelsLab strength outside 0.1..1, a size past ModelsLab's 1024", async () => {
    h = await startHarness();
    const doc = fromScenarioPicture(lineart, { width: 1536 });
    doc.edges[2] = { ...doc.edges[2]!, settings: { strength: 0.05 } };
    expect(issues(h, doc).map((i) => i.code)).toEqual([
      'generate.size-out-of-range',
      'generate.strength-out-of-range',
    ]);
  });

  it('accepts an edit LoRA whose type is known only from the training that makes it', async () => {
    h = await startHarness();
    const doc = withTrainedEditLora(fromScenarioPicture({ id: 'wait', type: 'lora.wait', params: {} }));
    expect(issues(h, doc)).toEqual([]);
  });
});

describe('image-to-image cost estimates', () => {
  it('prices a Scenario edit by its base model before its edit LoRA is trained, and leaves ModelsLab img2img unknown', async () => {
    h = await startHarness();
    const harness = h;
    const services = {
      has: (name: string) => name === 'scenario' || name === 'modelslab',
      get: <T>(name: string) => (name === 'scenario' ? harness.scenario : undefined) as T,
    };
    const priceWith = (type: ReturnType<typeof loraType>) =>
      generateImageToImage.estimate?.({
        // the engine hands the hook params and settings parsed, as run gets them
        params: generateImageToImage.params.parse({ prompt: 'make it night', seed: 1 }),
        inputs: {},
        inputTypes: { loras: [type], image: [{ kind: 'images' }] },
        inputSettings: { loras: [{ strength: 1 }], image: [{}] },
        services,
      } as never);
    const edit = await priceWith(loraType('scenario', 'flux.2-dev', 'flux.2-dev-edit-lora'));
    expect(edit).toEqual({ amount: 17.75, unit: 'creative-units', detail: expect.any(Object) });
    const dry = h.server.emulator.log.entries({ route: 'scenario.generate.custom.dryRun' });
    expect(dry.map((e) => e.path.split('?')[0]!.split('/').pop())).toEqual(['model_bfl-flux-2-dev']);
    expect(await priceWith(loraType('modelslab', 'sd-1_5'))).toBeUndefined();
    expect(h.count('scenario.generate.custom')).toBe(0);
    expect(h.count('scenario.assets.upload')).toBe(0);
  });
});

describe('image-to-image against the emulator over HTTP', () => {
  it('edits a Scenario picture with a trained edit LoRA on the edit route, naming the asset instead of uploading it', async () => {
    h = await startHarness();
    const doc = withTrainedEditLora(
      fromScenarioPicture({ id: 'wait', type: 'lora.wait', params: { timeoutMinutes: 120 } }),
    );
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    const input = first(result, 'photo');
    const edited = first(result, 'edit');
    expect(edited).toMatchObject({ provider: 'scenario', width: 512, height: 384, seed: 5 });
    expect(edited?.assetId).not.toBe(input?.assetId);
    // The edit named the input picture's asset as its reference image, which Scenario records as the parent.
    const asset = await h.scenario.assets.get(edited?.assetId ?? '');
    expect(asset.metadata?.parentId).toBe(input?.assetId);
    expect(h.count('scenario.assets.upload')).toBe(0);
    const edits = h.server.emulator.log
      .entries({ route: 'scenario.generate.custom' })
      .filter((e) => e.status === 200);
    expect(edits).toHaveLength(2);
  });

  it('runs a ModelsLab img2img from an uploaded image the size of the input, and a seeded second run uploads and submits nothing', async () => {
    h = await startHarness();
    const doc = fromScenarioPicture(lineart, { strength: 0.4 });
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    expect(first(result, 'edit')).toMatchObject({ provider: 'modelslab', seed: 5 });
    const out = await picture(h, first(result, 'edit'));
    expect([out.width, out.height]).toEqual([512, 384]);
    expect(h.count('modelslab.base64Crop')).toBe(1);
    expect(h.count('modelslab.img2img')).toBe(1);
    const again = await h.run(doc);
    expect(again.result.nodes.edit?.status).toBe('cached');
    expect(h.count('modelslab.base64Crop')).toBe(1);
    expect(h.count('modelslab.img2img')).toBe(1);
  });

  it('does not send a ModelsLab img2img again after a 502 (it cannot be looked up), and the next run sends it once more', async () => {
    h = await startHarness();
    h.server.emulator.faults.set([
      { route: 'POST /modelslab/api/v6/images/img2img', rate: 1, kind: '5xx', status: 502, phase: 'after' },
    ]);
    const doc = fromScenarioPicture(lineart, { strength: 0.4 });
    const { result } = await h.run(doc);
    expect(result.nodes.edit?.error?.code).toBe('provider.ambiguous');
    // the one request that may have been billed is the only one sent
    expect(h.server.emulator.log.entries({ route: 'modelslab.img2img' })).toHaveLength(1);
    // the ambiguous failure is not cached: running again, as its message says, sends it once more
    h.server.emulator.faults.set([]);
    const again = await h.run(doc);
    expect(again.result.nodes.edit?.status).toBe('succeeded');
    expect(h.server.emulator.log.entries({ route: 'modelslab.img2img' })).toHaveLength(2);
  });

  it('uploads and submits nothing again when a run resumes with its journal but without its cache entries', async () => {
    h = await startHarness();
    const doc = fromScenarioPicture(lineart, { strength: 0.4 });
    expect((await h.run(doc)).result.status).toBe('succeeded');
    const records = (await h.store.listRecords()).filter((r) => r.key.includes('/upload'));
    expect(records.map((r) => r.state)).toEqual(['done']);
    for (const key of Object.values(h.engine.plan(doc).keys)) if (key) await h.store.delete(key);
    const again = await h.run(doc);
    expect(again.result.nodes.edit?.status).toBe('succeeded');
    expect(h.count('modelslab.base64Crop')).toBe(1);
    expect(h.count('modelslab.img2img')).toBe(1);
  });
});

describe('examples/image-to-image.json', () => {
  it('runs end to end on the emulator, each output the size of its input and nearer to it than the same generation without it', async () => {
    h = await startHarness({ files: lanternFiles() });
    const doc = exampleGraph();
    // The text-to-image twin of each image-to-image node: same prompt, seed, LoRA and size, no input image.
    const twin = (of: string, lora: string, strength: number): [GraphNode, GraphEdge] => {
      const node = doc.nodes.find((n) => n.id === of)!;
      const params = { ...node.params, width: 512, height: 512 };
      delete (params as { strength?: number }).strength;
      return [
        { id: `${of}-text`, type: 'generate.multiLora', params },
        edge(`e-${of}-text`, lora, 'lora', `${of}-text`, 'loras', { strength }),
      ];
    };
    for (const [node, e] of [twin('ink', 'lineart', 0.8), twin('night', 'wait', 1)]) {
      doc.nodes.push(node);
      doc.edges.push(e);
    }
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    const photo = await picture(h, first(result, 'photo'));
    for (const id of ['ink', 'night']) {
      const derived = await picture(h, first(result, id));
      const text = await picture(h, first(result, `${id}-text`));
      expect([derived.width, derived.height], id).toEqual([photo.width, photo.height]);
      expect(distance(derived, text), id).toBeGreaterThan(5);
      expect(distance(derived, photo), id).toBeLessThan(0.75 * distance(text, photo));
    }
    expect(h.count('modelslab.img2img')).toBe(1);
    // Journal intents are plain JSON (a disk store refuses an undefined field): the same after a round trip.
    for (const record of await h.store.listRecords())
      expect(JSON.parse(JSON.stringify(record.intent)), record.key).toStrictEqual(record.intent);
    // The ModelsLab picture reaches Scenario's edit as an uploaded asset.
    expect(h.count('scenario.assets.upload')).toBe(1);
  });
});
