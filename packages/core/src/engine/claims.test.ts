import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod/mini';
import type { RunEvent } from '../events';
import { createRegistry, defineNode, definePack } from '../node';
import { createMemoryStore, type MemoryStore } from '../store';
import { doc, edge, node } from '../test/fixtures';
import { t } from '../types';
import { createEngine } from './index';

/** A side-effect node that creates a "model" through the journal, held open until the test lets it finish. */
function remote() {
  const performed: string[] = [];
  const reconciled: string[] = [];
  let release: () => void = () => {};
  let held = Promise.resolve();
  let failNext = false;
  const create = defineNode({
    type: 'remote.create',
    version: 1,
    params: z.object({ name: z.string() }),
    outputs: { id: { type: t.any() } },
    sideEffects: true,
    async run(ctx) {
      const made = await ctx.effect<{ id: string }>('create', {
        intent: { name: ctx.params.name },
        perform: async () => {
          performed.push(ctx.params.name);
          await held;
          if (failNext) {
            failNext = false;
            throw new Error('the provider refused');
          }
          return { id: `model-${ctx.params.name}` };
        },
        reconcile: async (intent) => {
          reconciled.push((intent as { name: string }).name);
          return { id: `found-${(intent as { name: string }).name}` };
        },
      });
      return { id: made.id };
    },
  });
  const prompt = defineNode({
    type: 'remote.prompt',
    version: 1,
    params: z.object({ text: z.string() }),
    inputs: { model: { type: t.any() } },
    outputs: { out: { type: t.any() } },
    run: async (ctx) => ({ out: `${String(ctx.inputs.model)}:${ctx.params.text}` }),
  });
  return {
    registry: createRegistry(definePack({ name: 'remote', nodes: [create, prompt] })),
    performed,
    reconciled,
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    open: () => release(),
    failOnce() {
      failNext = true;
    },
  };
}

const graph = (text: string) =>
  doc(
    [node('m', 'remote.create', { name: 'lantern' }), node('p', 'remote.prompt', { text })],
    [{ ...edge('e', 'm', 'p'), from: { node: 'm', port: 'id' }, to: { node: 'p', port: 'model' } }],
  );

afterEach(() => {
  vi.useRealTimers();
});

