import {
  type AnyNodeDefinition,
  type ConnectionCheck,
  createRegistry,
  type GraphDocument,
  type GraphNode,
  type Issue,
  type NodePack,
  type NodeRegistry,
  type PortRef,
  type PortType,
  type ResolvedGraph,
  resolveGraph,
  type TypeRegistry,
  typeLabel,
} from '@loraflow/core';
import { z } from 'zod/mini';

/**
 * One port of a node instance with its resolved type.
 *
 * @example
 * const [port] = catalogue.outputs(node, doc); port?.typeLabel; // 'flux.1 LoRA'
 */
export interface ResolvedPort {
  name: string;
  label: string;
  type: PortType | undefined;
  typeLabel: string;
  multiple: boolean;
  optional: boolean;
}

/**
 * Why a connection is refused: validation's issues for that edge, the first one's code and sentence.
 *
 * @example
 * const r = catalogue.refuse(doc, from, to); if (r) store.notice('refusal', r.code, r.reason);
 */
export interface Refusal {
  code: string;
  reason: string;
  issues: Issue[];
}

/**
 * What the palette, the canvas, the inspector and the connection check know about the node packs.
 * Port types and connection checks come from core's `resolveGraph`, one analysis per document.
 *
 * @example
 * const cat = createCatalogue([loraPack]);
 * cat.definition('lora.compose')?.title;
 */
export interface Catalogue {
  registry: NodeRegistry;
  types: TypeRegistry;
  definitions: readonly AnyNodeDefinition[];
  definition(type: string): AnyNodeDefinition | undefined;
  /** Core's analysis of a document (issues, port types, connection checks), made once per document object. */
  resolve(doc: GraphDocument): ResolvedGraph;
  inputs(node: GraphNode, doc: GraphDocument): ResolvedPort[];
  outputs(node: GraphNode, doc: GraphDocument): ResolvedPort[];
  /**
   * Core's `checkConnection` for the edge the editor would add: with its input's default settings,
   * replacing the connection of an input that takes one.
   */
  check(doc: GraphDocument, from: PortRef, to: PortRef): ConnectionCheck;
  /** Why `from.port` of one node cannot feed `to.port` of another, or undefined when it can. */
  refuse(doc: GraphDocument, from: PortRef, to: PortRef): Refusal | undefined;
  label(type: PortType | undefined): string;
}

/**
 * A colour per port type kind, stable across reloads, so a wire's colour tells its type.
 *
 * @example
 * <span style={{ background: kindColour('lora') }} />
 */
export function kindColour(kind: string | undefined): string {
  if (kind === undefined) return 'var(--lf-port-any)';
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) % 360;
  return `hsl(${h} 65% 55%)`;
}

/**
 * A port type's colour: its `family` type parameter when it has one (so a FLUX.1 and an SDXL LoRA differ
 * at a glance), else its kind.
 *
 * @example
 * <path style={{ stroke: typeColour({ kind: 'lora', params: { family: 'flux.1' } }) }} />
 */
export function typeColour(type: PortType | undefined): string {
  const family = type?.params?.family;
  if (typeof family === 'string') {
    let h = 0;
    for (let i = 0; i < family.length; i++) h = (h * 37 + family.charCodeAt(i)) % 360;
    return `hsl(${h} 70% 45%)`;
  }
  return kindColour(type?.kind);
}

/**
 * The family a port type names, if any.
 *
 * @example
 * typeFamily({ kind: 'lora', params: { family: 'flux.1' } }); // 'flux.1'
 */
export function typeFamily(type: PortType | undefined): string | undefined {
  const family = type?.params?.family;
  return typeof family === 'string' ? family : undefined;
}

/**
 * The defaults a params schema gives to an empty object (what a fresh node or connection starts with).
 *
 * @example
 * defaultParams(z.object({ scale: z.number().default(0.8) })); // { scale: 0.8 }
 */
