// Engine benchmark: prints one JSON object per line (workload, nodes, phase, medianMs, ...).
// Run with `corepack pnpm --filter @loraflow/core bench`. Not a test: numbers depend on the machine.
import { z } from 'zod';
import {
  applyChanges,
  createEngine,
  createMemoryStore,
  createRegistry,
  defineNode,
  definePack,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
  type HashFn,
  type RunResult,
  sha256Hex,
  t,
} from '../src/index';

// The core compiles without Node types, so Node's modules are reached through the runtime.
interface NodeProcess {
  getBuiltinModule?(name: string): unknown;
  cpuUsage(): { user: number; system: number };
  stdout: { write(s: string): void };
  argv: string[];
  version: string;
}
const proc = (globalThis as unknown as { process: NodeProcess }).process;
const crypto = proc.getBuiltinModule?.('node:crypto') as
  | {
      hash?(alg: string, data: string, enc: string): string;
      createHash(alg: string): { update(s: string): { digest(e: string): string } };
    }
  | undefined;
const v8 = proc.getBuiltinModule?.('node:v8') as
  | { getHeapStatistics(): { used_heap_size: number } }
  | undefined;
const perf = (globalThis as unknown as { performance: { now(): number } }).performance;
const gc = (globalThis as unknown as { gc?: () => void }).gc;

function nodeHash(): HashFn {
  if (crypto?.hash) {
    const h = crypto.hash;
    return Object.assign((s: string) => h('sha256', s, 'hex'), { label: 'node:crypto hash()' });
  }
  if (crypto) {
    const c = crypto;
    return Object.assign((s: string) => c.createHash('sha256').update(s).digest('hex'), {
      label: 'node:crypto createHash()',
    });
  }
  return sha256Hex;
}

const useNoble = proc.argv.includes('--noble');
const hash = useNoble ? sha256Hex : nodeHash();
const CONCURRENCY = 64;

const benchNode = defineNode({
  type: 'bench.node',
  version: 1,
  params: z.object({ v: z.number() }),
  inputs: { in: { type: t.number(), multiple: true, optional: true } },
  outputs: { out: { type: t.number() } },
  async run(ctx) {
    let out = ctx.params.v;
    for (const item of ctx.inputs.in) out += item.value as number;
    return { out: out % 1000 };
  },
});
const registry = createRegistry(definePack({ name: 'bench', nodes: [benchNode] }));

type Workload = 'chain' | 'layered';
const WIDTH = 100;

function build(workload: Workload, n: number): GraphDocument {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < n; i++) nodes.push({ id: `n${i}`, type: 'bench.node', params: { v: i % 7 } });
  if (workload === 'chain') {
    for (let i = 1; i < n; i++)
      edges.push({
        id: `e${i}`,
        from: { node: `n${i - 1}`, port: 'out' },
        to: { node: `n${i}`, port: 'in' },
      });
  } else {
    for (let i = WIDTH; i < n; i++) {
      const layerStart = i - (i % WIDTH) - WIDTH;
      const j = i % WIDTH;
      for (const k of [j, (j + 1) % WIDTH]) {
        edges.push({
          id: `e${i}-${k}`,
          from: { node: `n${layerStart + k}`, port: 'out' },
          to: { node: `n${i}`, port: 'in' },
        });
      }
    }
  }
  return { format: 'loraflow.graph', version: 1, nodes, edges };
}

/** The middle layer's first node, and how many nodes lie downstream of it (itself included). */
function middle(workload: Workload, n: number): { index: number; downstream: number } {
  if (workload === 'chain') {
    const index = Math.floor(n / 2);
    return { index, downstream: n - index };
  }
  const layers = n / WIDTH;
  const layer = Math.floor(layers / 2);
  const index = layer * WIDTH;
  // in layer L+d, node j depends on nodes j and j+1 of layer L+d-1, so the reach grows by one per layer
  let downstream = 0;
  for (let d = 0; layer + d < layers; d++) downstream += Math.min(WIDTH, d + 1);
  return { index, downstream };
}

