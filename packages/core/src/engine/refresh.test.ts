import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { createRegistry, defineNode, definePack } from '../node';
import { createMemoryStore } from '../store';
import { doc, edge, node } from '../test/fixtures';
import { t } from '../types';
import { createEngine } from './index';

function setup() {
  const made: string[] = [];
  const ran: string[] = [];
  const train = defineNode({
    type: 'r.train',
    version: 1,
    params: z.object({ name: z.string() }),
    outputs: { model: { type: t.string() } },
    sideEffects: true,
    async run(ctx) {
      ran.push(ctx.nodeId);
      const model = await ctx.effect('create', {
        intent: { name: ctx.params.name },
        perform: async () => {
          made.push(ctx.nodeId);
          return `model-${made.length}`;
        },
      });
      return { model };
    },
  });
  const use = defineNode({
    type: 'r.use',
    version: 1,
    params: z.object({}),
    inputs: { model: { type: t.string() } },
    outputs: { text: { type: t.string() } },
    async run(ctx) {
      ran.push(ctx.nodeId);
      return { text: `used ${ctx.inputs.model}` };
    },
  });
  const store = createMemoryStore();
  const engine = createEngine({
    registry: createRegistry(definePack({ name: 'r', nodes: [train, use] })),
    cache: store,
    journal: store,
  });
  const graph = doc(
    [node('a', 'r.train', { name: 'a' }), node('useA', 'r.use'), node('b', 'r.train', { name: 'b' })],
    [edge('e', 'a.model', 'useA.model')],
  );
  return { engine, graph, made, ran };
}

describe('engine.run refresh', () => {
  it('runs the named nodes and their downstream again, performing their effects anew, and reuses the rest', async () => {
    const { engine, graph, made, ran } = setup();
    expect((await engine.run(graph).result).status).toBe('succeeded');
    ran.length = 0;
    const result = await engine.run(graph, { refresh: ['a'] }).result;
    expect(ran.sort()).toEqual(['a', 'useA']);
    expect(made).toEqual(['a', 'b', 'a']);
    expect(result.nodes.b?.status).toBe('cached');
    expect(result.nodes.useA?.outputs).toEqual({ text: 'used model-3' });
    // the fresh result is what the cache holds now
    ran.length = 0;
    expect((await engine.run(graph).result).nodes.useA?.outputs).toEqual({ text: 'used model-3' });
    expect(ran).toEqual([]);
  });

  it("runs every node again with 'all'", async () => {
    const { engine, graph, made, ran } = setup();
    await engine.run(graph).result;
    ran.length = 0;
    await engine.run(graph, { refresh: 'all' }).result;
    expect(ran.sort()).toEqual(['a', 'b', 'useA']);
    expect(made).toHaveLength(4);
  });

  it('refuses a node to refresh that is not in the graph, naming it, and runs nothing', () => {
    const { engine, graph, ran } = setup();
    expect(() => engine.run(graph, { refresh: ['a', 'typo'] })).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ path: ['refresh', 1], code: 'run.unknown-refresh' })],
      }),
    );
    expect(ran).toEqual([]);
  });
});
