import { produce } from 'immer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod/mini';
import { applyChanges } from './changes';
import type { GraphDocument } from './document';
import { createEngine, type EngineOptions } from './engine';
import { keyPreimage } from './engine/key-preimage';
import { GraphError, NodeRunError } from './errors';
import type { RunEvent } from './events';
import { examplePack } from './example-pack';
import { canonicalJson, sha256Hex } from './hash';
import { createRegistry, defineNode, definePack } from './node';
import { type CacheEntry, type CacheStore, createMemoryStore } from './store';
import { doc, edge, node, sampleDoc } from './test/fixtures';
import { t } from './types';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

/** Probe nodes whose behaviour the params choose and whose calls the test can count and hold. */
function probes() {
  const calls: string[] = [];
  const gates = new Map<string, Gate>();
  const seenSignals = new Map<string, { aborted: boolean }>();
  let running = 0;
  let peak = 0;
  const gate = (id: string): Gate => {
    let g = gates.get(id);
    if (!g) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      g = { promise, open };
      gates.set(id, g);
    }
    return g;
  };
  const probe = defineNode({
    type: 'probe.node',
    version: 1,
    params: z.object({
      value: z._default(z.number(), 1),
      fail: z.optional(z.string()),
      wait: z._default(z.boolean(), false),
      resource: z.optional(z.string()),
      policy: z._default(z.enum(['pure', 'run', 'never']), 'pure'),
      mutate: z._default(z.boolean(), false),
      secret: z.optional(z.string()),
      volatileValue: z._default(z.boolean(), false),
    }),
    inputs: { in: { type: t.any(), multiple: true, optional: true } },
    outputs: { out: { type: t.any() } },
    cache: (p) => p.policy,
    resources: (p) => (p.resource ? [p.resource] : []),
    async run(ctx) {
      calls.push(ctx.nodeId);
      running++;
      peak = Math.max(peak, running);
      seenSignals.set(ctx.nodeId, ctx.signal);
      try {
        if (ctx.params.wait) {
          await Promise.race([
            gate(ctx.nodeId).promise,
            new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
          ]);
        }
        if (ctx.params.fail) throw new NodeRunError('probe.fail', ctx.params.fail);
        if (ctx.params.mutate) (ctx.inputs.in[0]!.value as number[]).push(9);
        if (ctx.params.secret) return { out: ctx.params.secret };
        let out: unknown = ctx.params.value;
        if (ctx.inputs.in.length > 0) {
          out = ctx.inputs.in.map((i) => i.value);
        }
        if (ctx.params.volatileValue) out = 1000 + calls.length;
        return { out };
      } finally {
        running--;
      }
    },
  });
  const effects: string[] = [];
  const effectNode = defineNode({
    type: 'probe.effect',
    version: 1,
    params: z.object({ name: z.string(), crash: z._default(z.boolean(), false) }),
    outputs: { id: { type: t.string() } },
    sideEffects: true,
    async run(ctx) {
      const id = await ctx.effect('create', {
        intent: { name: ctx.params.name },
        perform: async () => {
          effects.push(ctx.params.name);
          if (ctx.params.crash) throw new Error('connection reset after the remote call');
          return `remote-${ctx.params.name}`;
        },
        reconcile: async (intent) => {
          effects.push(`reconcile:${(intent as { name: string }).name}`);
          return `found-${(intent as { name: string }).name}`;
        },
      });
      return { id };
    },
  });
  const service = defineNode({
    type: 'probe.service',
    version: 1,
    params: z.object({}),
    outputs: { greeting: { type: t.string() } },
    async run(ctx) {
      const greeter = ctx.services.get<{ hello(): string }>('greeter');
      ctx.progress(2, 'half');
      ctx.log.info('greeting', { n: 1 });
      const ref = await ctx.blobs.put(new Uint8Array([1, 2, 3]), 'application/octet-stream');
      const bytes = await ctx.blobs.get(ref);
      return { greeting: `${greeter.hello()} ${bytes?.length}` };
    },
  });
  const registry = createRegistry(
    examplePack,
    definePack({ name: 'probe', nodes: [probe, effectNode, service] }),
  );
  return {
    registry,
    calls,
    effects,
    gate,
    seenSignals,
    peak: () => peak,
    running: () => running,
  };
}

function engineWith(p: ReturnType<typeof probes>, extra: Partial<EngineOptions> = {}) {
  return createEngine({ registry: p.registry, now: () => 1000, ...extra });
}

function p(id: string, params: Record<string, unknown> = {}) {
  return node(id, 'probe.node', params);
}

