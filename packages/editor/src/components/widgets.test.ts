import { loraPack } from '@loraflow/nodes';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_WIDGETS, builtinWidgetName, resolveWidget, schemaOf, unwrap } from './widgets';

const def = (type: string) => {
  const d = loraPack.nodes.find((n) => n.type === type);
  if (!d) throw new Error(`the LoRA pack has no ${type}`);
  return d;
};
const widgetFor = (type: string, param: string) => {
  const props = schemaOf(def(type).params).properties ?? {};
  const schema = props[param];
  if (!schema) throw new Error(`${type} has no param ${param}`);
  return builtinWidgetName(param, unwrap(schema));
};

const Mine = () => null;

describe('inspector widgets from the LoRA pack schemas', () => {
  it('gives a composition LoRA scale a slider over its range', () => {
    const inputs = def('lora.compose').inputs as Record<string, { settings?: z.ZodType }> | undefined;
    const settings = inputs?.loras?.settings;
    const scale = schemaOf(settings).properties?.scale;
    expect(scale && builtinWidgetName('scale', unwrap(scale))).toBe('slider');
    expect(scale && unwrap(scale)).toMatchObject({ minimum: -2, maximum: 2, default: 1 });
  });

  it('gives prompts a text area, enums a select and training images an image picker', () => {
    expect(widgetFor('text.prompt', 'text')).toBe('textarea');
    expect(widgetFor('lora.source', 'provider')).toBe('select');
    expect(widgetFor('training.set', 'images')).toBe('images');
  });

  it("prefers a host's widget for one node param, then the schema's widget meta, then the built-in", () => {
    const schema = unwrap(
      schemaOf(z.object({ seed: z.number().meta({ widget: 'seed' }) })).properties!.seed!,
    );
    expect(resolveWidget({ 'my.node.seed': Mine }, 'my.node', 'seed', schema)).toBe(Mine);
    expect(resolveWidget({ seed: Mine }, 'other.node', 'seed', schema)).toBe(Mine);
    expect(resolveWidget({}, 'other.node', 'count', { type: 'integer' })).toBe(BUILTIN_WIDGETS.number);
  });
});
