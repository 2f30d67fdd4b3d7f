// This file's module graph must never load classic `zod` (which installs English globally at import):
// it proves the pack's refusals read as sentences on an editor page that ships only zod/mini.
import { createRegistry, validateGraph } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { loraPackDefinitions } from './definitions';

const registry = createRegistry(loraPackDefinitions);
const refusals = (nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>) =>
  validateGraph({ format: 'loraflow.graph', version: 1, nodes, edges: [] }, registry).issues.map((i) => [
    i.path.join('.'),
    i.message,
  ]);

describe("the LoRA pack's refusals without classic zod on the page", () => {
  it('runs with no zod locale installed', () => {
    expect(z.config().localeError).toBeUndefined();
  });

  it('words wrong params and wrong training parameters in English', () => {
    const issues = refusals([
      { id: 'p', type: 'text.prompt', params: { text: 7 } },
      { id: 't', type: 'lora.train', params: { modelType: 'flux.1-lora', parameters: { rank: 999 } } },
    ]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['nodes.0.params.text', expect.stringContaining('Invalid input: expected string, received number')],
        ['nodes.1.params.parameters.rank', expect.stringContaining('Too big: expected number to be <=64')],
      ]),
    );
    for (const [, message] of issues) expect(message).not.toMatch(/Invalid input\.?$/);
  });

  it('says what an image source may be, not a bare "Invalid input", for an image entry of no known form', () => {
    const issues = refusals([{ id: 's', type: 'training.set', params: { images: [5, { url: 7 }] } }]);
    expect(issues).toEqual([
      [
        'nodes.0.params.images.0',
        expect.stringContaining('an image source is { file }, { url }, { dataUrl } or { assetId }'),
      ],
      [
        'nodes.0.params.images.1',
        expect.stringContaining('an image source is { file }, { url }, { dataUrl } or { assetId }'),
      ],
    ]);
  });
});