/** Resolves pending microtasks until `check` is true (no timers involved). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await Promise.resolve();
  if (!check()) throw new Error('condition never became true');
}

describe('engine.run', () => {
  it('runs nodes in topological order and returns every outcome', async () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const result = await engine.run(sampleDoc()).result;
    expect(result.status).toBe('succeeded');
    expect(result.nodes.sum).toMatchObject({ status: 'succeeded', outputs: { sum: 8 } });
    expect(result.nodes.text?.outputs).toEqual({ text: 'sum=8' });
    expect(Object.keys(result.nodes)).toEqual(['a', 'b', 'sum', 'text']);
  });

  it('keeps the order of connections into a multiple input', async () => {
    const probe = probes();
    const d = doc(
      [p('x', { value: 1 }), p('y', { value: 2 }), p('z', { value: 3 }), p('m')],
      [edge('e1', 'z.out', 'm.in'), edge('e2', 'x.out', 'm.in'), edge('e3', 'y.out', 'm.in')],
    );
    const result = await engineWith(probe).run(d).result;
    expect(result.nodes.m?.outputs).toEqual({ out: [3, 1, 2] });
  });

  it('runs independent branches concurrently within the global limit', async () => {
    const probe = probes();
    const d = doc(['a', 'b', 'c', 'd', 'e'].map((id) => p(id, { wait: true })));
    const handle = engineWith(probe, { concurrency: 2 }).run(d);
    await until(() => probe.running() === 2);
    expect(probe.calls).toHaveLength(2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) probe.gate(id).open();
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(probe.peak()).toBe(2);
  });

  it('holds nodes that share a limited resource while others run', async () => {
    const probe = probes();
    const d = doc([
      p('r1', { wait: true, resource: 'provider:x', value: 1 }),
      p('r2', { wait: true, resource: 'provider:x', value: 2 }),
      p('free', { wait: true, value: 3 }),
    ]);
    const handle = engineWith(probe, { concurrency: 8, limits: { 'provider:x': 1 } }).run(d);
    await until(() => probe.running() === 2);
    expect(new Set(probe.calls)).toEqual(new Set(['r1', 'free']));
    probe.gate('r1').open();
    await until(() => probe.calls.includes('r2'));
    probe.gate('r2').open();
    probe.gate('free').open();
    expect((await handle.result).status).toBe('succeeded');
  });

  it('skips what depends on a failed node and lets other branches finish', async () => {
    const probe = probes();
    const d = doc(
      [p('bad', { fail: 'the provider said no' }), p('after'), p('after2'), p('other')],
      [edge('e1', 'bad.out', 'after.in'), edge('e2', 'after.out', 'after2.in')],
    );
    const result = await engineWith(probe).run(d).result;
    expect(result.status).toBe('failed');
    expect(result.nodes.bad).toMatchObject({
      status: 'failed',
      error: { code: 'probe.fail', message: 'the provider said no' },
    });
    expect(result.nodes.after).toMatchObject({ status: 'skipped', because: 'Upstream node "bad" failed.' });
    expect(result.nodes.after2?.status).toBe('skipped');
    expect(result.nodes.other?.status).toBe('succeeded');
    expect(probe.calls).not.toContain('after');
  });

  it('cancels: running nodes see the signal, the rest are marked cancelled', async () => {
    const probe = probes();
    const d = doc([p('slow', { wait: true }), p('next')], [edge('e1', 'slow.out', 'next.in')]);
    const handle = engineWith(probe).run(d);
    const events: RunEvent[] = [];
    handle.subscribe((e) => events.push(e));
    await until(() => probe.running() === 1);
    handle.cancel();
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(probe.seenSignals.get('slow')?.aborted).toBe(true);
    expect(result.nodes.slow?.status).toBe('cancelled');
    expect(result.nodes.next?.status).toBe('cancelled');
    expect(events.filter((e) => e.type === 'node.cancelled')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(probe.calls).toEqual(['slow']);
  });

  describe('after a cancel', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    /** A node that, when aborted, runs an async cleanup the test releases (a provider's cancel call). */
    function cleanupPack(log: string[], release: Promise<void>, honour: boolean) {
      const stopper = defineNode({
        type: 'probe.stopper',
        version: 1,
        params: z.object({}),
        outputs: { out: { type: t.any() } },
        async run(ctx) {
          log.push('started');
          if (!honour) return new Promise<never>(() => {});
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          log.push('asked to stop');
          await release;
          log.push('cleaned up');
          throw ctx.signal.reason;
        },
      });
      return createRegistry(definePack({ name: 'stop', nodes: [stopper] }));
    }

    it('waits for a running node to finish its cleanup before the run finishes', async () => {
      const log: string[] = [];
      let open!: () => void;
      const release = new Promise<void>((resolve) => {
        open = resolve;
      });
      const engine = createEngine({ registry: cleanupPack(log, release, true) });
      const handle = engine.run(doc([node('train', 'probe.stopper', {})]));
      await until(() => log.includes('started'));
      handle.cancel();
      let finished = false;
      void handle.result.then(() => {
        finished = true;
      });
      await until(() => log.includes('asked to stop'));
      for (let i = 0; i < 50; i++) await Promise.resolve();
      expect(finished).toBe(false);
      expect(handle.getSnapshot().nodes.train?.status).toBe('cancelled');
      open();
      const result = await handle.result;
      expect(log).toEqual(['started', 'asked to stop', 'cleaned up']);
      expect(result.status).toBe('cancelled');
    });

    it('finishes after cancelGraceMs when a node ignores the signal', async () => {
      vi.useFakeTimers();
      const log: string[] = [];
      const engine = createEngine({
        registry: cleanupPack(log, Promise.resolve(), false),
        cancelGraceMs: 5_000,
      });
      const handle = engine.run(doc([node('stuck', 'probe.stopper', {})]));
      await until(() => log.includes('started'));
      handle.cancel();
      let finished = false;
      void handle.result.then(() => {
        finished = true;
      });
      await vi.advanceTimersByTimeAsync(4_999);
      expect(finished).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(finished).toBe(true);
      expect((await handle.result).nodes.stuck?.status).toBe('cancelled');
    });
  });

  it('cancels through an AbortSignal the caller owns', async () => {
    const probe = probes();
    const controller = new AbortController();
    const handle = engineWith(probe).run(doc([p('slow', { wait: true })]), { signal: controller.signal });
    await until(() => probe.running() === 1);
    controller.abort();
    expect((await handle.result).status).toBe('cancelled');
    const already = new AbortController();
    already.abort();
    const second = await engineWith(probe).run(doc([p('x')]), { signal: already.signal }).result;
    expect(second.nodes.x?.status).toBe('cancelled');
  });

  it('emits one ordered stream of events with a stable snapshot', async () => {
    const engine = createEngine({ registry: createRegistry(examplePack), now: () => 5 });
    const handle = engine.run(doc([node('a', 'example.number', { value: 1 })]));
    const events: RunEvent[] = [];
    handle.subscribe((e) => events.push(e));
    handle.subscribe(() => {
      throw new Error('a broken subscriber');
    });
    const first = handle.getSnapshot();
    expect(handle.getSnapshot()).toBe(first);
    await handle.result;
    expect(events.map((e) => e.type)).toEqual([
      'run.started',
      'node.queued',
      'node.started',
      'node.succeeded',
      'run.finished',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events.every((e) => e.runId === handle.runId && e.at === 5)).toBe(true);
    const last = handle.getSnapshot();
    expect(last).not.toBe(first);
    expect(last.status).toBe('succeeded');
    expect(last.nodes.a?.status).toBe('succeeded');
    expect(Object.isFrozen(last.nodes)).toBe(true);
  });

  it('hands each node’s outputs to its succeeded or cached event and the snapshot, before the run ends', async () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const d = doc([node('a', 'example.number', { value: 4 })]);
    const seen: Array<{ type: string; outputs: unknown; snapshot: unknown }> = [];
    const first = engine.run(d);
    first.subscribe((e) => {
      if (e.type === 'node.succeeded' || e.type === 'node.cached')
        seen.push({ type: e.type, outputs: e.outputs, snapshot: first.getSnapshot().nodes.a?.outputs });
    });
    await first.result;
    const second = engine.run(d);
    second.subscribe((e) => {
      if (e.type === 'node.succeeded' || e.type === 'node.cached')
        seen.push({ type: e.type, outputs: e.outputs, snapshot: second.getSnapshot().nodes.a?.outputs });
    });
    await second.result;
    expect(seen).toEqual([
      { type: 'node.succeeded', outputs: { value: 4 }, snapshot: { value: 4 } },
      { type: 'node.cached', outputs: { value: 4 }, snapshot: { value: 4 } },
    ]);
  });

  it('keeps the snapshot current even when nobody subscribes', async () => {
    const probe = probes();
    const handle = engineWith(probe).run(doc([p('fast'), p('slow', { wait: true })]));
    const first = handle.getSnapshot();
    await until(() => handle.getSnapshot().nodes.fast?.status === 'succeeded');
    expect(first.nodes.fast?.status).not.toBe('succeeded');
    expect(handle.getSnapshot().nodes.slow?.status).toBe('running');
    probe.gate('slow').open();
    await handle.result;
    expect(handle.getSnapshot().nodes.slow?.status).toBe('succeeded');
  });

  it('gives services, progress, redacting logs and blobs to nodes', async () => {
    const probe = probes();
    const engine = engineWith(probe, { services: { greeter: { hello: () => 'hi' } } });
    const handle = engine.run(doc([node('s', 'probe.service')]));
    const events: RunEvent[] = [];
    handle.subscribe((e) => events.push(e));
    const result = await handle.result;
    expect(result.nodes.s?.outputs).toEqual({ greeting: 'hi 3' });
    expect(events.find((e) => e.type === 'node.progress')).toMatchObject({ fraction: 1, message: 'half' });
    expect(events.find((e) => e.type === 'node.log')).toMatchObject({
      level: 'info',
      message: 'greeting {"n":1}',
    });
    const missing = await engineWith(probe).run(doc([node('s', 'probe.service')])).result;
    expect(missing.nodes.s?.error?.code).toBe('service.missing');
    expect(missing.nodes.s?.error?.message).toContain('"greeter"');
  });

  it('fails a node whose outputs are missing or not JSON', async () => {
    const bad = defineNode({
      type: 'bad.outputs',
      version: 1,
      params: z.object({ mode: z.enum(['missing', 'date']) }),
      outputs: { out: { type: t.any() } },
      async run(ctx) {
        return ctx.params.mode === 'missing' ? ({} as { out: unknown }) : { out: new Date(0) };
      },
    });
    const engine = createEngine({ registry: createRegistry(definePack({ name: 'bad', nodes: [bad] })) });
    const result = await engine.run(
      doc([node('m', 'bad.outputs', { mode: 'missing' }), node('d', 'bad.outputs', { mode: 'date' })]),
    ).result;
    expect(result.nodes.m?.error?.code).toBe('node.output-missing');
    expect(result.nodes.d?.error?.code).toBe('node.output-invalid');
  });

  it('throws one actionable GraphError for an invalid graph or an unknown target', () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const invalid = doc([node('x', 'nope')]);
    expect(() => engine.run(invalid)).toThrow(GraphError);
    expect(() => engine.run(invalid)).toThrow(/call engine.validate\(doc\)/);
    try {
      engine.plan(sampleDoc(), { targets: ['ghost'] });
      expect.unreachable();
    } catch (error) {
      expect((error as GraphError).issues[0]).toMatchObject({
        code: 'plan.unknown-target',
        path: ['targets', 0],
      });
    }
  });

  it('refuses wrong options with one sentence naming the option', () => {
    const registry = createRegistry(examplePack);
    expect(() => createEngine({ registry, concurrency: 0 })).toThrow('createEngine: "concurrency": ');
    expect(() => createEngine({ registry, limits: { 'provider:x': -1 } })).toThrow(/"limits.provider:x"/);
    expect(() => createEngine({ registry: {} as never })).toThrow(/createRegistry/);
    const engine = createEngine({ registry });
    expect(() => engine.run(sampleDoc(), { targets: 'sum' as never })).toThrow(/engine.run: "targets"/);
  });

  it('reuses what it learnt about a frozen document, and notices packs registered later', async () => {
    const registry = createRegistry();
    const engine = createEngine({ registry });
    const frozen = produce(sampleDoc(), () => {});
    expect(engine.validate(frozen).issues.map((i) => i.code)).toContain('node.unknown-type');
    registry.register(examplePack);
    expect(engine.validate(frozen)).toEqual({ ok: true, issues: [] });
    const keys = engine.plan(frozen).keys;
    expect((await engine.run(frozen).result).nodes.text?.outputs).toEqual({ text: 'sum=8' });
    const again = await engine.run(frozen).result;
    expect(Object.values(again.nodes).every((o) => o.status === 'cached')).toBe(true);
    expect(again.nodes.sum?.key).toBe(keys.sum);
    const edited = produce(frozen, (d) => {
      d.nodes[0]!.params = { value: 10 };
    });
    const after = await engine.run(edited).result;
    expect(after.nodes.text?.outputs).toEqual({ text: 'sum=16' });
    expect(after.nodes.b?.status).toBe('cached');
  });

  it('does not trust a document that is frozen only on the surface', () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const d = sampleDoc();
    Object.freeze(d);
    Object.freeze(d.nodes);
    Object.freeze(d.nodes[0]);
    const before = engine.plan(d).keys.a;
    d.nodes[0]!.params!.value = 40;
    expect(engine.validate(d).ok).toBe(true);
    expect(engine.plan(d).keys.a).not.toBe(before);
    d.nodes[0]!.params!.value = 'forty';
    expect(engine.validate(d).issues.map((i) => i.code)).toEqual(['params.invalid']);
    expect(engine.validate(null).issues[0]?.code).toBe('document.invalid');
  });

  it('runs only the ancestors of the requested targets', async () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const result = await engine.run(sampleDoc(), { targets: ['sum'] }).result;
    expect(Object.keys(result.nodes)).toEqual(['a', 'b', 'sum']);
    expect(engine.plan(sampleDoc()).targets).toEqual(['text']);
  });
});

