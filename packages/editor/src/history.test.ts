import { describe, expect, it } from 'vitest';
import { createCatalogue } from './catalogue';
import { durationText, resultOfRecord, runDuration, runImages, whenText } from './history';
import type { RunRecord } from './runtime-types';
import { createEditorStore } from './store/editor-store';
import { pipelineDocument } from './test/graphs';
import { testPack } from './test/test-pack';

const hash = (i: number) => i.toString(16).padStart(64, '0');
const image = (i: number) => ({ $blob: hash(i), mime: 'image/png', size: 1 });

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'run_1',
    doc: pipelineDocument,
    status: 'succeeded',
    createdAt: 1_000,
    startedAt: 1_000,
    updatedAt: 126_000,
    finishedAt: 126_000,
    attempts: 1,
    lastSeq: 12,
    nodes: {
      generate: { status: 'succeeded', key: 'k-gen', outputs: { images: [image(2), image(3)] } },
      style: {
        status: 'cached',
        key: 'k-style',
        outputs: { lora: { id: 'watercolour', preview: image(1) } },
      },
      blend: { status: 'succeeded', key: 'k-blend', outputs: { lora: 'x' } },
      prompt: { status: 'failed', key: 'k-prompt', error: { code: 'provider.error', message: 'no' } },
      subject: { status: 'running', key: 'k-subject' },
    },
    ...over,
  };
}

describe('run history text', () => {
  it('says how long a run took at a glance', () => {
    expect(durationText(420)).toBe('0.4 s');
    expect(durationText(12_400)).toBe('12 s');
    expect(durationText(123_000)).toBe('2 min 3 s');
    expect(durationText(120_000)).toBe('2 min');
    expect(durationText(3_840_000)).toBe('1 h 4 min');
    expect(durationText(Number.NaN)).toBe('—');
    expect(runDuration(record())).toBe(125_000);
    // a run still going counts to its last update
    expect(runDuration({ status: 'running', startedAt: 0, updatedAt: 5_000 })).toBe(5_000);
  });

  it('says when a run happened relative to now', () => {
    const now = 10 * 86_400_000;
    expect(whenText(now - 3_000, now)).toBe('just now');
    expect(whenText(now - 45_000, now)).toBe('45 seconds ago');
    expect(whenText(now - 300_000, now)).toBe('5 minutes ago');
    expect(whenText(now - 3 * 3_600_000, now)).toBe('3 hours ago');
    expect(whenText(now - 86_400_000, now)).toBe('yesterday');
    expect(whenText(now - 21 * 86_400_000, now)).toBe('3 weeks ago');
  });
});

describe('a run record reopened', () => {
  it("lists the run's images in the document's node order, without repeats", () => {
    expect(runImages(record()).map((r) => r.hash)).toEqual([hash(1), hash(2), hash(3)]);
    expect(runImages(record(), 2)).toHaveLength(2);
  });

  it('is a result of the nodes that reached an end, and none for a run still going', () => {
    const result = resultOfRecord(record());
    expect(Object.keys(result?.nodes ?? {}).sort()).toEqual(['blend', 'generate', 'prompt', 'style']);
    expect(result?.nodes.prompt).toEqual({
      status: 'failed',
      key: 'k-prompt',
      error: { code: 'provider.error', message: 'no' },
    });
    expect(resultOfRecord(record({ status: 'running' }))).toBeUndefined();
  });

  it("shows the run's states and outputs on the canvas, and refuses while a run is going", () => {
    const store = createEditorStore({ catalogue: createCatalogue([testPack]), document: pipelineDocument });
    expect(
      store.showRun(record({ status: 'failed', error: { code: 'x', message: 'the prompt failed' } })),
    ).toBe(true);
    const run = store.getState().run;
    expect(run).toMatchObject({ runId: 'run_1', status: 'failed', error: 'the prompt failed' });
    expect(run.node('generate')).toMatchObject({
      status: 'succeeded',
      outputs: { images: [image(2), image(3)] },
    });
    expect(run.node('style')?.status).toBe('cached');
    expect(run.node('prompt')?.error?.message).toBe('no');
    expect(run.node('subject')).toBeUndefined();
    expect(store.showRun(record({ runId: 'run_2', status: 'running' }))).toBe(false);
    expect(store.getState().notice?.code).toBe('history.running');
    expect(store.getState().run.runId).toBe('run_1');
  });

  it('is not reopened while a run of this editor is going, and the going run stays shown', async () => {
    const store = createEditorStore({ catalogue: createCatalogue([testPack]), document: pipelineDocument });
    void store.attachRun({
      runId: 'live',
      subscribe: () => () => undefined,
      result: new Promise(() => undefined),
      cancel: () => undefined,
    });
    expect(store.showRun(record())).toBe(false);
    expect(store.getState().notice?.code).toBe('run.busy');
    expect(store.getState().run).toMatchObject({ runId: 'live', status: 'running' });
  });
});
