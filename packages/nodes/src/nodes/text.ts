import { defineNode } from '@loraflow/core';
import { z } from 'zod';
import { textType } from '../types';

/**
 * `text.prompt`: a piece of text (usually a prompt) typed once and wired to several nodes.
 *
 * @example
 * { "id": "prompt", "type": "text.prompt", "params": { "text": "a lighthouse at dusk, watercolor" } }
 */
export const textPrompt = defineNode({
  type: 'text.prompt',
  version: 1,
  title: 'Prompt',
  category: 'Text',
  description: 'A piece of text, such as a prompt, that several nodes can share.',
  params: z.object({
    text: z.string().max(10_000).describe('The text.'),
  }),
  outputs: { text: { type: textType(), label: 'Text' } },
  cache: 'pure',
  async run(ctx) {
    return { text: ctx.params.text };
  },
});
