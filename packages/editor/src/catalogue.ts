import {
  type AnyNodeDefinition,
  canConnect,
  createRegistry,
  type GraphDocument,
  type GraphNode,
  type InputSpec,
  type NodePack,
  type NodeRegistry,
  type PortType,
  type TypeRegistry,
  typeLabel,
} from '@loraflow/core';

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
 * What the palette, the canvas, the inspector and the connection check know about the node packs.
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
  inputs(node: GraphNode, doc: GraphDocument): ResolvedPort[];
  outputs(node: GraphNode, doc: GraphDocument): ResolvedPort[];
  /** Why `from.port` of one node cannot feed `to.port` of another, or undefined when it can. */
  refuse(
    doc: GraphDocument,
    from: { node: string; port: string },
    to: { node: string; port: string },
  ): { code: string; reason: string } | undefined;
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

  // Output types may depend on upstream types; memoise per document object (immer shares unchanged ones).
  let memoDoc: GraphDocument | undefined;
  let memo = new Map<string, Record<string, PortType | undefined>>();
  let byId = new Map<string, GraphNode>();
  let incoming = new Map<string, GraphDocument['edges']>();
  const index = (doc: GraphDocument) => {
    if (memoDoc === doc) return;
    memoDoc = doc;
    memo = new Map();
    byId = new Map(doc.nodes.map((n) => [n.id, n]));
    incoming = new Map();
    for (const e of doc.edges) {
      const list = incoming.get(e.to.node);
      if (list) list.push(e);
      else incoming.set(e.to.node, [e]);
    }
  };

  const paramsOf = (node: GraphNode): Record<string, unknown> => {
    const def = byType.get(node.type);
    const raw = node.params ?? {};
    const parsed = def?.params?.safeParse(raw);
    return parsed?.success ? (parsed.data as Record<string, unknown>) : raw;
  };

  const inputType = (node: GraphNode, spec: InputSpec): PortType | undefined => {
    try {
      return typeof spec.type === 'function' ? spec.type(paramsOf(node)) : spec.type;
    } catch {
      return undefined;
    }
  };

  const outputTypes = (
    node: GraphNode,
    doc: GraphDocument,
    visiting: Set<string>,
  ): Record<string, PortType | undefined> => {
    index(doc);
    // The document's own node, never a caller's stale copy: the memo is keyed by id.
    node = byId.get(node.id) ?? node;
    const cached = memo.get(node.id);
    if (cached) return cached;
    const def = byType.get(node.type);
    const result: Record<string, PortType | undefined> = {};
    if (!def) return result;
    visiting.add(node.id);
    const inputTypes: Record<string, PortType[]> = {};
    for (const edge of incoming.get(node.id) ?? []) {
      const source = byId.get(edge.from.node);
      // A cycle has no type to offer; validation reports the cycle itself.
      if (!source || visiting.has(source.id)) continue;
      const t = outputTypes(source, doc, visiting)[edge.from.port];
      if (!t) continue;
      const list = inputTypes[edge.to.port];
      if (list) list.push(t);
      else inputTypes[edge.to.port] = [t];
    }
    visiting.delete(node.id);
    for (const [name, spec] of Object.entries(def.outputs ?? {})) {
      try {
        result[name] =
          typeof spec.type === 'function' ? spec.type({ params: paramsOf(node), inputTypes }) : spec.type;
      } catch {
        result[name] = undefined;
      }
    }
    memo.set(node.id, result);
    return result;
  };

  const label = (type: PortType | undefined) => (type ? typeLabel(type, types) : 'unknown');

  return {
    registry,
    types,
    definitions,
    definition: (type) => byType.get(type),
    label,
    inputs(node) {
      const def = byType.get(node.type);
      return Object.entries(def?.inputs ?? {}).map(([name, spec]) => {
        const type = inputType(node, spec);
        return {
          name,
          label: spec.label ?? name,
          type,
          typeLabel: label(type),
          multiple: spec.multiple === true,
          optional: spec.optional === true,
        };
      });
    },
    outputs(node, doc) {
      const def = byType.get(node.type);
      const resolved = outputTypes(node, doc, new Set());
      return Object.entries(def?.outputs ?? {}).map(([name, spec]) => {
        const type = resolved[name];
        return {
          name,
          label: spec.label ?? name,
          type,
          typeLabel: label(type),
          multiple: false,
          optional: false,
        };
      });
    },
    refuse(doc, from, to) {
      const source = doc.nodes.find((n) => n.id === from.node);
      const target = doc.nodes.find((n) => n.id === to.node);
      if (!source || !target)
        return { code: 'edge.dangling', reason: 'One end of this connection is not in the graph.' };
      if (source.id === target.id)
        return { code: 'graph.cycle', reason: 'A node cannot feed its own input.' };
      const targetDef = byType.get(target.type);
      const spec = targetDef?.inputs?.[to.port];
      if (!spec) return { code: 'edge.unknown-port', reason: `This node has no input "${to.port}".` };
      if (reaches(doc, target.id, source.id)) {
        return {
          code: 'graph.cycle',
          reason: 'This connection would make a cycle: the data would feed itself.',
        };
      }
      const fromType = outputTypes(source, doc, new Set())[from.port];
      const toType = inputType(target, spec);
      if (!fromType || !toType) return undefined;
      const answer = canConnect(fromType, toType, types);
      return answer.ok ? undefined : { code: answer.code, reason: answer.reason };
    },
  };
}

/** Whether `start` reaches `goal` by following edges forward. */
function reaches(doc: GraphDocument, start: string, goal: string): boolean {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === goal) return true;
    for (const e of doc.edges) {
      if (e.from.node === id && !seen.has(e.to.node)) {
        seen.add(e.to.node);
        stack.push(e.to.node);
      }
    }
  }
  return false;
}
