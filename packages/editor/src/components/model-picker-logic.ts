import type { GraphDocument, GraphNode } from '@loraflow/core';
import type { ModelSummary } from '@loraflow/runtime/contract';
import { type Catalogue, typeFamily } from '../catalogue';
import { type JsonSchema, schemaOf, unwrap } from './widgets';

/**
 * Whether a node chooses a model by id (its params have a `modelId` string), and which kind: a node whose output
 * is a LoRA picks LoRAs, any other picks among all models.
 *
 * @example
 * modelChoiceOf(catalogue, node, doc); // { kind: 'lora' } for a lora.source node
 */
export function modelChoiceOf(
  catalogue: Catalogue,
  node: GraphNode,
  doc: GraphDocument,
): { kind?: 'lora' | 'base' } | undefined {
  const def = catalogue.definition(node.type);
  const props = schemaOf(def?.params).properties;
  const modelId = props?.modelId ? unwrap(props.modelId) : undefined;
  if (!modelId || (modelId.type !== undefined && modelId.type !== 'string')) return undefined;
  const loraOut = catalogue.outputs(node, doc).some((p) => p.type?.kind === 'lora');
  return loraOut ? { kind: 'lora' } : {};
}

/**
 * The family what a node feeds needs, when the graph tells: the type of the input it is wired to, else the family
 * of the other LoRAs wired to that input (a composition's LoRAs share one family).
 *
 * @example
 * downstreamFamily(catalogue, doc, 'style'); // 'flux.1' when `style` feeds a FLUX.1 composition
 */
export function downstreamFamily(
  catalogue: Catalogue,
  doc: GraphDocument,
  nodeId: string,
): string | undefined {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  for (const edge of doc.edges) {
    if (edge.from.node !== nodeId) continue;
    const target = byId.get(edge.to.node);
    if (!target) continue;
    const input = catalogue.inputs(target, doc).find((p) => p.name === edge.to.port);
    const declared = typeFamily(input?.type);
    if (declared && declared !== 'unknown') return declared;
    for (const sibling of doc.edges) {
      if (sibling.to.node !== edge.to.node || sibling.to.port !== edge.to.port) continue;
      if (sibling.from.node === nodeId) continue;
      const source = byId.get(sibling.from.node);
      const out = source && catalogue.outputs(source, doc).find((p) => p.name === sibling.from.port);
      const family = typeFamily(out?.type);
      if (family && family !== 'unknown') return family;
    }
  }
  return undefined;
}

function allows(schema: JsonSchema | undefined, value: string): boolean {
  if (!schema) return false;
  const s = unwrap(schema);
  return !Array.isArray(s.enum) || s.enum.includes(value);
}

/**
 * The params a chosen model sets on a node, by the names its schema has: `modelId`, `provider`, `mode: 'id'`,
 * `modelType` and `family` (each only when the schema has it and takes the value).
 *
 * @example
 * paramsForModel(schemaOf(loraSource.params), model); // { modelId: 'model_ink', provider: 'scenario', mode: 'id', modelType: 'flux.1-lora' }
 */
export function paramsForModel(schema: JsonSchema, model: ModelSummary): Record<string, string> {
  const props = schema.properties ?? {};
  const values: Record<string, string> = { modelId: model.id };
  if (allows(props.provider, model.provider)) values.provider = model.provider;
  if (allows(props.mode, 'id')) values.mode = 'id';
  if (props.modelType && model.modelType) values.modelType = model.modelType;
  if (model.family && allows(props.family, model.family) && props.family) values.family = model.family;
  return values;
}

/**
 * The models listed so far followed by a new page's, each model once (by provider and id): a catalogue's pages may
 * overlap when its list moved between two reads, and a model listed twice would be two items with one key.
 *
 * @example
 * mergeModelPages([ink, noir], [noir, paper]); // [ink, noir, paper]
 */
export function mergeModelPages(
  before: readonly ModelSummary[],
  page: readonly ModelSummary[],
): ModelSummary[] {
  const seen = new Set(before.map((m) => `${m.provider}:${m.id}`));
  const merged = [...before];
  for (const model of page) {
    const key = `${model.provider}:${model.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(model);
  }
  return merged;
}
