import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphDocument, GraphNode } from '@loraflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDataUrl } from './image-check';
import { type Harness, memoryFiles, pngDataUrl, startHarness } from './test/harness';
import type { TrainingSetValue } from './values';

let h: Harness | undefined;
let server: Server | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const png = (seed: number) => {
  const parsed = parseDataUrl(pngDataUrl(seed));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.bytes;
};

/** A file server on 127.0.0.1 that serves one PNG and answers 404 otherwise. */
async function imageServer(): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/cat.png') {
      res.writeHead(200, { 'content-type': 'image/png', connection: 'close' }).end(png(9));
    } else res.writeHead(404, { connection: 'close' }).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const doc = (nodes: GraphNode[], edges: GraphDocument['edges'] = []): GraphDocument => ({
  format: 'loraflow.graph',
  version: 1,
  nodes,
  edges,
});

describe('training sets', () => {
  it('reads files through the host service, URLs over HTTP, data URLs and asset ids, checking each image', async () => {
    const base = await imageServer();
    // The image server is on loopback, which training images may reach only when the host allows it.
    h = await startHarness({
      files: memoryFiles({ 'cats/a.png': png(1) }),
      downloads: { allowOrigins: [base] },
    });
    const { result } = await h.run(
      doc([
        {
          id: 'set',
          type: 'training.set',
          params: {
            images: [
              { file: 'cats/a.png' },
              { url: `${base}/cat.png` },
              { dataUrl: pngDataUrl(3), name: 'three.png' },
              { assetId: 'asset_x' },
            ],
          },
        },
      ]),
    );
    expect(result.status).toBe('succeeded');
    const set = result.nodes.set?.outputs?.set as TrainingSetValue;
    expect(set.images.map((i) => i.name)).toEqual(['a.png', 'cat.png', 'three.png', 'asset_x']);
    expect(set.images[0]).toMatchObject({ width: 16, height: 16, blob: { mime: 'image/png' } });
    expect(set.images[3]).toEqual({ name: 'asset_x', assetId: 'asset_x' });
  });

  it('fails with the image path and the reason when an image does not decode', async () => {
    h = await startHarness();
    const text = `data:image/png;base64,${btoa('not an image')}`;
    const { result } = await h.run(
      doc([
        {
          id: 'set',
          type: 'training.set',
          params: { images: [{ dataUrl: pngDataUrl(1) }, { dataUrl: text }] },
        },
      ]),
    );
    expect(result.nodes.set?.error).toEqual({
      code: 'training-set.image-undecodable',
      message: 'The image at params.images[1] (image-2) cannot be used: it is not a PNG, JPEG or WebP image.',
    });
  });

  it('refuses a training image URL on a loopback or private address with url.forbidden, fetching nothing', async () => {
    h = await startHarness();
    const base = await imageServer();
    let asked = 0;
    server?.on('request', () => asked++);
    const { result } = await h.run(
      doc([
        {
          id: 'set',
          type: 'training.set',
          params: {
            images: [{ url: `${base}/cat.png` }],
          },
        },
      ]),
    );
    expect(result.nodes.set?.error?.code).toBe('url.forbidden');
    expect(result.nodes.set?.error?.message).toMatch(
      /^The image URL at params.images\[0\] is not allowed: .*loopback address/,
    );
    expect(asked).toBe(0);
  });

  it('names the URL problem without fetching anything else', async () => {
    const base = await imageServer();
    h = await startHarness({ downloads: { allowOrigins: [base] } });
    const { result } = await h.run(
      doc([{ id: 'set', type: 'training.set', params: { images: [{ url: `${base}/missing.png` }] } }]),
    );
    expect(result.nodes.set?.error).toEqual({
      code: 'training-set.image-unreadable',
      message: 'The image URL at params.images[0] answered HTTP 404.',
    });
  });

  it('fails clearly when a file source is used and the host gave no files service', async () => {
    h = await startHarness();
    const { result } = await h.run(
      doc([{ id: 'set', type: 'training.set', params: { images: [{ file: 'a.png' }] } }]),
    );
    expect(result.nodes.set?.error?.code).toBe('service.missing');
    expect(result.nodes.set?.error?.message).toMatch(
      /^This node needs the "files" service, which the host did not provide: pass a files service/,
    );
  });

  it('validates counts and shapes before running', async () => {
    h = await startHarness();
    const messages = (params: Record<string, unknown>) =>
      h!.engine
        .validate(doc([{ id: 'set', type: 'training.set', params }]))
        .issues.map((i) => `${i.code} ${i.path.join('.')}: ${i.message}`);
    expect(messages({})).toEqual([
      'params.invalid nodes.0.params.images: Node "set": parameter "images": A training set needs images, or before/after pairs for an edit type.',
    ]);
    const pair = { source: { assetId: 'a' }, target: { assetId: 'b' }, instruction: 'make it snow' };
    expect(messages({ pairs: [pair] })).toEqual([
      'params.invalid nodes.0.params.pairs: Node "set": parameter "pairs": Edit training types need at least 2 before/after pairs.',
    ]);
    expect(messages({ images: Array.from({ length: 51 }, () => ({ assetId: 'a' })) })[0]).toMatch(
      /^params.invalid nodes.0.params.images: /,
    );
  });
});

