import { loraPack } from '@loraflow/nodes';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCatalogue } from './catalogue';
import { schemaOf } from './components/widgets';
import { humanise, paramFields, starterParams } from './params';

const fieldsOf = (type: string) => {
  const def = loraPack.nodes.find((n) => n.type === type);
  if (!def) throw new Error(`the LoRA pack has no ${type}`);
  return paramFields(schemaOf(def.params));
};

describe('param fields from the params schema', () => {
  it('puts camelCase keys in words, acronyms upper case', () => {
    expect(humanise('negativePrompt')).toBe('Negative prompt');
    expect(humanise('baseModelId')).toBe('Base model ID');
    expect(humanise('lora_scale')).toBe('LoRA scale');
  });

  it('takes title, unit and advanced from .meta, help from .describe', () => {
    const [f] = paramFields(
      schemaOf(
        z.object({
          cfg: z
            .number()
            .describe('How closely to follow the prompt.')
            .meta({ title: 'Guidance', unit: '×', advanced: false }),
        }),
      ),
    );
    expect(f).toMatchObject({
      title: 'Guidance',
      unit: '×',
      help: 'How closely to follow the prompt.',
      advanced: false,
    });
  });

  it('reads units from the key and the help, folds durations and unset optional numbers away, never the seed', () => {
    const byName = new Map(fieldsOf('generate.multiLora').map((f) => [f.name, f]));
    expect(byName.get('timeoutMinutes')).toMatchObject({ title: 'Timeout', unit: 'min', advanced: true });
    expect(byName.get('width')).toMatchObject({
      title: 'Width',
      unit: 'px',
      advanced: false,
      clearable: false,
    });
    expect(byName.get('steps')).toMatchObject({ advanced: true, clearable: true });
    expect(byName.get('seed')).toMatchObject({ advanced: false, clearable: true });
    expect(byName.get('prompt')).toMatchObject({ title: 'Prompt', advanced: false });
  });
});

describe('a node added from the palette', () => {
  const catalogue = createCatalogue([loraPack]);
  // what only the person can give: the prompt to generate from, the images to train on
  const content: Record<string, RegExp> = {
    'generate.multiLora': /needs a prompt/,
    'generate.imageToImage': /needs a prompt/,
    'training.set': /needs images/,
  };
  it.each(catalogue.definitions.map((d) => [d.type, d] as const))(
    '%s starts with params that validate, but for the content it asks for',
    (type, def) => {
      const params = starterParams(schemaOf(def.params), def.title ?? type);
      const doc = {
        format: 'loraflow.graph' as const,
        version: 1 as const,
        nodes: [{ id: 'n', type, params }],
        edges: [],
      };
      const paramIssues = catalogue
        .resolve(doc)
        .issues.filter((i) => i.path.includes('params') && !content[type]?.test(i.message));
      expect(paramIssues.map((i) => i.message)).toEqual([]);
    },
  );

  it('makes a LoRA source of a known family and a composition with a name', () => {
    const source = catalogue.definition('lora.source')!;
    const node = { id: 'n', type: 'lora.source', params: starterParams(schemaOf(source.params), 'LoRA') };
    const doc = { format: 'loraflow.graph' as const, version: 1 as const, nodes: [node], edges: [] };
    expect(catalogue.outputs(node, doc)[0]?.typeLabel).not.toMatch(/unknown/);
    expect(starterParams(schemaOf(catalogue.definition('lora.compose')!.params), 'Compose LoRAs')).toEqual({
      name: 'Compose LoRAs',
      timeoutMinutes: 30,
    });
  });
});
