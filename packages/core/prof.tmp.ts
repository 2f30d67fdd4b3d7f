import { hash } from 'node:crypto';
import { z } from 'zod';
import { createEngine, createMemoryStore, createRegistry, defineNode, definePack, t, type GraphDocument, type GraphNode, type GraphEdge } from './src/index';
const benchNode = defineNode({ type: 'bench.node', version: 1, params: z.object({ v: z.number() }),
  inputs: { in: { type: t.number(), multiple: true, optional: true } }, outputs: { out: { type: t.number() } },
  async run(ctx) { let o = ctx.params.v; for (const i of ctx.inputs.in) o += i.value as number; return { out: o % 1000 }; } });
const registry = createRegistry(definePack({ name: 'bench', nodes: [benchNode] }));
const nodes: GraphNode[] = []; const edges: GraphEdge[] = [];
const n = 10000;
for (let i = 0; i < n; i++) nodes.push({ id: `n${i}`, type: 'bench.node', params: { v: i % 7 } });
for (let i = 100; i < n; i++) { const ls = i - (i % 100) - 100; const j = i % 100; for (const k of [j, (j + 1) % 100]) edges.push({ id: `e${i}-${k}`, from: { node: `n${ls + k}`, port: 'out' }, to: { node: `n${i}`, port: 'in' } }); }
const doc: GraphDocument = { format: 'loraflow.graph', version: 1, nodes, edges };
const h = Object.assign((s: string) => hash('sha256', s, 'hex'), { label: 'node' });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let r = 0; r < 10; r++) {
  const engine = createEngine({ registry, hash: h, cache: createMemoryStore({ hash: h }), concurrency: 64 });
  const c0 = cpu(); await engine.run(doc).result; const c1 = cpu(); await engine.run(doc).result; const c2 = cpu();
  console.log('cold cpu', (c1 - c0).toFixed(1), 'warm cpu', (c2 - c1).toFixed(1));
}
