import { z } from 'zod';
import { analyseGraph } from '../src/validate';
import { applyChanges, createEngine, createMemoryStore, createRegistry, defineNode, definePack, t, type GraphDocument } from '../src/index';
const crypto = (globalThis as any).process.getBuiltinModule('node:crypto');
const hash = Object.assign((s: string) => crypto.hash('sha256', s, 'hex'), { label: 'x' });
const benchNode = defineNode({
  type: 'bench.node', version: 1, params: z.object({ v: z.number() }),
  inputs: { in: { type: t.number(), multiple: true, optional: true } },
  outputs: { out: { type: t.number() } },
  async run(ctx) { let out = ctx.params.v; for (const item of ctx.inputs.in) out += item.value as number; return { out: out % 1000 }; },
});
const registry = createRegistry(definePack({ name: 'bench', nodes: [benchNode] }));
function build(n: number): GraphDocument {
  const nodes: any[] = []; const edges: any[] = [];
  for (let i = 0; i < n; i++) nodes.push({ id: `n${i}`, type: 'bench.node', params: { v: i % 7 } });
  for (let i = 100; i < n; i++) { const ls = i - (i % 100) - 100; const j = i % 100;
    for (const k of [j, (j + 1) % 100]) edges.push({ id: `e${i}-${k}`, from: { node: `n${ls + k}`, port: 'out' }, to: { node: `n${i}`, port: 'in' } }); }
  return { format: 'loraflow.graph', version: 1, nodes, edges } as GraphDocument;
}
const doc = build(10000);
const perf = (globalThis as any).performance;
async function med(f: () => unknown, reps = 25) { const ts: number[] = []; for (let r = 0; r < reps; r++) { const t0 = perf.now(); await f(); ts.push(perf.now() - t0); } ts.sort((a, b) => a - b); return ts[reps >> 1]!.toFixed(2); }
const fz = applyChanges(doc, []); if (!fz.ok) throw new Error();
const warm = createEngine({ registry, hash, cache: createMemoryStore({ hash }), concurrency: 64 });
await warm.run(fz.value.doc).result;
const out: Record<string, string> = {};
out.analyse = await med(() => analyseGraph(doc, registry));
out.plan = await med(() => createEngine({ registry, hash }).plan(doc));
out.vp = await med(() => { const e = createEngine({ registry, hash }); e.validate(doc); e.plan(doc); });
out.cold = await med(() => createEngine({ registry, hash, cache: createMemoryStore({ hash }), concurrency: 64 }).run(doc).result);
out.fwarm = await med(() => warm.run(fz.value.doc).result, 101);
console.log(JSON.stringify(out));
{
  const ts: number[] = [];
  for (let r = 0; r < 15; r++) {
    const f = applyChanges(build(10000), []);
    if (!f.ok) throw new Error();
    const t0 = perf.now();
    const e = createEngine({ registry, hash }); e.validate(f.value.doc); e.plan(f.value.doc);
    ts.push(perf.now() - t0);
  }
  ts.sort((a, b) => a - b); console.log('validate+plan of a new frozen doc', ts[7]!.toFixed(2));
  const f = applyChanges(build(10000), []); if (!f.ok) throw new Error();
  console.log('analyse of a frozen doc whose nodes are known', await med(() => analyseGraph(f.value.doc, registry)));
}
