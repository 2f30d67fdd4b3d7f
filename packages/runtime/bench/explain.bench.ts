// The editor's keystroke path through the runtime, as JSON lines: `corepack pnpm --filter @loraflow/runtime bench`.
// One parameter changes, then explain + estimate run — what the editor asks after every keystroke.
import { createEngine, createRegistry, type GraphDocument } from '@loraflow/core';
// the core's example pack is for its own examples, tests and benches, not part of its public API
import { examplePack } from '../../core/src/example-pack';
import { createRuntime } from '../src/index';
import { adderGraph, emit, median, round } from './stats';

/** The same document with one node's value changed, as an editor's immutable update makes it. */
function edited(doc: GraphDocument, index: number, value: number): GraphDocument {
  const nodes = doc.nodes.slice();
  const node = nodes[index]!;
  nodes[index] = { ...node, params: { value } };
  return { ...doc, nodes };
}

const ROUNDS = 40;
const WARMUP = 10;
for (const size of [1000, 5000]) {
  const registry = createRegistry(examplePack);
  const runtime = createRuntime({ registry });
  const engine = createEngine({ registry });
  let doc = adderGraph(size, 10);
  engine.explain(doc);
  // The editor's path: one estimate per edit (its entries carry what explain says); both calls for reference.
  const pathMs: number[] = [];
  const pathCpuMs: number[] = [];
  const bothMs: number[] = [];
  const engineMs: number[] = [];
  // the first figure: the same document asked again (no edit), which reaches the engine's kept analysis
  const unchangedMs: number[] = [];
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    doc = edited(doc, (r * 7) % size, 1000 + r);
    let t = performance.now();
    const cpu = process.cpuUsage();
    await runtime.estimate(doc);
    const pathTime = performance.now() - t;
    const used = process.cpuUsage(cpu);
    doc = edited(doc, (r * 11) % size, 2000 + r);
    t = performance.now();
    await runtime.explain(doc);
    await runtime.estimate(doc);
    const bothTime = performance.now() - t;
    doc = edited(doc, (r * 13) % size, 3000 + r);
    t = performance.now();
    engine.explain(doc);
    const engineTime = performance.now() - t;
    await runtime.estimate(doc);
    t = performance.now();
    await runtime.estimate(doc);
    const unchangedTime = performance.now() - t;
    if (r < WARMUP) continue;
    unchangedMs.push(unchangedTime);
    pathMs.push(pathTime);
    pathCpuMs.push((used.user + used.system) / 1000);
    bothMs.push(bothTime);
    engineMs.push(engineTime);
  }
  emit({
    bench: 'runtime estimate (explain entries included) after a one-parameter edit',
    nodes: size,
    runtimeExplainMs: round(median(pathMs)),
    // CPU time: what the figure would be on an idle machine (this one is shared and noisy)
    runtimeExplainCpuMs: round(median(pathCpuMs)),
    explainThenEstimateMs: round(median(bothMs)),
    engineExplainMs: round(median(engineMs)),
    unchangedDocumentMs: round(median(unchangedMs)),
    targetMs: size <= 1000 ? 2 : 10,
  });
}