export function defaultParams(schema: z.core.$ZodType | undefined): Record<string, unknown> {
  if (!schema) return {};
  // zod's functional safeParse: a pack's schema may be classic or mini (which has no methods to rely on)
  const parsed = z.safeParse(schema, {});
  const data = parsed.data;
  return parsed.success && typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : {};
}

function defTitle(def: AnyNodeDefinition): string {
  return def.title ?? def.type;
}

/**
 * Builds the catalogue of the given packs. Later packs may not redefine a node type.
 *
 * @example
 * const cat = createCatalogue([myPack]);
 */
export function createCatalogue(packs: readonly NodePack[]): Catalogue {
  const registry = createRegistry(...packs);
  const types = registry.types;
  const byType = new Map(registry.nodes().map((d) => [d.type, d]));
  // Case-insensitive code-unit order: the first localeCompare of a page builds an ICU collator,
  // which cost ~12 ms of the editor's first render in the benchmark's profile.
  const sortKey = (d: AnyNodeDefinition) => `${d.category ?? ''}\u0000${defTitle(d)}`.toLowerCase();
  const definitions = [...byType.values()].sort((a, b) => {
    const x = sortKey(a);
    const y = sortKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });

  // The editor never changes a document in place (every edit is a new immer document), so the
  // analysis of a document object holds for as long as the object lives.
  const resolved = new WeakMap<GraphDocument, ResolvedGraph>();
  const resolve = (doc: GraphDocument): ResolvedGraph => {
    let graph = resolved.get(doc);
    if (!graph) {
      graph = resolveGraph(doc, registry);
      resolved.set(doc, graph);
    }
    return graph;
  };

  // nodes by id per document, so a drag's checks find the target's input without a scan each
  const nodeMaps = new WeakMap<GraphDocument, Map<string, GraphNode>>();
  const nodeOf = (doc: GraphDocument, id: string): GraphNode | undefined => {
    let map = nodeMaps.get(doc);
    if (!map) {
      map = new Map();
      for (const n of doc.nodes) if (!map.has(n.id)) map.set(n.id, n);
      nodeMaps.set(doc, map);
    }
    return map.get(id);
  };

  const label = (type: PortType | undefined) => (type ? typeLabel(type, types) : 'unknown');
  // One node's ports of one side, labelled with their resolved types (an output is never multiple or optional).
  const ports = (
    resolved: Readonly<Record<string, PortType | undefined>> | undefined,
    specs: Readonly<Record<string, { label?: string; multiple?: boolean; optional?: boolean }>> = {},
  ) =>
    Object.entries(specs).map(([name, spec]) => ({
      name,
      label: spec.label ?? name,
      type: resolved?.[name],
      typeLabel: label(resolved?.[name]),
      multiple: spec.multiple === true,
      optional: spec.optional === true,
    }));
  const check = (doc: GraphDocument, from: PortRef, to: PortRef): ConnectionCheck => {
    const target = resolve(doc);
    const node = nodeOf(doc, to.node);
    const inputs = node ? byType.get(node.type)?.inputs : undefined;
    const spec = inputs && Object.hasOwn(inputs, to.port) ? inputs[to.port] : undefined;
    const settings = spec?.settings ? defaultParams(spec.settings) : {};
    return target.checkConnection(from, to, {
      replace: true,
      ...(Object.keys(settings).length > 0 ? { settings } : {}),
    });
  };

  return {
    registry,
    types,
    definitions,
    definition: (type) => byType.get(type),
    resolve,
    label,
    inputs: (node, doc) => ports(resolve(doc).inputTypes(node.id), byType.get(node.type)?.inputs),
    outputs: (node, doc) => ports(resolve(doc).outputTypes(node.id), byType.get(node.type)?.outputs),
    check,
    refuse(doc, from, to) {
      const r = check(doc, from, to);
      if (r.ok) return undefined;
      const first = r.issues[0]!;
      return { code: first.code, reason: first.message, issues: r.issues };
    },
  };
}
