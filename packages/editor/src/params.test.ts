import { loraPack } from '@loraflow/nodes';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schemaOf } from './components/widgets';
import { humanise, paramFields } from './params';

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
