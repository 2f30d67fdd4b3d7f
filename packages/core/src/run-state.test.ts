import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import type { GraphDocument } from './document';
import { createEngine } from './engine';
import { NodeRunError } from './errors';
import type { NodeStatus, RunEvent, RunState } from './events';
import { examplePack } from './example-pack';
import { createRegistry, defineNode, definePack } from './node';
import { CANCELLED_ERROR, createRunStateFold, initialRunState, reduceRunState } from './run-state';
import { createMemoryStore } from './store';
import { doc, edge, node, sampleDoc, testPack } from './test/fixtures';
import { t } from './types';

type Body = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 'runId' | 'at'> : never) : never;

const RUN = 'run_1';
// "__proto__" and "constructor" are node ids like any other: the record must keep them as its own keys
const ids = fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor');
const key = fc.constantFrom('k1', 'k2');
const outputs = fc.oneof(
  fc.dictionary(fc.constantFrom('value', 'images'), fc.integer()),
  // what an older runtime (or a store written by one) may send instead of an outputs record
  fc.constantFrom(undefined, null, [1]),
);
const eventBody: fc.Arbitrary<Body> = fc.oneof(
  fc.record({ type: fc.constant('run.started' as const), nodeIds: fc.uniqueArray(ids, { maxLength: 4 }) }),
  fc.record({
    type: fc.constant('run.finished' as const),
    status: fc.constantFrom('succeeded' as const, 'failed' as const, 'cancelled' as const),
    counts: fc.constant({} as Record<NodeStatus, number>),
  }),
  fc.record({ type: fc.constantFrom('node.queued' as const, 'node.started' as const), nodeId: ids, key }),
  fc.record(
    {
      type: fc.constant('node.progress' as const),
      nodeId: ids,
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      message: fc.string({ maxLength: 4 }),
      detail: fc.dictionary(fc.constantFrom('queuePosition', 'remainingMs'), fc.integer()),
    },
    { requiredKeys: ['type', 'nodeId', 'fraction'] },
  ),
  fc.record({
    type: fc.constant('node.log' as const),
    nodeId: ids,
    level: fc.constant('info' as const),
    message: fc.string({ maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('node.cached' as const), nodeId: ids, key, outputs }) as fc.Arbitrary<Body>,
  fc.record({
    type: fc.constant('node.succeeded' as const),
    nodeId: ids,
    key,
    ms: fc.nat(),
    outputs,
  }) as fc.Arbitrary<Body>,
  fc.record({
    type: fc.constant('node.failed' as const),
    nodeId: ids,
    error: fc.record({ code: fc.constant('node.failed'), message: fc.string({ maxLength: 4 }) }),
  }),
  fc.record({
    type: fc.constant('node.skipped' as const),
    nodeId: ids,
    because: fc.string({ maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('node.cancelled' as const), nodeId: ids }),
);
const events = fc
  .array(eventBody, { maxLength: 40 })
  .map((bodies) => bodies.map((b, i) => ({ ...b, seq: i + 1, runId: RUN, at: 100 + i }) as RunEvent));

const fold = (list: readonly RunEvent[], from: RunState = initialRunState(RUN, 0)) =>
  list.reduce(reduceRunState, from);

// an inherited name ("constructor") is not a node of the record
const ownNode = (state: RunState, id: string) =>
  Object.hasOwn(state.nodes, id) ? state.nodes[id] : undefined;

let seq = 0;
const ev = (body: Body): RunEvent => ({ ...body, seq: ++seq, runId: RUN, at: seq }) as RunEvent;

describe('reduceRunState and createRunStateFold', () => {
  it('give deep-equal states for any sequence of events, read after every event or only at the end', () => {
    fc.assert(
      fc.property(events, fc.boolean(), (list, everyStep) => {
        const incremental = createRunStateFold(initialRunState(RUN, 0));
        let pure = initialRunState(RUN, 0);
        for (const event of list) {
          const before = incremental.getSnapshot();
          const changed = incremental.apply(event);
          pure = reduceRunState(pure, event);
          if (!changed) expect(incremental.getSnapshot()).toBe(before);
          if (!everyStep) continue;
          expect(incremental.getSnapshot()).toEqual(pure);
          if ('nodeId' in event) expect(incremental.node(event.nodeId)).toEqual(ownNode(pure, event.nodeId));
        }
        expect(incremental.getSnapshot()).toEqual(pure);
        const counts = Object.fromEntries(
          ['pending', 'queued', 'running', 'cached', 'succeeded', 'failed', 'skipped', 'cancelled'].map(
            (s) => [s, Object.values(pure.nodes).filter((n) => n.status === s).length],
          ),
        );
        expect(incremental.counts()).toEqual(counts);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the state object of every node an event did not touch, and one snapshot until something changes', () => {
    fc.assert(
      fc.property(events, eventBody, (list, body) => {
        const incremental = createRunStateFold(initialRunState(RUN, 0));
        for (const event of list) incremental.apply(event);
        const before = incremental.getSnapshot();
        expect(incremental.getSnapshot()).toBe(before);
        const event = { ...body, seq: 999, runId: RUN, at: 999 } as RunEvent;
        incremental.apply(event);
        const after = incremental.getSnapshot();
        const pure = reduceRunState(before, event);
        for (const id of Object.keys(before.nodes)) {
          if (event.type === 'run.started' || ('nodeId' in event && event.nodeId === id)) continue;
          expect(after.nodes[id]).toBe(before.nodes[id]);
          expect(pure.nodes[id]).toBe(before.nodes[id]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('continues from any state it is given, as the pure reducer does', () => {
    fc.assert(
      fc.property(events, events, (first, then) => {
        const middle = fold(first);
        const incremental = createRunStateFold(middle);
        expect(incremental.getSnapshot()).toEqual(middle);
        for (const event of then) incremental.apply(event);
        expect(incremental.getSnapshot()).toEqual(fold(then, middle));
      }),
      { numRuns: 100 },
    );
  });

  it('gives outputs to a succeeded or cached node only, and keeps its progress and key', () => {
    const state = fold([
      ev({ type: 'run.started', nodeIds: ['a', 'b'] }),
      ev({ type: 'node.queued', nodeId: 'a', key: 'ka' }),
      ev({ type: 'node.started', nodeId: 'a', key: 'ka' }),
      ev({
        type: 'node.progress',
        nodeId: 'a',
        fraction: 0.5,
        message: 'half',
        detail: { queuePosition: 2 },
      }),
      ev({ type: 'node.succeeded', nodeId: 'a', key: 'ka', ms: 3, outputs: { value: 1 } }),
      ev({ type: 'node.cached', nodeId: 'b', key: 'kb', outputs: { value: 2 } }),
      ev({ type: 'node.queued', nodeId: 'b', key: 'kb2' }),
    ]);
    expect(state.nodes).toEqual({
      a: {
        status: 'succeeded',
        key: 'ka',
        progress: { fraction: 0.5, message: 'half', detail: { queuePosition: 2 } },
        outputs: { value: 1 },
      },
      b: { status: 'queued', key: 'kb2' },
    });
  });

  it('says why a node failed, was skipped or was cancelled', () => {
    const state = fold([
      ev({ type: 'run.started', nodeIds: ['a', 'b', 'c'] }),
      ev({ type: 'node.queued', nodeId: 'a', key: 'ka' }),
      ev({ type: 'node.failed', nodeId: 'a', error: { code: 'probe.fail', message: 'no' } }),
      ev({ type: 'node.skipped', nodeId: 'b', because: 'Upstream node "a" failed.' }),
      ev({ type: 'node.cancelled', nodeId: 'c' }),
      ev({ type: 'run.finished', status: 'cancelled', counts: {} as Record<NodeStatus, number> }),
    ]);
    expect(state).toEqual({
      runId: RUN,
      status: 'cancelled',
      startedAt: state.startedAt,
      finishedAt: seq,
      nodes: {
        a: { status: 'failed', key: 'ka', error: { code: 'probe.fail', message: 'no' } },
        b: { status: 'skipped', key: '', because: 'Upstream node "a" failed.' },
        c: { status: 'cancelled', key: '', error: CANCELLED_ERROR },
      },
    });
  });

  it('starts each attempt afresh: run.started resets the nodes and the end', () => {
    const finished = fold([
      ev({ type: 'run.started', nodeIds: ['a'] }),
      ev({ type: 'node.failed', nodeId: 'a', error: { code: 'x', message: 'x' } }),
      ev({ type: 'run.finished', status: 'failed', counts: {} as Record<NodeStatus, number> }),
    ]);
    const again = ev({ type: 'run.started', nodeIds: ['a', 'b'] });
    const expected = {
      runId: RUN,
      status: 'running',
      startedAt: again.at,
      nodes: { a: { status: 'pending', key: '' }, b: { status: 'pending', key: '' } },
    };
    expect(reduceRunState(finished, again)).toEqual(expected);
    const incremental = createRunStateFold(finished);
    incremental.apply(again);
    expect(incremental.getSnapshot()).toEqual(expected);
    expect(incremental.counts()).toMatchObject({ pending: 2, failed: 0 });
  });

  it('gives frozen states that a reader cannot change under the next snapshot', () => {
    const incremental = createRunStateFold(initialRunState(RUN, 0));
    incremental.apply(ev({ type: 'run.started', nodeIds: ['a'] }));
    incremental.apply(ev({ type: 'node.progress', nodeId: 'a', fraction: 0.1 }));
    const state = incremental.getSnapshot();
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.nodes)).toBe(true);
    expect(Object.isFrozen(state.nodes.a)).toBe(true);
    expect(Object.isFrozen(state.nodes.a?.progress)).toBe(true);
    expect(Object.isFrozen(incremental.counts())).toBe(true);
  });
});

/** Nodes that report progress, fail on request, or wait until the run is cancelled. */
const probe = defineNode({
  type: 'fold.probe',
  version: 1,
  params: z.object({ fail: z._default(z.boolean(), false), hold: z._default(z.boolean(), false) }),
  inputs: { in: { type: t.any(), multiple: true, optional: true } },
  outputs: { out: { type: t.any() } },
  async run(ctx) {
    ctx.progress(0.25, 'warming up', { queuePosition: 3 });
    ctx.log.info('a log line changes no state');
    if (ctx.params.fail) throw new NodeRunError('probe.fail', 'The probe was told to fail.');
    if (ctx.params.hold) {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    }
    ctx.progress(1, 'done');
    return { out: ctx.inputs.in.length };
  },
});
const registry = createRegistry(examplePack, testPack, definePack({ name: 'fold', nodes: [probe] }));

/** Runs `d` on `engine`, and holds the engine's final snapshot equal to the fold of the events it emitted. */
async function expectSnapshotIsFold(
  engine: ReturnType<typeof createEngine>,
  d: GraphDocument,
  o: { cancelWhen?: (e: RunEvent) => boolean } = {},
): Promise<RunState> {
  const handle = engine.run(d);
  const seen: RunEvent[] = [];
  handle.subscribe((e) => {
    seen.push(e);
    if (o.cancelWhen?.(e)) queueMicrotask(() => handle.cancel());
  });
  await handle.result;
  const folded = seen.reduce(reduceRunState, initialRunState(handle.runId, 0));
  expect(handle.getSnapshot()).toEqual(folded);
  const incremental = createRunStateFold(initialRunState(handle.runId, 0));
  for (const e of seen) incremental.apply(e);
  expect(incremental.getSnapshot()).toEqual(folded);
  return folded;
}

describe("the engine's snapshot", () => {
  // one clock value: the engine's startedAt is read when the run is made, the fold's from run.started
  const engineOptions = () => {
    const store = createMemoryStore();
    return { registry, cache: store, journal: store, now: () => 7 };
  };

  it('equals the fold of its events for a run that succeeds, then for the same run from the cache', async () => {
    const engine = createEngine(engineOptions());
    const first = await expectSnapshotIsFold(engine, sampleDoc());
    expect(first.nodes.text).toMatchObject({ status: 'succeeded', outputs: { text: 'sum=8' } });
    const second = await expectSnapshotIsFold(engine, sampleDoc());
    expect(second.nodes.text).toMatchObject({ status: 'cached', outputs: { text: 'sum=8' } });
  });

  it('equals the fold of its events for a run with progress, a failure and the nodes it skips', async () => {
    const d = doc(
      [
        node('ok', 'fold.probe'),
        node('bad', 'fold.probe', { fail: true }),
        node('after', 'fold.probe'),
        node('last', 'fold.probe'),
      ],
      [
        edge('e1', 'bad.out', 'after.in'),
        edge('e2', 'after.out', 'last.in'),
        edge('e3', 'ok.out', 'last.in'),
      ],
    );
    const state = await expectSnapshotIsFold(createEngine(engineOptions()), d);
    expect(state.status).toBe('failed');
    expect(state.nodes.ok).toMatchObject({ status: 'succeeded', progress: { fraction: 1, message: 'done' } });
    expect(state.nodes.bad).toMatchObject({ status: 'failed', progress: { fraction: 0.25 } });
    expect(state.nodes.last).toMatchObject({ status: 'skipped', because: 'Upstream node "bad" failed.' });
  });

  it('equals the fold of the events so far at every event, and is folded with nobody listening', async () => {
    const d = doc(
      [node('ok', 'fold.probe'), node('bad', 'fold.probe', { fail: true }), node('after', 'fold.probe')],
      [edge('e1', 'bad.out', 'after.in')],
    );
    const engine = createEngine(engineOptions());
    const handle = engine.run(d);
    const seen: RunEvent[] = [];
    const mismatches: string[] = [];
    handle.subscribe((e) => {
      seen.push(e);
      // a listener's throw is swallowed by the run: mismatches are collected and asserted after
      const folded = seen.reduce(reduceRunState, initialRunState(handle.runId, 0));
      if (JSON.stringify(handle.getSnapshot()) !== JSON.stringify(folded)) mismatches.push(e.type);
    });
    await handle.result;
    expect(mismatches).toEqual([]);
    const quiet = engine.run(d);
    await quiet.result;
    const nodes = quiet.getSnapshot().nodes;
    expect(Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, n.status]))).toEqual({
      ok: 'cached',
      bad: 'failed',
      after: 'skipped',
    });
    expect(nodes.ok).toMatchObject({ outputs: { out: 0 } });
    expect(nodes.bad).toMatchObject({ progress: { fraction: 0.25, detail: { queuePosition: 3 } } });
    expect(Object.isFrozen(nodes.bad?.error)).toBe(true);
  });

  it('equals the fold of its events for a cancelled run', async () => {
    const d = doc(
      [node('held', 'fold.probe', { hold: true }), node('next', 'fold.probe'), node('free', 'fold.probe')],
      [edge('e1', 'held.out', 'next.in')],
    );
    const state = await expectSnapshotIsFold(createEngine(engineOptions()), d, {
      cancelWhen: (e) => e.type === 'node.progress' && e.nodeId === 'held',
    });
    expect(state.status).toBe('cancelled');
    expect(state.nodes.held).toMatchObject({ status: 'cancelled', error: CANCELLED_ERROR });
    expect(state.nodes.next).toMatchObject({ status: 'cancelled', error: CANCELLED_ERROR });
  });
});
