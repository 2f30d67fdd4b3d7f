import {
  type GraphDocument,
  type RunEvent,
  type RunHandle,
  type RunResult,
  validateGraph,
} from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createCatalogue } from '../catalogue';
import type { EditorRuntime } from '../runtime-types';
import { pipelineDocument } from '../test/graphs';
import { createPageRuntime } from '../test/page-runtime';
import { testPack } from '../test/test-pack';
import { createEditorStore } from './editor-store';

const catalogue = createCatalogue([testPack]);
const validate = (doc: GraphDocument) => validateGraph(doc, catalogue.registry).issues;

function setup(
  options: { document?: GraphDocument; now?: () => number; readOnly?: boolean; runtime?: EditorRuntime } = {},
) {
  let n = 0;
  return createEditorStore({
    catalogue,
    validate,
    document: options.document ?? pipelineDocument,
    newId: (p) => `${p}-new${++n}`,
    ...(options.now ? { now: options.now } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
}

describe('node subscriptions', () => {
  it('tells only the moved nodes of a drag, and every node of any other change', () => {
    const store = setup();
    const style = vi.fn();
    const blend = vi.fn();
    const offStyle = store.subscribeNode('style', style);
    store.subscribeNode('blend', blend);
    store.moveNodes([{ id: 'style', x: 40, y: 0 }], 'drag-1');
    expect([style.mock.calls.length, blend.mock.calls.length]).toEqual([1, 0]);
    store.setParam('blend', 'name', 'mix');
    expect([style.mock.calls.length, blend.mock.calls.length]).toEqual([2, 1]);
    offStyle();
    store.undo();
    expect([style.mock.calls.length, blend.mock.calls.length]).toEqual([2, 2]);
  });
});

describe('editing and undo', () => {
  it('coalesces a burst of typing in one field into one undo step', () => {
    let now = 0;
    const store = setup({ now: () => now });
    for (const text of ['a', 'a c', 'a ca', 'a cat']) {
      now += 100;
      store.setParam('prompt', 'text', text);
    }
    expect(store.document.nodes.find((n) => n.id === 'prompt')?.params?.text).toBe('a cat');
    store.undo();
    expect(store.document.nodes.find((n) => n.id === 'prompt')?.params?.text).toBe('a lighthouse at dusk');
    expect(store.getState().canUndo).toBe(false);
    store.redo();
    expect(store.document.nodes.find((n) => n.id === 'prompt')?.params?.text).toBe('a cat');
  });

  it('starts a new undo step after a pause in typing or when the field is left', () => {
    let now = 0;
    const store = setup({ now: () => now });
    store.setParam('prompt', 'text', 'one');
    now += 5000;
    store.setParam('prompt', 'text', 'two');
    store.closeStep();
    store.setParam('prompt', 'text', 'three');
    store.undo();
    expect(store.document.nodes.find((n) => n.id === 'prompt')?.params?.text).toBe('two');
    store.undo();
    expect(store.document.nodes.find((n) => n.id === 'prompt')?.params?.text).toBe('one');
  });

  it('undoes a whole drag at once and keeps validation untouched while dragging', () => {
    const store = setup();
    const issuesBefore = store.getState().issues;
    for (let i = 1; i <= 10; i++) store.moveNodes([{ id: 'style', x: i * 10, y: 0 }], 'drag-1');
    store.closeStep();
    expect(store.document.nodes[0]?.position).toEqual({ x: 100, y: 0 });
    expect(store.getState().issues).toBe(issuesBefore);
    store.undo();
    expect(store.document.nodes[0]?.position).toEqual({ x: 0, y: 0 });
  });

  it('refuses a connection with the sentence validation gives for the same edge', () => {
    const store = setup();
    store.setParam('style', 'family', 'flux.2-dev');
    store.closeStep();
    const refused = store.connect({ node: 'style', port: 'lora' }, { node: 'generate', port: 'lora' });
    expect(refused.ok).toBe(false);
    // The same edge written into a document, in place of the one it replaces: validation says the same.
    const doc: GraphDocument = {
      ...store.document,
      edges: [
        ...store.document.edges.filter((e) => !(e.to.node === 'generate' && e.to.port === 'lora')),
        { id: 'new', from: { node: 'style', port: 'lora' }, to: { node: 'generate', port: 'lora' } },
      ],
    };
    const issues = validate(doc).filter((i) => i.edgeId === 'new');
    expect(issues.map((i) => i.code)).toEqual(['type.incompatible']);
    expect(refused).toMatchObject({
      ok: false,
      code: 'type.incompatible',
      reason: issues[0]?.message,
      issues,
    });
    expect(store.getState().notice).toMatchObject({ kind: 'refusal', code: 'type.incompatible' });
    expect(store.getState().notice?.message).toContain('flux.2-dev LoRA cannot feed a flux.1 model');
  });

  it('refuses a connection that would make a cycle', () => {
    const store = setup();
    const r = store.connect({ node: 'blend', port: 'lora' }, { node: 'blend', port: 'loras' });
    expect(r).toMatchObject({ ok: false, code: 'graph.cycle' });
  });

  it('replaces the old connection of a single input and gives new LoRA edges the default scale', () => {
    const store = setup();
    store.connect({ node: 'style', port: 'lora' }, { node: 'generate', port: 'lora' });
    const into = store.document.edges.filter((e) => e.to.node === 'generate' && e.to.port === 'lora');
    expect(into.map((e) => e.from.node)).toEqual(['style']);
    const added = store.connect({ node: 'subject', port: 'lora' }, { node: 'blend', port: 'loras' });
    expect(added.ok).toBe(false);
    const third = store.addNode('test.lora', { x: 0, y: 400 })!;
    const r = store.connect({ node: third, port: 'lora' }, { node: 'blend', port: 'loras' });
    expect(r.ok).toBe(true);
    expect(store.document.edges.find((e) => r.ok && e.id === r.edgeId)?.settings).toEqual({ scale: 0.8 });
  });

  it('adds a node and its wire from a dropped connection as one undo step', () => {
    const store = setup();
    const before = store.document;
    const id = store.addNode('test.compose', { x: 500, y: 0 }, undefined, {
      port: 'loras',
      from: { node: 'style', port: 'lora' },
    });
    expect(id).toBeDefined();
    const wire = store.document.edges.find((e) => e.to.node === id);
    expect(wire).toMatchObject({ from: { node: 'style', port: 'lora' }, settings: { scale: 0.8 } });
    store.undo();
    expect(store.document).toEqual(before);
  });

  it('keeps the edges reaching a node in one list that keeps its identity while they do', () => {
    const store = setup();
    const blend = store.getState().edgesByTarget.get('blend');
    expect(blend?.map((e) => e.id)).toEqual(['e1', 'e2']);
    store.connect({ node: 'prompt', port: 'text' }, { node: 'generate', port: 'prompt' });
    store.setEdgeSetting('e1', 'scale', 0.3);
    expect(store.getState().edgesByTarget.get('generate')?.length).toBe(2);
    store.moveNodes([{ id: 'style', x: 5, y: 5 }]);
    const after = store.getState().edgesByTarget.get('blend');
    expect(after?.[0]?.settings).toEqual({ scale: 0.3 });
    store.setParam('prompt', 'text', 'x');
    expect(store.getState().edgesByTarget.get('blend')).toBe(after);
  });

  it('pastes and duplicates with fresh ids, keeping the edges between the copies', () => {
    const store = setup();
    store.select(['style', 'blend'], []);
    store.copy();
    const pasted = store.paste();
    expect(pasted).toEqual(['style-1', 'blend-1']);
    const copyEdge = store.document.edges.find((e) => e.from.node === 'style-1');
    expect(copyEdge).toMatchObject({ to: { node: 'blend-1', port: 'loras' }, settings: { scale: 0.6 } });
    expect(new Set(store.document.edges.map((e) => e.id)).size).toBe(store.document.edges.length);
    store.select(['prompt'], []);
    expect(store.duplicate()).toEqual(['prompt-1']);
    expect(store.getState().selectedNodes).toEqual(new Set(['prompt-1']));
    store.undo();
    store.undo();
    expect(store.document).toEqual(pipelineDocument);
  });

  it('deletes nodes with their edges and brings them back on undo', () => {
    const store = setup();
    store.select(['blend'], []);
    store.deleteSelection();
    expect(store.document.nodes.some((n) => n.id === 'blend')).toBe(false);
    expect(store.document.edges.some((e) => e.to.node === 'blend' || e.from.node === 'blend')).toBe(false);
    store.undo();
    expect(store.document).toEqual(pipelineDocument);
  });

  it('shows validation issues on the node they concern as the graph changes', () => {
    const store = setup();
    expect(store.getState().issues).toEqual([]);
    store.setParam('generate', 'samples', 9);
    const issues = store.getState().issuesByNode.get('generate') ?? [];
    expect(issues.map((i) => i.path)).toContainEqual(['nodes', 4, 'params', 'samples']);
    store.undo();
    expect(store.getState().issuesByNode.has('generate')).toBe(false);
  });

  it('changes nothing in read-only mode', () => {
    const store = setup({ readOnly: true });
    store.setParam('prompt', 'text', 'x');
    store.select(['prompt'], []);
    store.deleteSelection();
    expect(store.connect({ node: 'style', port: 'lora' }, { node: 'generate', port: 'lora' }).ok).toBe(false);
    expect(store.document).toBe(pipelineDocument);
  });

  it('replaces the document from a host: as one undoable step on import, clearing history when controlled', () => {
    const store = setup();
    const changed: GraphDocument[] = [];
    store.onDocumentChange((d) => changed.push(d));
    const other: GraphDocument = {
      ...pipelineDocument,
      name: 'other',
      nodes: pipelineDocument.nodes.slice(0, 1),
      edges: [],
    };
    store.replaceDocument(other, { undoable: true });
    expect(store.document).toEqual(other);
    store.undo();
    expect(store.document).toEqual(pipelineDocument);
    store.replaceDocument(other);
    expect(store.getState().canUndo).toBe(false);
    expect(changed.map((d) => d.name)).toEqual(['other', 'blend-and-generate', 'other']);
  });

  it("refuses a connection beyond an input's limit with validation's sentence", () => {
    const store = setup();
    for (let i = 0; i < 2; i++) {
      const id = store.addNode('test.lora', { x: 0, y: 400 + i * 100 })!;
      expect(store.connect({ node: id, port: 'lora' }, { node: 'blend', port: 'loras' }).ok).toBe(true);
    }
    const fifth = store.addNode('test.lora', { x: 0, y: 700 })!;
    expect(store.connect({ node: fifth, port: 'lora' }, { node: 'blend', port: 'loras' })).toMatchObject({
      ok: false,
      code: 'input.too-many',
      reason: 'Input "LoRAs" of node "blend" takes at most 4 connections but has 5.',
    });
  });

  it('undoes any sequence of edits back to the start, and redoes them to the same end, through core changes', () => {
    const ids = ['style', 'subject', 'blend', 'prompt', 'generate', 'lora-1'];
    const edit = fc.oneof(
      fc.record({ op: fc.constant('add' as const), x: fc.integer({ min: 0, max: 500 }) }),
      fc.record({
        op: fc.constant('connect' as const),
        from: fc.constantFrom(...ids),
        to: fc.constantFrom(...ids),
      }),
      fc.record({
        op: fc.constant('param' as const),
        id: fc.constantFrom(...ids),
        value: fc.constantFrom('sdxl', 'flux.1', undefined),
      }),
      fc.record({
        op: fc.constant('label' as const),
        id: fc.constantFrom(...ids),
        label: fc.constantFrom('', 'A'),
      }),
      fc.record({
        op: fc.constant('scale' as const),
        edge: fc.constantFrom('e1', 'e2'),
        value: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.record({
        op: fc.constant('reorder' as const),
        edge: fc.constantFrom('e1', 'e2'),
        dir: fc.constantFrom(-1 as const, 1 as const),
      }),
      fc.record({
        op: fc.constant('move' as const),
        id: fc.constantFrom(...ids),
        x: fc.integer({ min: -50, max: 50 }),
      }),
      fc.record({
        op: fc.constant('remove' as const),
        id: fc.constantFrom(...ids),
        edge: fc.constantFrom('e1', 'e3', 'none'),
      }),
      fc.record({ op: fc.constant('duplicate' as const), id: fc.constantFrom(...ids) }),
    );
    const ports = {
      style: 'lora',
      subject: 'lora',
      'lora-1': 'lora',
      blend: 'lora',
      prompt: 'text',
      generate: 'images',
    };
    const inputs: Record<string, string> = { blend: 'loras', generate: 'lora' };
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 12 }), (edits) => {
        const store = setup();
        for (const e of edits) {
          if (e.op === 'add') store.addNode('test.lora', { x: e.x, y: 0 });
          else if (e.op === 'connect')
            store.connect(
              { node: e.from, port: ports[e.from as keyof typeof ports] },
              { node: e.to, port: inputs[e.to] ?? 'nope' },
            );
          else if (e.op === 'param') store.setParam(e.id, 'family', e.value);
          else if (e.op === 'label') store.setLabel(e.id, e.label);
          else if (e.op === 'scale') store.setEdgeSetting(e.edge, 'scale', e.value);
          else if (e.op === 'reorder') store.moveEdge(e.edge, e.dir);
          else if (e.op === 'move') store.moveNodes([{ id: e.id, x: e.x, y: 0 }], 'drag');
          else if (e.op === 'remove') store.remove([e.id], [e.edge]);
          else {
            store.select([e.id], []);
            store.duplicate();
          }
          store.closeStep();
        }
        const end = store.document;
        expect(store.getState().issues).toEqual(validate(end));
        while (store.getState().canUndo) store.undo();
        expect(store.document).toEqual(pipelineDocument);
        while (store.getState().canRedo) store.redo();
        expect(store.document).toEqual(end);
      }),
      { numRuns: 150 },
    );
  });

  it('pastes nothing from text that is not a loraflow clipboard, whatever it is, and says why', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const store = setup();
        store.select(['style'], []);
        store.copy();
        expect(store.paste(text)).toEqual([]);
        expect(store.document).toBe(pipelineDocument);
        expect(store.getState().notice?.code).toMatch(/^clipboard\./);
        expect(store.getState().notice?.message).toMatch(/^Nothing was pasted/);
      }),
      { numRuns: 200 },
    );
  });

  it("pastes another editor's copy from the system clipboard's text, further down-right each time", () => {
    const source = setup();
    source.select(['style', 'blend'], []);
    const text = source.copy()!;
    const target = setup({ document: { ...pipelineDocument, nodes: [], edges: [] } });
    expect(target.paste(text)).toEqual(['style-1', 'blend-1']);
    expect(target.paste(text)).toEqual(['style-2', 'blend-2']);
    const position = (id: string) => target.document.nodes.find((n) => n.id === id)?.position;
    expect([position('style-1'), position('style-2')]).toEqual([
      { x: 40, y: 40 },
      { x: 80, y: 80 },
    ]);
    expect(target.document.edges.map((e) => `${e.from.node}>${e.to.node}`)).toEqual([
      'style-1>blend-1',
      'style-2>blend-2',
    ]);
  });
});

