import { defineNode } from '@loraflow/core';
import { textPromptSpec } from '../specs/text';

/**
 * `text.prompt`: a piece of text (usually a prompt) typed once and wired to several nodes.
 *
 * @example
 * { "id": "prompt", "type": "text.prompt", "params": { "text": "a lighthouse at dusk, watercolor" } }
 */
export const textPrompt = defineNode({
  ...textPromptSpec,
  async run(ctx) {
    return { text: ctx.params.text };
  },
});