describe('training', () => {
  it('trains an edit LoRA from before/after pairs and waits for it', async () => {
    h = await startHarness();
    const pairs = [1, 2].map((i) => ({
      source: { dataUrl: pngDataUrl(i * 10) },
      target: { dataUrl: pngDataUrl(i * 10 + 1) },
      instruction: `relight scene ${i}`,
    }));
    const { result } = await h.run(
      doc(
        [
          { id: 'set', type: 'training.set', params: { pairs } },
          { id: 'train', type: 'lora.train', params: { modelType: 'flux.2-dev-edit-lora', name: 'relight' } },
          { id: 'wait', type: 'lora.wait', params: {} },
        ],
        [
          { id: 'a', from: { node: 'set', port: 'set' }, to: { node: 'train', port: 'set' } },
          { id: 'b', from: { node: 'train', port: 'training' }, to: { node: 'wait', port: 'training' } },
        ],
      ),
    );
    expect(result.status).toBe('succeeded');
    expect(result.nodes.wait?.outputs?.lora).toMatchObject({
      provider: 'scenario',
      family: 'flux.2-dev',
      modelType: 'flux.2-dev-edit-lora',
    });
    expect(h.count('scenario.models.trainingImages.add')).toBe(4);
    expect(h.count('scenario.models.trainingImages.pairs')).toBe(1);
  });

  it('refuses an image set for an edit type, and parameters that do not apply to the type', async () => {
    h = await startHarness();
    const d = (parameters: Record<string, unknown>) =>
      doc(
        [
          { id: 'set', type: 'training.set', params: { images: [{ assetId: 'a' }] } },
          { id: 'train', type: 'lora.train', params: { modelType: 'qwen-image-edit-2511-lora', parameters } },
        ],
        [{ id: 'a', from: { node: 'set', port: 'set' }, to: { node: 'train', port: 'set' } }],
      );
    expect(h.engine.validate(d({})).issues.map((i) => i.message)).toEqual([
      'Edge "a" (set.set → train.set): A training set of images output cannot connect to a training set of before/after pairs input: edit training types (*-edit-lora) learn from before/after pairs with an instruction each.',
    ]);
    expect(
      h.engine
        .validate(d({ rank: 256, lrScheduler: 'cosine', wandbKey: 'k' }))
        .issues.map((i) => `${i.code} ${i.path.join('.')}`),
    ).toEqual([
      'params.invalid nodes.1.params.parameters.wandbKey',
      'params.invalid nodes.1.params.parameters.rank',
      'params.invalid nodes.1.params.parameters.lrScheduler',
    ]);
  });
});