describe('runs', () => {
  type Body = RunEvent extends infer E
    ? E extends RunEvent
      ? Omit<E, 'seq' | 'runId' | 'at'>
      : never
    : never;

  function fakeRuntime() {
    let emit: (e: RunEvent) => void = () => undefined;
    let finish: (r: RunResult) => void = () => undefined;
    let seq = 0;
    const cancel = vi.fn();
    const runtime: EditorRuntime = {
      explain: async (doc) =>
        doc.nodes.map((n) => ({
          nodeId: n.id,
          willRun: n.id !== 'prompt',
          key: undefined,
          reason: { code: 'cache.miss', message: 'not run before' },
        })),
      estimate: async (doc) => ({
        nodes: doc.nodes.map((n) => ({
          nodeId: n.id,
          type: n.type,
          willRun: n.id !== 'prompt',
          key: undefined,
          reason: { code: 'cache.miss', message: 'not run before' },
        })),
        totals: { credits: 3 },
        willRun: 2,
        fromCache: 1,
        unknownCosts: 0,
      }),
      run: async () => ({
        runId: 'r1',
        subscribe(listener) {
          emit = listener;
          return () => undefined;
        },
        result: new Promise((resolve) => {
          finish = resolve;
        }),
        cancel,
      }),
      getBlob: async () => undefined,
    };
    return {
      runtime,
      emit: (e: Body) => emit({ ...e, seq: ++seq, runId: 'r1', at: seq } as RunEvent),
      finish: (nodes: RunResult['nodes'], status: RunResult['status']) =>
        finish({ runId: 'r1', status, nodes, startedAt: 0, finishedAt: seq }),
      cancel,
    };
  }

  it('shows queued, running with queue position, failed with its reason, skipped and finished states', async () => {
    const fake = fakeRuntime();
    const store = setup({ runtime: fake.runtime });
    const running = store.run();
    await expect.poll(() => store.getState().run.status).toBe('running');
    fake.emit({ type: 'run.started', nodeIds: ['style', 'blend', 'prompt'] });
    fake.emit({ type: 'node.queued', nodeId: 'style', key: 'k-style' });
    expect(store.getState().run.nodes.style?.status).toBe('queued');
    fake.emit({ type: 'node.started', nodeId: 'style', key: 'k-style' });
    fake.emit({
      type: 'node.progress',
      nodeId: 'style',
      fraction: 0.25,
      message: 'training',
      detail: { queuePosition: 2, remainingMs: 60_000 },
    });
    expect(store.getState().run.nodes.style).toMatchObject({
      status: 'running',
      fraction: 0.25,
      detail: { queuePosition: 2 },
    });
    fake.emit({
      type: 'node.failed',
      nodeId: 'style',
      error: { code: 'provider.error', message: 'training failed' },
    });
    fake.emit({ type: 'node.skipped', nodeId: 'blend', because: 'style' });
    // an older runtime's event: no outputs, which the result then brings
    fake.emit({ type: 'node.succeeded', nodeId: 'prompt', key: 'k-prompt', ms: 1 } as Body);
    fake.emit({ type: 'run.finished', status: 'failed', counts: store.getState().run.counts });
    fake.finish({ prompt: { status: 'succeeded', key: 'k-prompt', outputs: { text: 'hello' } } }, 'failed');
    await running;
    const s = store.getState().run;
    expect(s.status).toBe('failed');
    expect(s.nodes.style).toMatchObject({ status: 'failed', error: { message: 'training failed' } });
    expect(s.nodes.blend).toMatchObject({ status: 'skipped', because: 'style' });
    expect(s.nodes.prompt).toMatchObject({ status: 'succeeded', outputs: { text: 'hello' } });
    expect(s.counts).toMatchObject({ failed: 1, skipped: 1, succeeded: 1 });
  });

  it('settles from the result the nodes whose events it never saw, and the run', async () => {
    const fake = fakeRuntime();
    const store = setup({ runtime: fake.runtime });
    const running = store.run();
    await expect.poll(() => store.getState().run.status).toBe('running');
    fake.finish(
      {
        style: { status: 'failed', key: 'k', error: { code: 'provider.error', message: 'no' } },
        prompt: { status: 'cached', key: 'k2', outputs: { text: 'hi' } },
      },
      'failed',
    );
    await running;
    const s = store.getState().run;
    expect(s.status).toBe('failed');
    expect(s.node('style')).toMatchObject({ status: 'failed', error: { message: 'no' } });
    expect(s.node('prompt')).toMatchObject({ status: 'cached', fraction: 1, outputs: { text: 'hi' } });
  });

  it('tells only the event’s node, and keeps every other node’s view', async () => {
    const fake = fakeRuntime();
    const store = setup({ runtime: fake.runtime });
    void store.run();
    await expect.poll(() => store.getState().run.status).toBe('running');
    fake.emit({ type: 'run.started', nodeIds: ['style', 'blend', 'prompt'] });
    fake.emit({ type: 'node.queued', nodeId: 'style', key: 'k1' });
    fake.emit({ type: 'node.queued', nodeId: 'blend', key: 'k2' });
    const told: string[] = [];
    for (const id of ['style', 'blend', 'prompt']) store.subscribeNode(id, () => told.push(id));
    const before = store.getState().run;
    fake.emit({ type: 'node.started', nodeId: 'style', key: 'k1' });
    const after = store.getState().run;
    expect(told).toEqual(['style']);
    expect(after).not.toBe(before);
    expect(after.node('blend')).toBe(before.node('blend'));
    expect(after.node('style')).toMatchObject({ status: 'running', fraction: 0 });
    fake.emit({ type: 'node.log', nodeId: 'style', level: 'info', message: 'no change' });
    expect(store.getState().run).toBe(after);
  });

  it('shows an engine run as the engine’s own snapshot has it, node by node', async () => {
    const page = createPageRuntime([testPack]);
    let handle: RunHandle | undefined;
    const runtime: EditorRuntime = {
      ...page,
      run: async (doc, o) => {
        handle = (await page.run(doc, o)) as RunHandle;
        return handle;
      },
    };
    const store = setup({ runtime });
    await store.run();
    const snapshot = handle!.getSnapshot();
    const run = store.getState().run;
    expect(run.status).toBe(snapshot.status);
    expect(Object.keys(snapshot.nodes).length).toBeGreaterThan(3);
    for (const [id, node] of Object.entries(snapshot.nodes)) {
      expect(run.node(id)).toMatchObject({ status: node.status, outputs: node.outputs });
      expect(run.nodes[id]).toBe(run.node(id));
    }
    expect(run.counts.succeeded).toBe(Object.keys(snapshot.nodes).length);
  });

  it('says so when the runtime refuses to explain or estimate, once, instead of showing nothing', async () => {
    const fake = fakeRuntime();
    const refusal = Object.assign(new Error('A bearer token is required.'), { code: 'auth.required' });
    fake.runtime.estimate = async () => {
      throw refusal;
    };
    const store = setup({ runtime: fake.runtime });
    await store.refreshExplain();
    expect(store.getState().notice).toMatchObject({ kind: 'error', code: 'auth.required' });
    expect(store.getState().notice?.message).toContain('A bearer token is required.');
    const seq = store.getState().notice?.seq;
    await store.refreshExplain();
    expect(store.getState().notice?.seq).toBe(seq);
  });

  it('asks only estimate after an edit settles, once, and shows its will-run reasons', async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeRuntime();
      const explain = vi.spyOn(fake.runtime, 'explain');
      const estimate = vi.spyOn(fake.runtime, 'estimate');
      const store = setup({ runtime: fake.runtime });
      store.setParam('prompt', 'text', 'a');
      store.setParam('prompt', 'text', 'ab');
      await vi.advanceTimersByTimeAsync(1000);
      expect(estimate).toHaveBeenCalledTimes(1);
      expect(explain).not.toHaveBeenCalled();
      expect(store.getState().explain.get('prompt')?.willRun).toBe(false);
      expect(store.getState().explain.get('generate')).toMatchObject({
        willRun: true,
        reason: { code: 'cache.miss', message: 'not run before' },
      });
      expect(store.getState().estimate?.totals).toEqual({ credits: 3 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('cancels the current run through its handle', async () => {
    const fake = fakeRuntime();
    const store = setup({ runtime: fake.runtime });
    void store.run();
    await expect.poll(() => store.getState().run.status).toBe('running');
    store.cancel();
    expect(fake.cancel).toHaveBeenCalledTimes(1);
    fake.emit({ type: 'run.finished', status: 'cancelled', counts: store.getState().run.counts });
    expect(store.getState().run.status).toBe('cancelled');
  });

  it('refuses to run an invalid graph and says what to fix', async () => {
    const fake = fakeRuntime();
    const run = vi.spyOn(fake.runtime, 'run');
    const store = setup({ runtime: fake.runtime });
    store.setParam('generate', 'samples', 9);
    await store.run();
    expect(run).not.toHaveBeenCalled();
    expect(store.getState().notice).toMatchObject({ code: 'run.invalid' });
  });
});
