// What every runtime bench shares: medians, rounding, one JSON line per figure, the graphs it runs.
import type { GraphDocument } from '@loraflow/core';

/** The median of a list of timings. */
export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Three decimals: microseconds of a millisecond figure. */
export const round = (x: number) => Math.round(x * 1000) / 1000;

/** One figure as a JSON line on stdout. */
export const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/**
 * Number nodes feeding adders, each adder also fed by the one `stride` places back: stride 1 is one
 * long chain, stride 10 ten interleaved chains (an edit then changes a tenth of the keys downstream).
 */
export function adderGraph(size: number, stride: number): GraphDocument {
  const nodes: GraphDocument['nodes'] = [];
  const edges: GraphDocument['edges'] = [];
  for (let i = 0; i < size / 2; i++) {
    nodes.push({ id: `n${i}`, type: 'example.number', params: { value: i } });
    nodes.push({ id: `a${i}`, type: 'example.add', params: {} });
    edges.push({
      id: `en${i}`,
      from: { node: `n${i}`, port: 'value' },
      to: { node: `a${i}`, port: 'terms' },
    });
    if (i >= stride)
      edges.push({
        id: `ea${i}`,
        from: { node: `a${i - stride}`, port: 'sum' },
        to: { node: `a${i}`, port: 'terms' },
      });
  }
  return { format: 'loraflow.graph', version: 1, nodes, edges };
}