// CPU time of this process: on a shared, loaded machine it says more than wall time does.
function cpuNow(): number {
  const u = proc.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

let phasePeak = 0;
function sampleHeap(): void {
  const used = v8?.getHeapStatistics().used_heap_size ?? 0;
  if (used > phasePeak) phasePeak = used;
}
function resetHeap(): void {
  gc?.();
  phasePeak = 0;
}

/** Untimed runs before the timed ones of a workload. */
function warmup(n: number): number {
  return n >= 100_000 ? 1 : 3;
}

function print(line: Record<string, unknown>): void {
  proc.stdout.write(
    `${JSON.stringify({ doc: 'mutable', ...line, heapPeakMB: Math.round(phasePeak / 1e5) / 10, hash: hash.label, concurrency: CONCURRENCY, node: proc.version, gcExposed: gc !== undefined })}\n`,
  );
}

/**
 * Times `reps` runs of one phase: `prepare` (untimed) sets up a round, `body` is timed, `check`
 * (untimed) throws when the round did the wrong thing. Prints the phase's line with the medians.
 */
async function phase<T, P = void>(
  line: Record<string, unknown>,
  reps: number,
  o: {
    prepare?: (r: number) => P;
    body: (prepared: P) => Promise<T> | T;
    check?: (result: T) => Record<string, unknown> | undefined;
  },
): Promise<void> {
  resetHeap();
  const wall: number[] = [];
  const cpu: number[] = [];
  let extra: Record<string, unknown> | undefined;
  for (let r = 0; r < reps; r++) {
    const prepared = o.prepare ? o.prepare(r) : (undefined as P);
    const c0 = cpuNow();
    const t0 = perf.now();
    const result = await o.body(prepared);
    wall.push(perf.now() - t0);
    cpu.push(cpuNow() - c0);
    sampleHeap();
    extra = o.check?.(result);
  }
  const perNodeUs = round((median(wall) * 1000) / (line.nodes as number));
  print({
    ...line,
    medianMs: round(median(wall)),
    cpuMedianMs: round(median(cpu)),
    perNodeUs,
    ...extra,
    runs: reps,
  });
}

/**
 * The floor: only what any engine with content-addressed caching must do per node, with no engine —
 * render a key preimage from the upstream keys, SHA-256 it with the same hash, await one async body
 * and put its frozen output in a Map under the key. The graph is pre-compiled to index lists
 * (untimed), and there is no validation, planning, scheduling, events or results, so this is a
 * lower bound for the cold phase. Nodes go in document order, which is topological here.
 */
interface FloorGraph {
  v: number[];
  ups: number[][];
}
function compileFloor(doc: GraphDocument): FloorGraph {
  const index = new Map(doc.nodes.map((node, i) => [node.id, i]));
  const ups: number[][] = doc.nodes.map(() => []);
  for (const e of doc.edges) ups[index.get(e.to.node)!]!.push(index.get(e.from.node)!);
  return { v: doc.nodes.map((node) => (node.params as { v: number }).v), ups };
}
async function floorRun(g: FloorGraph): Promise<string[]> {
  const n = g.v.length;
  const keys: string[] = new Array(n);
  const outs: number[] = new Array(n);
  const store = new Map<string, Readonly<{ out: number }>>();
  const body = async (v: number, ups: number[]) => {
    let out = v;
    for (const u of ups) out += outs[u]!;
    return out % 1000;
  };
  for (let i = 0; i < n; i++) {
    const v = g.v[i]!;
    const ups = g.ups[i]!;
    let preimage = `["loraflow.key/1","bench.node",1,{"v":${v}},[`;
    if (ups.length > 0) {
      preimage += '["in",[';
      for (let k = 0; k < ups.length; k++) preimage += `${k > 0 ? ',' : ''}["${keys[ups[k]!]}","out",null]`;
      preimage += ']]';
    }
    const key = hash(`${preimage}],null]`);
    const out = await body(v, ups);
    store.set(key, Object.freeze({ out }));
    keys[i] = key;
    outs[i] = out;
  }
  return keys;
}

async function runPhases(workload: Workload, n: number): Promise<void> {
  const reps = n >= 100_000 ? 3 : n >= 10_000 ? 7 : 15;
  const doc = build(workload, n);
  const mid = middle(workload, n);
  const fresh = () =>
    createEngine({ registry, hash, cache: createMemoryStore({ hash }), concurrency: CONCURRENCY });
  const allCached = (result: RunResult) => {
    if (Object.values(result.nodes).some((o) => o.status !== 'cached'))
      throw new Error('warm run re-executed a node');
    return undefined;
  };
  const onlyDownstream = (result: RunResult) => {
    const executed = Object.values(result.nodes).filter((o) => o.status === 'succeeded').length;
    if (executed !== mid.downstream)
      throw new Error(`one change re-ran ${executed} nodes, expected ${mid.downstream}`);
    return { executed, downstream: mid.downstream };
  };
  const line = (phaseName: string, more: Record<string, unknown> = {}) => ({
    workload,
    nodes: n,
    phase: phaseName,
    ...more,
  });

  // Discarded runs first, so the medians measure the engine rather than V8 compiling it (the
  // later phases run code these runs already warmed).
  let reference: RunResult | undefined;
  for (let r = 0; r < warmup(n); r++) reference = await fresh().run(doc).result;
  const floorGraph = compileFloor(doc);
  for (let r = 0; r < warmup(n); r++) await floorRun(floorGraph);
  await phase(line('floor', { note: 'no engine: key + SHA-256 + one async body + Map put per node' }), reps, {
    body: () => floorRun(floorGraph),
    // the floor must do the engine's key work exactly: the same preimages, so the same keys
    check: (keys) => {
      doc.nodes.forEach((node, i) => {
        if (keys[i] !== reference?.nodes[node.id]?.key)
          throw new Error(`the floor's key for ${node.id} is not the engine's`);
      });
      return undefined;
    },
  });
  let engine = fresh();
  await phase(line('cold', { warmupRuns: warmup(n) }), reps, {
    prepare: () => {
      engine = fresh();
      gc?.();
    },
    body: () => engine.run(doc).result,
    check: (result) => {
      if (result.status !== 'succeeded') throw new Error(`bench run ${result.status}`);
      return undefined;
    },
  });
  await phase(line('warm'), reps, { body: () => engine.run(doc).result, check: allCached });
  await phase(line('one-change'), reps, {
    prepare: (r) => {
      doc.nodes[mid.index] = { ...doc.nodes[mid.index]!, params: { v: 100 + r } };
    },
    body: () => engine.run(doc).result,
    check: onlyDownstream,
  });
  await phase(line('validate-plan'), reps, {
    prepare: () => createEngine({ registry, hash, concurrency: CONCURRENCY }),
    body: (e) => {
      const v = e.validate(doc);
      e.plan(doc);
      return v;
    },
    check: (v) => {
      if (!v.ok) throw new Error('bench graph does not validate');
      return undefined;
    },
  });

  // The editor's case: immer-frozen documents (from applyChanges), which the engine may remember.
  const frozenStart = applyChanges(doc, []);
  if (!frozenStart.ok) throw new Error('could not freeze the bench graph');
  let frozen = frozenStart.value.doc;
  await engine.run(frozen).result;
  await phase(line('warm', { doc: 'frozen' }), reps, {
    body: () => engine.run(frozen).result,
    check: allCached,
  });
  await phase(line('one-change', { doc: 'frozen' }), reps, {
    prepare: (r) => {
      const edit = applyChanges(frozen, [
        { type: 'params.set', id: `n${mid.index}`, params: { v: 500 + r } },
      ]);
      if (!edit.ok) throw new Error('edit failed');
      frozen = edit.value.doc;
    },
    body: () => engine.run(frozen).result,
    check: onlyDownstream,
  });
}

async function editRevalidate(workload: Workload, n: number): Promise<void> {
  resetHeap();
  const engine = createEngine({
    registry,
    hash,
    cache: createMemoryStore({ hash }),
    concurrency: CONCURRENCY,
  });
  const start = applyChanges(build(workload, n), []);
  if (!start.ok) throw new Error('could not freeze the bench graph');
  let doc = start.value.doc;
  await engine.run(doc).result;
  const mid = middle(workload, n);
  const id = `n${mid.index}`;
  const times: number[] = [];
  const editTimes: number[] = [];
  const cpuTimes: number[] = [];
  // warm the code paths once, as an editor session would be
  for (let r = 0; r < 50; r++) {
    const t0 = perf.now();
    const edit = applyChanges(doc, [{ type: 'params.set', id, params: { v: 1000 + r } }]);
    const t1 = perf.now();
    if (!edit.ok) throw new Error('edit failed');
    doc = edit.value.doc;
    const c1 = cpuNow();
    const v = engine.validate(doc);
    const explained = await engine.explain(doc);
    const t2 = perf.now();
    const c2 = cpuNow();
    sampleHeap();
    if (!v.ok) throw new Error('edited graph does not validate');
    if (explained.filter((e) => e.willRun).length !== mid.downstream)
      throw new Error('explain disagrees with the change');
    if (r >= 10) {
      editTimes.push(t1 - t0);
      times.push(t2 - t1);
      cpuTimes.push(c2 - c1);
    }
  }
  print({
    workload,
    nodes: n,
    phase: 'edit-revalidate',
    doc: 'frozen',
    medianMs: round(median(times)),
    cpuMedianMs: round(median(cpuTimes)),
    applyChangesMs: round(median(editTimes)),
    runs: times.length,
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const sizes = proc.argv.includes('--quick') ? [1_000, 10_000] : [1_000, 10_000, 100_000];
// `--only layered:10000` (repeatable) runs just those workloads; the edit phase runs with size 1000
const only = proc.argv.flatMap((a, i) => (proc.argv[i - 1] === '--only' ? [a] : []));
const wanted = (workload: Workload, n: number) => only.length === 0 || only.includes(`${workload}:${n}`);
for (const workload of ['chain', 'layered'] as const) {
  for (const n of sizes) if (wanted(workload, n)) await runPhases(workload, n);
  if (wanted(workload, 1_000)) await editRevalidate(workload, 1_000);
}