describe('caching', () => {
  it('reuses every result on a warm re-run', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d = doc([p('a'), p('b'), p('c')], [edge('e1', 'a.out', 'b.in'), edge('e2', 'b.out', 'c.in')]);
    await engine.run(d).result;
    const second = await engine.run(d).result;
    expect(probe.calls).toEqual(['a', 'b', 'c']);
    expect(Object.values(second.nodes).map((n) => n.status)).toEqual(['cached', 'cached', 'cached']);
    expect(second.nodes.c?.outputs).toEqual({ out: [[1]] });
  });

  it("uses a store's synchronous capabilities when it offers them, and its promises when it does not", async () => {
    const calls: string[] = [];
    const counted = <T extends object>(store: T): T =>
      new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== 'function' || typeof name !== 'string') return value;
          return (...args: unknown[]) => {
            calls.push(name);
            return value.apply(target, args);
          };
        },
      });
    const d = doc(
      [node('a', 'example.number', { value: 1 }), node('b', 'example.format')],
      [edge('e', 'a.value', 'b.value')],
    );
    const registry = createRegistry(examplePack);
    const sync = createEngine({ registry, cache: counted(createMemoryStore()) });
    await sync.run(d).result;
    expect(await sync.run(d).result).toMatchObject({ status: 'succeeded' });
    expect(calls.sort()).toEqual(['getSync', 'getSync', 'getSync', 'getSync', 'putFrozen', 'putFrozen']);
    calls.length = 0;
    // the same store seen through its promise methods only: the engine reads and writes through them
    const inner = createMemoryStore();
    const plain: CacheStore = counted({
      get: (key: string) => inner.get(key),
      has: (key: string) => inner.has(key),
      put: (key: string, entry: CacheEntry) => inner.put(key, entry),
      delete: (key: string) => inner.delete(key),
      putBlob: (bytes: Uint8Array, mime: string) => inner.putBlob(bytes, mime),
      getBlob: (hash: string) => inner.getBlob(hash),
    });
    const async = createEngine({ registry, cache: plain });
    await async.run(d).result;
    const warm = await async.run(d).result;
    expect(Object.values(warm.nodes).map((n) => n.status)).toEqual(['cached', 'cached']);
    expect(calls.sort()).toEqual(['get', 'get', 'get', 'get', 'put', 'put']);
  });

  it('re-runs only what is downstream of a changed param', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d = doc(
      [p('a'), p('mid'), p('end'), p('side')],
      [edge('e1', 'a.out', 'mid.in'), edge('e2', 'mid.out', 'end.in'), edge('e3', 'a.out', 'side.in')],
    );
    await engine.run(d).result;
    probe.calls.length = 0;
    d.nodes[1]!.params = { value: 2 };
    const result = await engine.run(d).result;
    expect(probe.calls).toEqual(['mid', 'end']);
    expect(result.nodes.side?.status).toBe('cached');
  });

  it('keys change with per-connection settings and connection order', async () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const d = sampleDoc();
    const before = engine.plan(d).keys.sum;
    d.edges[1]!.settings = { weight: 3 };
    const heavier = engine.plan(d).keys.sum;
    [d.edges[0], d.edges[1]] = [d.edges[1]!, d.edges[0]!];
    const swapped = engine.plan(d).keys.sum;
    expect(new Set([before, heavier, swapped]).size).toBe(3);
    expect(engine.plan(sampleDoc()).keys.sum).toBe(before);
  });

  it("computes each key as SHA-256 of the documented preimage over its inputs' keys", () => {
    const engine = createEngine({ registry: createRegistry(examplePack) });
    const { keys } = engine.plan(sampleDoc());
    const a = sha256Hex(keyPreimage('example.number', 1, canonicalJson({ value: 2 }), [], null));
    expect(keys.a).toBe(a);
    // the same digest Python's hashlib gives for that preimage: keys are stable across engines and machines
    expect(keys.a).toBe('1aa499f802019f2b8e778001b89dcb4e9a3e99ebc341d4841fc7fb36ceed6585');
    const sum = sha256Hex(
      keyPreimage(
        'example.add',
        1,
        canonicalJson({ offset: 0 }),
        [
          { port: 'terms', from: keys.a!, fromPort: 'value', settings: { weight: 1 } },
          { port: 'terms', from: keys.b!, fromPort: 'value', settings: { weight: 2 } },
        ],
        null,
      ),
    );
    expect(keys.sum).toBe(sum);
  });

  it('gives the same keys with the default hash and an injected one', () => {
    const registry = createRegistry(examplePack);
    const counted: string[] = [];
    const spy = Object.assign(
      (text: string) => {
        counted.push(text);
        return createEngine({ registry }).hash(text);
      },
      { label: 'spy' },
    );
    expect(createEngine({ registry, hash: spy }).plan(sampleDoc()).keys).toEqual(
      createEngine({ registry }).plan(sampleDoc()).keys,
    );
    expect(counted.length).toBeGreaterThan(0);
  });

  it('does not reuse run-policy results across runs, but does when a run is resumed', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d = doc([p('list', { policy: 'run' })]);
    const first = await engine.run(d).result;
    await engine.run(d).result;
    expect(probe.calls).toEqual(['list', 'list']);
    const resumed = await engine.run(d, { runId: first.runId }).result;
    expect(resumed.nodes.list?.status).toBe('cached');
  });

  it('never stores never-policy results', async () => {
    const probe = probes();
    const store = createMemoryStore();
    const engine = engineWith(probe, { cache: store });
    await engine.run(doc([p('rand', { policy: 'never' })])).result;
    expect(store.size.entries).toBe(0);
  });

  it('reuses a pure node downstream of a volatile one when the volatile output is unchanged', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d = doc([p('list', { policy: 'run' }), p('train')], [edge('e1', 'list.out', 'train.in')]);
    await engine.run(d).result;
    const again = await engine.run(d).result;
    expect(probe.calls).toEqual(['list', 'train', 'list']);
    expect(again.nodes.train?.status).toBe('cached');
    const changing = doc(
      [p('list', { policy: 'run', volatileValue: true }), p('train')],
      [edge('e1', 'list.out', 'train.in')],
    );
    probe.calls.length = 0;
    await engine.run(changing).result;
    await engine.run(changing).result;
    expect(probe.calls).toEqual(['list', 'train', 'list', 'train']);
  });

  it('freezes values so a consumer cannot change them for the next one', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d = doc(
      [p('src0'), p('src'), p('user', { mutate: true })],
      [edge('e0', 'src0.out', 'src.in'), edge('e1', 'src.out', 'user.in')],
    );
    const result = await engine.run(d).result;
    expect(result.nodes.user?.error?.message).toMatch(/not extensible|read.only|frozen/i);
    expect(Object.isFrozen(result.nodes.src?.outputs)).toBe(true);
    const cached = await engine.cache.get(result.nodes.src!.key);
    expect(Object.isFrozen(cached?.outputs)).toBe(true);
  });
});

