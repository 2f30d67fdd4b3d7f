import { z } from 'zod/mini';
import { defineNode, definePack } from './node';
import { t } from './types';

const number = defineNode({
  type: 'example.number',
  version: 1,
  title: 'Number',
  category: 'Examples',
  description: 'A constant number.',
  params: z.object({ value: z.number().check(z.meta({ description: 'The number to output.' })) }),
  outputs: { value: { type: t.number() } },
  async run(ctx) {
    return { value: ctx.params.value };
  },
});

const add = defineNode({
  type: 'example.add',
  version: 1,
  title: 'Add',
  category: 'Examples',
  description: 'Adds numbers, each connection weighted by its own `weight` setting.',
  params: z.object({ offset: z._default(z.number(), 0) }),
  inputs: {
    terms: {
      type: t.number(),
      multiple: true,
      settings: z.object({ weight: z._default(z.number(), 1) }),
    },
  },
  outputs: { sum: { type: t.number() } },
  async run(ctx) {
    let sum = ctx.params.offset;
    for (const item of ctx.inputs.terms) sum += (item.value as number) * (item.settings.weight as number);
    return { sum };
  },
});

const format = defineNode({
  type: 'example.format',
  version: 1,
  title: 'Format',
  category: 'Examples',
  description: 'Writes a number into a text template at `{}`.',
  params: z.object({ template: z._default(z.string(), '{}') }),
  inputs: { value: { type: t.number() } },
  outputs: { text: { type: t.string() } },
  async run(ctx) {
    return { text: ctx.params.template.replace('{}', String(ctx.inputs.value)) };
  },
});

/**
 * A tiny pack of arithmetic and text nodes for examples, tests and benchmarks.
 *
 * @example
 * const engine = createEngine({ registry: createRegistry(examplePack) });
 */
export const examplePack = definePack({ name: 'example', nodes: [number, add, format] });
