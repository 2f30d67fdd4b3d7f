import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { paramFields } from '../params';
import { costText, headlineFields, nodeDisplayName } from './NodeContent';
import { schemaOf } from './widgets';

const fields = paramFields(
  schemaOf(
    z.object({
      provider: z.enum(['a', 'b']).default('a'),
      modelId: z.string().optional(),
      nameContains: z.string().optional(),
      prompt: z.string().default(''),
      steps: z.number().int().optional(),
    }),
  ),
);

describe('what a node shows on the canvas', () => {
  it('shows its first set one-line text param and its prompt as several lines, never enums or numbers', () => {
    expect(headlineFields(fields, { modelId: 'watercolor' }).map((h) => [h.field.name, h.multiline])).toEqual(
      [
        ['modelId', false],
        ['prompt', true],
      ],
    );
    expect(headlineFields(fields, {}).map((h) => h.field.name)).toEqual(['prompt']);
    expect(headlineFields(fields, {}, new Set(['prompt'])).map((h) => h.field.name)).toEqual([]);
  });

  it('names a node by its label, then the name a run gave it, then its first text param, then its title', () => {
    const node = { id: 'n', type: 't', params: { modelId: 'model_1' } };
    expect(nodeDisplayName({ ...node, label: 'Watercolour' }, 'LoRA', fields)).toBe('Watercolour');
    expect(nodeDisplayName(node, 'LoRA', fields, { lora: { id: 'model_1', name: 'Ink wash' } })).toBe(
      'Ink wash',
    );
    expect(nodeDisplayName(node, 'LoRA', fields)).toBe('model_1');
    expect(nodeDisplayName({ id: 'n', type: 't' }, 'LoRA', fields)).toBe('LoRA');
  });

  it('gives a cost only for a node that will run', () => {
    expect(costText({ willRun: true, cost: { amount: 4.256, unit: 'credits' } })).toBe('4.26 credits');
    expect(costText({ willRun: false, cost: { amount: 4, unit: 'credits' } })).toBeUndefined();
    expect(costText({ willRun: true, costUnknown: true })).toBe('cost known when it runs');
  });
});