describe('account scope', () => {
  const scoped = defineNode({
    type: 'scoped.model',
    version: 1,
    params: z.object({ name: z.string() }),
    outputs: { id: { type: t.string() } },
    scope: ['provider'],
    async run(ctx) {
      return { id: `${ctx.services.get<{ project: string }>('provider').project}/${ctx.params.name}` };
    },
  });
  const use = defineNode({
    type: 'scoped.use',
    version: 1,
    params: z.object({}),
    inputs: { id: { type: t.string() } },
    outputs: { out: { type: t.string() } },
    async run(ctx) {
      return { out: `used ${String(ctx.inputs.id)}` };
    },
  });
  const registry = createRegistry(definePack({ name: 'scoped', nodes: [scoped, use] }));
  const provider = (project: string, secret: string) => ({
    project,
    cacheScope: (hash: (s: string) => string) => hash(`provider\n${secret}\n${project}`),
  });
  const d = doc(
    [node('m', 'scoped.model', { name: 'cat' }), node('u', 'scoped.use')],
    [edge('e', 'm.id', 'u.id')],
  );

  it('never reuses a result made with one account with another, down the whole graph', async () => {
    const cache = createMemoryStore();
    const a = createEngine({ registry, cache, services: { provider: provider('proj_a', 'sk-a-secret') } });
    const b = createEngine({ registry, cache, services: { provider: provider('proj_b', 'sk-b-secret') } });
    const again = createEngine({
      registry,
      cache,
      services: { provider: provider('proj_a', 'sk-a-secret') },
    });
    const first = await a.run(d).result;
    expect(first.nodes.u?.outputs).toEqual({ out: 'used proj_a/cat' });
    const other = await b.run(d).result;
    expect(other.nodes.m?.status).toBe('succeeded');
    expect(other.nodes.u?.outputs).toEqual({ out: 'used proj_b/cat' });
    expect(other.nodes.m?.key).not.toBe(first.nodes.m?.key);
    expect(other.nodes.u?.key).not.toBe(first.nodes.u?.key);
    const same = await again.run(d).result;
    expect([same.nodes.m?.status, same.nodes.u?.status]).toEqual(['cached', 'cached']);
    expect((await again.explain(d)).map((e) => e.reason.code)).toEqual(['cache.hit', 'cache.hit']);
    expect(JSON.stringify(await cache.get(first.nodes.m!.key))).not.toContain('sk-a-secret');
  });

  it('keys the consumers of a scoped node that runs every time by its account too, not by its output alone', async () => {
    const listing = defineNode({
      type: 'scoped.list',
      version: 1,
      params: z.object({}),
      outputs: { id: { type: t.string() } },
      cache: 'run',
      scope: () => ['provider'],
      async run() {
        // the same answer in both accounts: only the scope tells the results apart
        return { id: 'model_1' };
      },
    });
    const reg = createRegistry(definePack({ name: 'listing', nodes: [listing, use] }));
    const cache = createMemoryStore();
    const g = doc([node('l', 'scoped.list'), node('u', 'scoped.use')], [edge('e', 'l.id', 'u.id')]);
    const a = createEngine({ registry: reg, cache, services: { provider: provider('proj_a', 'sk-a') } });
    const b = createEngine({ registry: reg, cache, services: { provider: provider('proj_b', 'sk-b') } });
    const first = await a.run(g).result;
    expect((await a.run(g).result).nodes.u?.status).toBe('cached');
    const other = await b.run(g).result;
    expect(other.nodes.u?.status).toBe('succeeded');
    expect(other.nodes.u?.key).not.toBe(first.nodes.u?.key);
  });

  it('plans with a service that throws on any use (an unconfigured client), and fails the node when it runs', async () => {
    const unconfigured = new Proxy(
      {},
      {
        get() {
          throw new Error('PROVIDER_KEY is not set');
        },
      },
    );
    const engine = createEngine({ registry, services: { provider: unconfigured } });
    expect(() => engine.plan(d)).not.toThrow();
    const result = await engine.run(d).result;
    expect(result.nodes.m?.error?.message).toContain('PROVIDER_KEY is not set');
    expect(result.nodes.u?.status).toBe('skipped');
  });

  it('leaves the keys of unscoped nodes alone, and a scoped node without the service keeps one key', async () => {
    const plain = createEngine({ registry: createRegistry(examplePack) });
    const withService = createEngine({
      registry: createRegistry(examplePack),
      services: { provider: provider('proj_a', 'sk-a') },
    });
    const numbers = doc([node('n', 'example.number', { value: 2 })]);
    expect(withService.plan(numbers).keys).toEqual(plain.plan(numbers).keys);
    const none = createEngine({ registry });
    const alsoNone = createEngine({ registry, services: { provider: { project: 'x' } } });
    expect(none.plan(d).keys.m).toBe(alsoNone.plan(d).keys.m);
  });
});

