import type { AnyNodeDefinition, InputSpec, NodeRegistry, OutputSpec } from '@loraflow/core';
import { z } from 'zod';
import type { CatalogueNode, CataloguePort, NodeCatalogue } from './types';

function jsonSchema(schema: z.core.$ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
  } catch {
    // A schema zod cannot express (a custom refinement on a transform, say) still gets a usable catch-all.
    return { $schema: 'https://json-schema.org/draft/2020-12/schema' };
  }
}

function port(name: string, spec: InputSpec | OutputSpec, input: boolean): CataloguePort {
  const out: CataloguePort = { name };
  if (typeof spec.type === 'function') out.dynamicType = true;
  else out.type = spec.type;
  if (spec.label !== undefined) out.label = spec.label;
  if (spec.description !== undefined) out.description = spec.description;
  if (input) {
    const i = spec as InputSpec;
    if (i.multiple) out.multiple = true;
    if (i.optional) out.optional = true;
    if (i.max !== undefined) out.max = i.max;
    if (i.settings) out.settings = jsonSchema(i.settings);
  }
  return out;
}

function describe(def: AnyNodeDefinition, pack: string): CatalogueNode {
  const node: CatalogueNode = {
    type: def.type,
    version: def.version,
    pack,
    params: jsonSchema(def.params),
    inputs: Object.entries(def.inputs ?? {}).map(([name, spec]) => port(name, spec, true)),
    outputs: Object.entries(def.outputs).map(([name, spec]) => port(name, spec, false)),
    cache: typeof def.cache === 'function' ? 'depends-on-params' : (def.cache ?? 'pure'),
    sideEffects: def.sideEffects === true,
  };
  if (def.title !== undefined) node.title = def.title;
  if (def.category !== undefined) node.category = def.category;
  if (def.description !== undefined) node.description = def.description;
  return node;
}

/**
 * The catalogue of a registry as JSON: every node type with its params as JSON Schema, its ports and UI metadata.
 *
 * @example
 * const catalogue = buildCatalogue(createRegistry(loraPack));
 * catalogue.nodes.find((n) => n.type === 'lora.compose')?.params;
 */
export function buildCatalogue(registry: NodeRegistry): NodeCatalogue {
  const nodes: CatalogueNode[] = [];
  const seen = new Set<string>();
  for (const pack of registry.packs()) {
    for (const def of pack.nodes) {
      if (seen.has(def.type)) continue;
      seen.add(def.type);
      nodes.push(describe(def as AnyNodeDefinition, pack.name));
    }
  }
  const types = registry.types.kinds().map((kind) => {
    const description = registry.types.get(kind)?.description;
    return description === undefined ? { kind } : { kind, description };
  });
  return { nodes, types };
}
