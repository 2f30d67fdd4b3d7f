// A small end-to-end run of the example pack: validates, explains, runs twice (the second from the cache).
// Run with `corepack pnpm --filter @loraflow/core demo`; the CLI will own the real demo.
import { examplePack } from '../src/example-pack';
import { createEngine, createRegistry, type GraphDocument } from '../src/index';

const out = (globalThis as unknown as { process: { stdout: { write(s: string): void } } }).process.stdout;
const say = (line: string) => out.write(`${line}\n`);

const doc: GraphDocument = {
  format: 'loraflow.graph',
  version: 1,
  name: 'weighted-sum',
  nodes: [
    { id: 'a', type: 'example.number', params: { value: 2 } },
    { id: 'b', type: 'example.number', params: { value: 3 } },
    { id: 'sum', type: 'example.add', params: { offset: 1 } },
    { id: 'text', type: 'example.format', params: { template: 'a + 2·b + 1 = {}' } },
  ],
  edges: [
    { id: 'e1', from: { node: 'a', port: 'value' }, to: { node: 'sum', port: 'terms' } },
    {
      id: 'e2',
      from: { node: 'b', port: 'value' },
      to: { node: 'sum', port: 'terms' },
      settings: { weight: 2 },
    },
    { id: 'e3', from: { node: 'sum', port: 'sum' }, to: { node: 'text', port: 'value' } },
  ],
};

const engine = createEngine({ registry: createRegistry(examplePack) });
const check = engine.validate(doc);
say(`validate: ${check.ok ? 'ok' : check.issues.map((i) => i.message).join('; ')}`);
for (const round of [1, 2]) {
  for (const e of await engine.explain(doc))
    say(`explain ${round}: ${e.nodeId} ${e.willRun ? 'runs' : 'cached'} (${e.reason.message})`);
  const handle = engine.run(doc);
  handle.subscribe((e) => {
    if (e.type === 'node.succeeded' || e.type === 'node.cached' || e.type === 'node.failed')
      say(`  ${e.type} ${e.nodeId}`);
  });
  const result = await handle.result;
  say(`run ${round}: ${result.status} → ${JSON.stringify(result.nodes.text?.outputs)}`);
}