describe('side effects', () => {
  it('records intent and result, and does not repeat an effect that completed', async () => {
    const probe = probes();
    const store = createMemoryStore();
    const engine = engineWith(probe, { cache: store });
    const d = doc([node('m', 'probe.effect', { name: 'model' })]);
    const first = await engine.run(d).result;
    expect(first.nodes.m?.outputs).toEqual({ id: 'remote-model' });
    const record = await store.getRecord(`${first.nodes.m!.key}/create`);
    expect(record).toMatchObject({ state: 'done', intent: { name: 'model' }, result: 'remote-model' });
    await store.delete(first.nodes.m!.key);
    const second = await engine.run(d).result;
    expect(second.nodes.m?.status).toBe('succeeded');
    expect(probe.effects).toEqual(['model']);
  });

  it('reconciles an effect whose result was never recorded instead of repeating it', async () => {
    const probe = probes();
    const store = createMemoryStore();
    const engine = engineWith(probe, { cache: store });
    const crashing = doc([node('m', 'probe.effect', { name: 'x', crash: true })]);
    const first = await engine.run(crashing).result;
    expect(first.nodes.m?.status).toBe('failed');
    expect((await store.getRecord(`${first.nodes.m!.key}/create`))?.state).toBe('intent');
    const second = await engine.run(crashing).result;
    expect(second.nodes.m?.outputs).toEqual({ id: 'found-x' });
    expect(probe.effects).toEqual(['x', 'reconcile:x']);
  });

  it('reuses a side-effect result only while its effect is recorded as done', async () => {
    const probe = probes();
    const store = createMemoryStore();
    const journal = createMemoryStore();
    const engine = engineWith(probe, { cache: store, journal });
    const d = doc([node('m', 'probe.effect', { name: 'y' })]);
    await engine.run(d).result;
    expect((await engine.explain(d))[0]?.reason.code).toBe('cache.hit');
    const emptyJournal = engineWith(probe, { cache: store, journal: createMemoryStore() });
    expect((await emptyJournal.explain(d))[0]?.reason.code).toBe('effect.incomplete');
    expect((await emptyJournal.run(d).result).nodes.m?.status).toBe('succeeded');
  });
  it('starts no new effect once the run is cancelled, and settles without waiting for the grace period', async () => {
    const performed: string[] = [];
    let created!: () => void;
    const createdOnce = new Promise<void>((resolve) => {
      created = resolve;
    });
    const twoStep = defineNode({
      type: 'two.step',
      version: 1,
      params: z.object({}),
      outputs: { id: { type: t.string() } },
      sideEffects: true,
      async run(ctx) {
        const model = await ctx.effect('create', {
          intent: { step: 'create' },
          perform: async () => {
            performed.push('create');
            created();
            // the cancel lands while this remote call is in flight
            await new Promise((resolve) => setTimeout(resolve, 5));
            return 'model-1';
          },
        });
        const job = await ctx.effect('train', {
          intent: { model },
          perform: async () => {
            performed.push('train');
            return 'job-1';
          },
        });
        return { id: job };
      },
    });
    const engine = createEngine({
      registry: createRegistry(definePack({ name: 'two', nodes: [twoStep] })),
      cancelGraceMs: 60_000,
    });
    const handle = engine.run(doc([node('m', 'two.step')]));
    await createdOnce;
    handle.cancel();
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(performed).toEqual(['create']);
  });
});

