// Connection-check benchmark: what a drag costs on 1k and 5k-node graphs. Prints one JSON object per line.
// Run with `corepack pnpm --filter @loraflow/core exec tsx --conditions=source bench/connection.bench.ts`.
// Not a test: numbers depend on the machine.

import { examplePack } from '../src/example-pack';
import {
  applyChanges,
  checkConnection,
  createRegistry,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
  resolveGraph,
} from '../src/index';

const perf = (globalThis as unknown as { performance: { now(): number } }).performance;
const out = (globalThis as unknown as { process: { stdout: { write(s: string): void } } }).process.stdout;
const registry = createRegistry(examplePack);
const WIDTH = 50;

/** Layers of `example.add` nodes, each fed by two of the layer before: the editor's grid, with wires. */
function layered(n: number): GraphDocument {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({
      id: `n${i}`,
      type: i < WIDTH ? 'example.number' : 'example.add',
      params: i < WIDTH ? { value: i } : {},
    });
    if (i < WIDTH) continue;
    for (const up of [i - WIDTH, i - WIDTH - 1]) {
      if (up < 0 || Math.floor(up / WIDTH) !== Math.floor(i / WIDTH) - 1) continue;
      edges.push({
        id: `e${i}-${up}`,
        from: { node: `n${up}`, port: up < WIDTH ? 'value' : 'sum' },
        to: { node: `n${i}`, port: 'terms' },
      });
    }
  }
  return { format: 'loraflow.graph', version: 1, nodes, edges };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (x: number) => Math.round(x * 1000) / 1000;

for (const n of [1_000, 5_000]) {
  const plain = layered(n);
  const frozen = applyChanges(plain, []);
  if (!frozen.ok) throw new Error('could not freeze the bench graph');
  const doc = frozen.value.doc;
  // the middle of the middle layer: wide cones of ancestors and descendants, so many refusals
  const mid = `n${Math.floor(n / 2) + WIDTH / 2}`;
  const resolveTimes: number[] = [];
  for (let r = 0; r < 15; r++) {
    const fresh = layered(n);
    const t0 = perf.now();
    resolveGraph(fresh, registry);
    resolveTimes.push(perf.now() - t0);
  }
  // A drag from the middle node's output over every input on the canvas, as isValidConnection asks.
  const graph = resolveGraph(doc, registry);
  const dragFromOutput: number[] = [];
  const cycleRefusals: number[] = [];
  for (let i = WIDTH; i < n; i++) {
    const t0 = perf.now();
    const r = graph.checkConnection({ node: mid, port: 'sum' }, { node: `n${i}`, port: 'terms' });
    const ms = perf.now() - t0;
    dragFromOutput.push(ms);
    if (!r.ok) cycleRefusals.push(ms);
  }
  // A drag from the middle node's input over every output.
  const dragFromInput: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = perf.now();
    const r = graph.checkConnection(
      { node: `n${i}`, port: i < WIDTH ? 'value' : 'sum' },
      { node: mid, port: 'terms' },
    );
    const ms = perf.now() - t0;
    dragFromInput.push(ms);
    if (!r.ok) cycleRefusals.push(ms);
  }
  // The module-level function on a frozen document: the analysis is remembered after the first call.
  const t0 = perf.now();
  for (let i = WIDTH; i < WIDTH + 200; i++)
    checkConnection(doc, registry, { node: mid, port: 'sum' }, { node: `n${i}`, port: 'terms' });
  const functionCallMs = (perf.now() - t0) / 200;
  out.write(
    `${JSON.stringify({
      nodes: n,
      edges: plain.edges.length,
      resolveMedianMs: round(median(resolveTimes)),
      cycleRefusals: { checks: cycleRefusals.length, medianMs: round(median(cycleRefusals)) },
      dragFromOutput: {
        checks: dragFromOutput.length,
        medianMs: round(median(dragFromOutput)),
        maxMs: round(Math.max(...dragFromOutput)),
        totalMs: round(dragFromOutput.reduce((a, b) => a + b, 0)),
      },
      dragFromInput: {
        checks: dragFromInput.length,
        medianMs: round(median(dragFromInput)),
        maxMs: round(Math.max(...dragFromInput)),
        totalMs: round(dragFromInput.reduce((a, b) => a + b, 0)),
      },
      checkConnectionOnFrozenDocMs: round(functionCallMs),
    })}\n`,
  );
}
