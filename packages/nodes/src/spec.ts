import {
  type AnySchema,
  type InputSpec,
  type NodeDefinition,
  NodeRunError,
  type OutputSpec,
} from '@loraflow/core';
import type { z } from 'zod/mini';
import { NODE_ERROR_CODES } from './services';

/**
 * A node definition without its `run` and `estimate`: type, ports, params, cache policy,
 * resources and rules — what an editor needs, with none of the code that talks to a provider.
 * The pack's runnable node is `defineNode({ ...spec, estimate, run })` (decision 0021).
 *
 * @example
 * const spec: NodeSpec = textPromptSpec;
 */
export type NodeSpec<
  S extends AnySchema = AnySchema,
  I extends Record<string, InputSpec<z.output<S>>> = Record<string, InputSpec<z.output<S>>>,
  O extends Record<string, OutputSpec<z.output<S>>> = Record<string, OutputSpec<z.output<S>>>,
> = Omit<NodeDefinition<S, I, O>, 'run' | 'estimate'>;

/**
 * Declares a node spec; an identity function that exists for type inference, as `defineNode` is.
 *
 * @example
 * export const textPromptSpec = defineSpec({ type: 'text.prompt', version: 1, params: z.object({ text: z.string() }),
 *   outputs: { text: { type: textType() } } });
 * export const textPrompt = defineNode({ ...textPromptSpec, async run(ctx) { return { text: ctx.params.text }; } });
 */
export function defineSpec<
  S extends AnySchema,
  I extends Record<string, InputSpec<z.output<S>>> = Record<never, InputSpec<z.output<S>>>,
  O extends Record<string, OutputSpec<z.output<S>>> = Record<string, OutputSpec<z.output<S>>>,
>(spec: NodeSpec<S, I, O>): NodeSpec<S, I, O> {
  return spec;
}

/**
 * A spec as a registrable definition whose run refuses, naming the entry to load instead: how
 * the definitions-only pack satisfies core's `NodePack` without shipping any run code.
 *
 * @example
 * const registry = createRegistry(definePack({ name: 'lora', nodes: [definitionOnly(textPromptSpec)] }));
 */
export function definitionOnly<
  S extends AnySchema,
  I extends Record<string, InputSpec<z.output<S>>>,
  O extends Record<string, OutputSpec<z.output<S>>>,
>(spec: NodeSpec<S, I, O>): NodeDefinition<S, I, O> {
  return {
    ...spec,
    run: () =>
      Promise.reject(
        new NodeRunError(
          NODE_ERROR_CODES.definitionOnly,
          `"${spec.type}" comes from @loraflow/nodes/definitions, which carries no run code: register loraPack from @loraflow/nodes to run graphs.`,
        ),
      ),
  };
}