describe('effects whose outcome died since', () => {
  // A remote job the test can cancel: what `reusable` and `valid` ask about.
  function remote() {
    const dead = new Set<string>();
    let made = 0;
    const make = defineNode({
      type: 'remote.make',
      version: 1,
      params: z.object({}),
      outputs: { id: { type: t.string() } },
      sideEffects: true,
      reusable: async ({ outputs, services }) => !services.get<Set<string>>('dead').has(String(outputs.id)),
      async run(ctx) {
        const id = await ctx.effect('make', {
          intent: {},
          perform: async () => `job-${++made}`,
          valid: (r) => !dead.has(r),
        });
        return { id };
      },
    });
    const store = createMemoryStore();
    const engine = createEngine({
      registry: createRegistry(definePack({ name: 'remote', nodes: [make] })),
      cache: store,
      journal: store,
      services: { dead },
    });
    const run = async () => (await engine.run(doc([node('m', 'remote.make')])).result).nodes.m;
    return { dead, run, made: () => made };
  }

  it('makes again, once, what was cancelled since it was cached, and is cached again after', async () => {
    const r = remote();
    expect((await r.run())?.outputs?.id).toBe('job-1');
    expect((await r.run())?.status).toBe('cached');
    r.dead.add('job-1');
    const again = await r.run();
    expect(again).toMatchObject({ status: 'succeeded', outputs: { id: 'job-2' } });
    expect((await r.run())?.status).toBe('cached');
    expect(r.made()).toBe(2);
  });

  it('keeps a cached entry when its reuse check throws: a blip is no evidence the work was lost', async () => {
    const boom = defineNode({
      type: 'remote.blip',
      version: 1,
      params: z.object({}),
      outputs: { n: { type: t.number() } },
      sideEffects: true,
      reusable: async () => {
        throw new Error('network down');
      },
      async run() {
        return { n: 1 };
      },
    });
    const store = createMemoryStore();
    const engine = createEngine({
      registry: createRegistry(definePack({ name: 'blip', nodes: [boom] })),
      cache: store,
      journal: store,
    });
    await engine.run(doc([node('b', 'remote.blip')])).result;
    expect((await engine.run(doc([node('b', 'remote.blip')])).result).nodes.b?.status).toBe('cached');
  });
});