describe('single-flight side effects', () => {
  it('performs an effect once for ten concurrent runs of one engine; the others wait, then take the cached result', async () => {
    const r = remote();
    r.hold();
    const engine = createEngine({ registry: r.registry, cache: createMemoryStore() });
    const events: RunEvent[][] = [];
    const handles = Array.from({ length: 10 }, (_, n) => {
      const handle = engine.run(graph(`prompt ${n}`));
      const seen: RunEvent[] = [];
      events.push(seen);
      handle.subscribe((e) => seen.push(e));
      return handle;
    });
    await expect.poll(() => r.performed).toHaveLength(1);
    r.open();
    const results = await Promise.all(handles.map((h) => h.result));
    expect(results.map((x) => x.status)).toEqual(new Array(10).fill('succeeded'));
    expect(r.performed).toEqual(['lantern']);
    expect(results.filter((x) => x.nodes.m?.status === 'succeeded')).toHaveLength(1);
    expect(results.filter((x) => x.nodes.m?.status === 'cached')).toHaveLength(9);
    expect(results[3]?.nodes.p?.outputs).toEqual({ out: 'model-lantern:prompt 3' });
    // a waiting run says whom it waits for, as a progress event of its own
    const waited = events.flat().filter((e) => e.type === 'node.progress' && e.nodeId === 'm');
    expect(waited).toHaveLength(9);
    expect(waited[0]).toMatchObject({
      message: expect.stringMatching(/^waiting for run run-.*, which performs this step$/),
    });
  });

  it('makes a refresh wait for the run performing the step, then take what it made, rather than perform it alongside', async () => {
    const r = remote();
    r.hold();
    const engine = createEngine({ registry: r.registry, cache: createMemoryStore() });
    const first = engine.run(graph('one'));
    await expect.poll(() => r.performed).toHaveLength(1);
    const refreshing = engine.run(graph('two'), { refresh: ['m'] });
    let waiting = false;
    refreshing.subscribe((e) => {
      if (e.type === 'node.progress' && e.nodeId === 'm') waiting = true;
    });
    // the refresh either waits for the holder or (the fault) performs the step alongside it
    await expect.poll(() => waiting || r.performed.length > 1).toBe(true);
    r.open();
    const [x, y] = await Promise.all([first.result, refreshing.result]);
    expect([x.status, y.status]).toEqual(['succeeded', 'succeeded']);
    // what the holder made while the refresh waited is fresh: one call to the provider, not two at once
    expect(r.performed).toEqual(['lantern']);
    expect(y.nodes.m?.status).toBe('cached');
  });

  it('performs a refreshed step anew when no other run holds it, though its result is cached', async () => {
    const r = remote();
    const engine = createEngine({ registry: r.registry, cache: createMemoryStore() });
    expect((await engine.run(graph('one')).result).status).toBe('succeeded');
    const again = await engine.run(graph('one'), { refresh: ['m'] }).result;
    expect(again.nodes.m?.status).toBe('succeeded');
    expect(r.performed).toEqual(['lantern', 'lantern']);
  });

  it('performs an effect once for two engines sharing one store (as two processes would)', async () => {
    const r = remote();
    r.hold();
    const store = createMemoryStore();
    const a = createEngine({ registry: r.registry, cache: store });
    const b = createEngine({ registry: r.registry, cache: store });
    const first = a.run(graph('one'));
    await expect.poll(() => r.performed).toHaveLength(1);
    const second = b.run(graph('two'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    r.open();
    const [x, y] = await Promise.all([first.result, second.result]);
    expect([x.status, y.status]).toEqual(['succeeded', 'succeeded']);
    expect(r.performed).toEqual(['lantern']);
    expect(y.nodes.m?.status).toBe('cached');
  });

  it('lets a waiter take the step on when the holder failed, reconciling what the holder may have done', async () => {
    const r = remote();
    r.hold();
    r.failOnce();
    const engine = createEngine({ registry: r.registry, cache: createMemoryStore() });
    const first = engine.run(graph('one'));
    await expect.poll(() => r.performed).toHaveLength(1);
    const second = engine.run(graph('two'));
    r.open();
    expect((await first.result).status).toBe('failed');
    const after = await second.result;
    expect(after.status).toBe('succeeded');
    // the failed holder left its intent: the waiter asks the provider (the journal's path) before creating again
    expect(r.performed).toEqual(['lantern']);
    expect(r.reconciled).toEqual(['lantern']);
    expect(after.nodes.m?.outputs).toEqual({ id: 'found-lantern' });
  });

  it('takes over a claim whose holder died once it lapses, and reconciles the intent it left instead of performing again', async () => {
    vi.useFakeTimers();
    const r = remote();
    const store: MemoryStore = createMemoryStore();
    const engine = createEngine({ registry: r.registry, cache: store, claimTtlMs: 30_000 });
    // A process died mid-effect: its claim is in the store and its intent in the journal.
    const key = (await engine.explain(graph('x'))).find((e) => e.nodeId === 'm')!.key!;
    await store.claims.acquire(key, 'run-dead@gone', 30_000);
    await store.putRecord({
      key: `${key}/create`,
      state: 'intent',
      intent: { name: 'lantern' },
      at: 0,
      runId: 'run-dead',
    });
    const handle = engine.run(graph('after the crash'));
    const logs: RunEvent[] = [];
    handle.subscribe((e) => logs.push(e));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(handle.getSnapshot().nodes.m?.status).toBe('running');
    expect(r.reconciled).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(r.reconciled).toEqual(['lantern']);
    expect(r.performed).toEqual([]);
    expect(result.nodes.m?.outputs).toEqual({ id: 'found-lantern' });
    expect(logs).toContainEqual(
      expect.objectContaining({ type: 'node.log', message: expect.stringContaining('run-dead@gone') }),
    );
  });

  it('renews a claim while its node runs, so a long effect is not taken over', async () => {
    vi.useFakeTimers();
    const r = remote();
    r.hold();
    const store = createMemoryStore();
    const a = createEngine({ registry: r.registry, cache: store, claimTtlMs: 3_000 });
    const b = createEngine({ registry: r.registry, cache: store, claimTtlMs: 3_000 });
    const first = a.run(graph('one'));
    await vi.advanceTimersByTimeAsync(1);
    const second = b.run(graph('two'));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(r.performed).toEqual(['lantern']);
    r.open();
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await first.result).status).toBe('succeeded');
    expect((await second.result).nodes.m?.status).toBe('cached');
    expect(r.performed).toEqual(['lantern']);
  });

  it('stops waiting when its run is cancelled, and performs nothing', async () => {
    const r = remote();
    r.hold();
    const engine = createEngine({ registry: r.registry, cache: createMemoryStore() });
    const first = engine.run(graph('one'));
    await expect.poll(() => r.performed).toHaveLength(1);
    const second = engine.run(graph('two'));
    await expect.poll(() => second.getSnapshot().nodes.m?.progress).toBeDefined();
    second.cancel();
    expect((await second.result).status).toBe('cancelled');
    r.open();
    expect((await first.result).status).toBe('succeeded');
    expect(r.performed).toEqual(['lantern']);
  });
});

describe('the claim of a node still working when its cancelled run finishes (decision 0031)', () => {
  /** A run cancelled while its node's effect ignores the signal: finished once the grace ran out, its node still working. */
  async function cancelledWhileWorking() {
    vi.useFakeTimers();
    const r = remote();
    r.hold();
    const store = createMemoryStore();
    const engine = createEngine({
      registry: r.registry,
      cache: store,
      claimTtlMs: 3_000,
      cancelGraceMs: 100,
    });
    const key = (await engine.explain(graph('x'))).find((e) => e.nodeId === 'm')!.key!;
    const run = engine.run(graph('one'));
    await vi.advanceTimersByTimeAsync(1);
    expect(r.performed).toEqual(['lantern']);
    run.cancel();
    await vi.advanceTimersByTimeAsync(200);
    expect((await run.result).status).toBe('cancelled');
    const probe = () => store.claims.acquire(key, 'other@probe', 3_000);
    return { r, probe };
  }

  it('is kept until the node’s work settles, then released', async () => {
    const { r, probe } = await cancelledWhileWorking();
    expect(await probe()).toMatchObject({ acquired: false });
    r.open();
    await vi.advanceTimersByTimeAsync(1);
    expect(await probe()).toMatchObject({ acquired: true });
  });

  it('lapses after its ttl when the work never settles, so another run can take the step over', async () => {
    const { probe } = await cancelledWhileWorking();
    // no longer renewed: held for the rest of its life, then free
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await probe()).toMatchObject({ acquired: false });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await probe()).toMatchObject({ acquired: true });
  });
});
