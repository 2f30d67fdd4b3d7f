import { z } from 'zod/mini';
import { defineSpec } from '../spec';
import { textType } from '../types';

/**
 * What `text.prompt` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...textPromptSpec, async run(ctx) { return { text: ctx.params.text }; } });
 */
export const textPromptSpec = defineSpec({
  type: 'text.prompt',
  version: 1,
  title: 'Prompt',
  category: 'Text',
  description: 'A piece of text, such as a prompt, that several nodes can share.',
  params: z.object({
    text: z.string().check(z.maxLength(10_000), z.describe('The text.')),
  }),
  outputs: { text: { type: textType(), label: 'Text' } },
  cache: 'pure',
});