describe('secrets', () => {
  const canary = 'sk-CANARY-9f3b2c';

  it('never lets a secret reach an event, a result, a log line or the cache', async () => {
    const leaky = defineNode({
      type: 'leaky.node',
      version: 1,
      params: z.object({ leakOutput: z._default(z.boolean(), false) }),
      outputs: { out: { type: t.string() } },
      async run(ctx) {
        ctx.log.warn(`calling with key ${canary}`, { header: `Bearer ${canary}` });
        ctx.progress(0.5, `using ${canary}`);
        if (ctx.params.leakOutput) return { out: `token=${canary}` };
        throw new Error(`401 for key ${canary}`);
      },
    });
    const store = createMemoryStore();
    const engine = createEngine({
      registry: createRegistry(definePack({ name: 'leaky', nodes: [leaky] })),
      cache: store,
      secrets: [canary],
    });
    const handle = engine.run(doc([node('a', 'leaky.node'), node('b', 'leaky.node', { leakOutput: true })]));
    const events: RunEvent[] = [];
    handle.subscribe((e) => events.push(e));
    const result = await handle.result;
    const everything = JSON.stringify([events, result, handle.getSnapshot()]);
    expect(everything).not.toContain(canary);
    expect(everything).toContain('[redacted]');
    expect(result.nodes.a?.error?.message).toBe('401 for key [redacted]');
    expect(result.nodes.b?.error?.code).toBe('node.output-secret');
    expect(store.size.entries).toBe(0);
  });
});

