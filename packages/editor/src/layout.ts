import type { GraphDocument } from '@loraflow/core';

/**
 * Positions for every node from a layered (Sugiyama) layout, left to right. dagre is loaded on the
 * first call, so hosts that never lay out do not download it.
 *
 * @example
 * const positions = await autoLayout(doc, sizes);
 */
export async function autoLayout(
  doc: GraphDocument,
  sizes: ReadonlyMap<string, { width: number; height: number }> = new Map(),
): Promise<Array<{ id: string; x: number; y: number }>> {
  const dagre = (await import('@dagrejs/dagre')).default;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of doc.nodes) {
    const size = sizes.get(node.id) ?? { width: 240, height: 140 };
    g.setNode(node.id, { width: size.width, height: size.height });
  }
  for (const edge of doc.edges) {
    if (g.hasNode(edge.from.node) && g.hasNode(edge.to.node)) g.setEdge(edge.from.node, edge.to.node);
  }
  dagre.layout(g);
  return doc.nodes.map((node) => {
    const p = g.node(node.id);
    const size = sizes.get(node.id) ?? { width: 240, height: 140 };
    // dagre gives centres; React Flow positions are top-left corners.
    return { id: node.id, x: Math.round(p.x - size.width / 2), y: Math.round(p.y - size.height / 2) };
  });
}
