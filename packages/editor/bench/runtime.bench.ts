// The editor over the real runtime, in Node (no browser): what a keystroke and a run cost through the
// editor store. One JSON object per line on stdout, after render.bench.ts's lines.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRegistry, validateGraph } from '@loraflow/core';
import { createRuntime } from '@loraflow/runtime';
// the core's example pack and the runtime bench's graph are for examples, tests and benches, not public API
import { examplePack } from '../../core/src/example-pack';
import { adderGraph, median, round } from '../../runtime/bench/stats';
import { createCatalogue, createEditorStore } from '../src/index';

// a full collection before each run measured, so no run pays for the garbage of the one before (not before a
// keystroke: an editor's keystroke meets a heap in use)
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const registry = createRegistry(examplePack);
const catalogue = createCatalogue([examplePack]);
const line = (fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fields)}\n`);
// no explain timer fires during a measure: the bench calls what the timer would, when it wants
const NEVER = 2 ** 30;

/** CPU milliseconds of `work` (this machine is shared, so wall time also counts other processes). */
async function cpuMs(work: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - t, cpu: (used.user + used.system) / 1000 };
}

// The keystroke: one parameter set through the store (the editor's immutable update), then the one runtime
// call the store makes for it (estimate, whose nodes carry explain's reasons).
for (const nodes of [1000, 5000]) {
  const runtime = createRuntime({ registry });
  const store = createEditorStore({
    catalogue,
    document: adderGraph(nodes, 10),
    runtime,
    explainDelayMs: NEVER,
  });
  const wall: number[] = [];
  const cpu: number[] = [];
  const refresh: number[] = [];
  for (let r = 0; r < 50; r++) {
    store.setParam(`n${(r * 7) % (nodes / 2)}`, 'value', 1000 + r);
    const call = await cpuMs(() => runtime.estimate(store.getState().doc));
    store.setParam(`n${(r * 11) % (nodes / 2)}`, 'value', 2000 + r);
    const whole = await cpuMs(() => store.refreshExplain());
    if (r < 10) continue;
    wall.push(call.wall);
    cpu.push(call.cpu);
    refresh.push(whole.wall);
  }
  store.destroy();
  line({
    page: 'runtime',
    nodes,
    runtimeExplainMs: round(median(wall)),
    // CPU time: the figure on an idle machine
    runtimeExplainCpuMs: round(median(cpu)),
    // the store's whole refresh (the call and the maps the canvas reads)
    refreshExplainMs: round(median(refresh)),
    targetMs: nodes <= 1000 ? 2 : 10,
  });
}

// Folding events: a cold 10k-node run alone, and the same run shown by an editor store with a status line
// (counts) and every node's component (node views) listening, as the canvas does.
const FOLD_NODES = 10_000;
const doc = adderGraph(FOLD_NODES, 10);
const alone: Array<{ wall: number; cpu: number }> = [];
const shown: Array<{ wall: number; cpu: number }> = [];
for (let r = 0; r < 6; r++) {
  collect();
  alone.push(
    await cpuMs(async () => {
      const handle = await createRuntime({ registry }).run(doc);
      await handle.result;
    }),
  );
  const runtime = createRuntime({ registry });
  const store = createEditorStore({
    catalogue,
    document: doc,
    validate: (d) => validateGraph(d, registry).issues,
    runtime,
    explainDelayMs: NEVER,
  });
  let reads = 0;
  const off = store.subscribe(() => {
    reads += store.getState().run.counts.succeeded;
  });
  const offNodes = doc.nodes.map((n) => store.subscribeNode(n.id, () => store.getState().run.node(n.id)));
  collect();
  shown.push(await cpuMs(() => store.run()));
  off();
  for (const o of offNodes) o();
  store.destroy();
  if (reads === 0 || store.getState().run.status !== 'succeeded') throw new Error('the editor saw no run');
}
// the first round of each warms the JIT
const med = (xs: Array<{ wall: number; cpu: number }>, k: 'wall' | 'cpu') =>
  median(xs.slice(1).map((x) => x[k]));
line({
  page: 'runtime',
  nodes: FOLD_NODES,
  runAloneMs: round(med(alone, 'wall')),
  runSubscribedMs: round(med(shown, 'wall')),
  runAloneCpuMs: round(med(alone, 'cpu')),
  runSubscribedCpuMs: round(med(shown, 'cpu')),
  // on CPU time: wall time on this shared machine also counts whatever else runs
  foldRatio: round(med(shown, 'cpu') / med(alone, 'cpu')),
  foldRatioWall: round(med(shown, 'wall') / med(alone, 'wall')),
  targetRatio: 1.5,
});