describe('engine.explain', () => {
  it('says which param or upstream input makes a node run', async () => {
    const probe = probes();
    const engine = engineWith(probe);
    const d: GraphDocument = doc(
      [p('a'), p('b'), p('c'), p('vol', { policy: 'run' }), p('after')],
      [edge('e1', 'a.out', 'b.in'), edge('e2', 'b.out', 'c.in'), edge('e3', 'vol.out', 'after.in')],
    );
    const cold = await engine.explain(d);
    expect(cold.map((e) => [e.nodeId, e.willRun, e.reason.code])).toEqual([
      ['a', true, 'cache.miss'],
      ['vol', true, 'policy.run'],
      ['b', true, 'cache.miss'],
      ['after', true, 'upstream.volatile'],
      ['c', true, 'cache.miss'],
    ]);
    await engine.run(d).result;
    const warm = await engine.explain(d);
    expect(warm.filter((e) => !e.willRun).map((e) => e.nodeId)).toEqual(['a', 'b', 'c']);
    d.nodes[1]!.params = { value: 5 };
    const edited = await engine.explain(d);
    const byId = Object.fromEntries(edited.map((e) => [e.nodeId, e]));
    expect(byId.a?.willRun).toBe(false);
    expect(byId.b?.reason).toMatchObject({ code: 'params.changed', params: ['value'] });
    expect(byId.b?.reason.message).toBe('"b" runs because the parameter "value" changed.');
    expect(byId.c?.reason).toMatchObject({ code: 'inputs.changed', inputs: ['b'] });
  });

  it('remembers the version that ran last when kept plans of two versions take turns', async () => {
    const cache = createMemoryStore();
    const engine = engineWith(probes(), { cache });
    const start = applyChanges(doc([p('a', { value: 1 }), p('f')]), []);
    if (!start.ok) throw new Error('could not freeze');
    const one = start.value.doc;
    const edit = applyChanges(one, [
      { type: 'params.set', id: 'a', params: { value: 2 } },
      { type: 'params.set', id: 'f', params: { fail: 'not this time' } },
    ]);
    if (!edit.ok) throw new Error('could not edit');
    const two = edit.value.doc;
    await engine.run(one).result;
    await engine.run(one).result; // the same kept plan again: nothing new to remember
    expect((await engine.run(two).result).status).toBe('failed'); // "a" ran in version two, "f" failed
    await engine.run(one).result; // version one ran last, "a" included
    await cache.delete(engine.plan(two).keys.a!);
    // what changed since "a" last ran (version one, value 1) is the param, not a lost entry
    expect((await engine.explain(two)).find((e) => e.nodeId === 'a')?.reason).toMatchObject({
      code: 'params.changed',
      params: ['value'],
    });
  });
});
