import type { GraphDocument, JsonValue } from '@loraflow/core';
import type { EditorRuntime, RunRecord } from '@loraflow/editor';
import { renderPng } from '@loraflow/emulator';
import { frozenRuntime } from './scripted-runtime';

const hashOf = (i: number) => (0x100 + i).toString(16).padStart(64, '0');
const image = (i: number): JsonValue => ({ $blob: hashOf(i), mime: 'image/png', size: 1 });
const MIN = 60_000;

/** The kinds of earlier run a history story can list. */
export type PastRun = 'succeeded' | 'cached' | 'failed' | 'cancelled' | 'running' | 'otherGraph';

/**
 * A runtime that keeps a few earlier runs of `doc` (and one of another graph): what the run history stories
 * list and reopen. Its images are the emulator's PNGs; runs started here stay frozen as succeeded and are kept
 * (newest first) like the earlier ones.
 */
export function historyRuntime(
  doc: GraphDocument,
  runs: readonly PastRun[],
  other: GraphDocument,
  now = Date.now(),
): EditorRuntime {
  const base = frozenRuntime('succeeded');
  const blobs = new Map<string, Uint8Array>(
    [
      'a lighthouse at dusk',
      'a lighthouse at dawn',
      'a harbour in fog',
      'a harbour at noon',
      'a train of thought',
    ].map((prompt, i) => [hashOf(i), renderPng({ prompt, seed: i, width: 96, height: 96 })]),
  );
  const every = (status: RunRecord['nodes'][string]['status'], of = doc) =>
    Object.fromEntries(of.nodes.map((n) => [n.id, { status, key: `key-${n.id}` }]));
  // a run that succeeded after `ms`, every node `state`, the render node holding `images`
  const ended = (
    base: Omit<RunRecord, 'status' | 'updatedAt' | 'nodes'>,
    state: 'succeeded' | 'cached',
    ms: number,
    images: JsonValue[],
  ): RunRecord => ({
    ...base,
    status: 'succeeded',
    updatedAt: base.createdAt + ms,
    finishedAt: base.createdAt + ms,
    nodes: { ...every(state), render: { status: state, key: 'k', outputs: { images } } },
  });
  const record = (kind: PastRun, i: number): RunRecord => {
    const createdAt = now - ([2, 65, 60 * 26, 60 * 24 * 3, 1, 60 * 24 * 9][i] ?? 60 * 24 * 10 + i * 60) * MIN;
    const base = {
      runId: `run_${kind}_${i}`,
      doc,
      createdAt,
      startedAt: createdAt,
      attempts: 1,
      lastSeq: 40,
    };
    switch (kind) {
      case 'succeeded':
        return ended(base, 'succeeded', 192_000, [image(0), image(1)]);
      case 'cached':
        return ended(base, 'cached', 400, [image(2), image(3)]);
      case 'failed':
        return {
          ...base,
          status: 'failed',
          updatedAt: createdAt + 14_000,
          finishedAt: createdAt + 14_000,
          error: { code: 'node.failed', message: 'train failed: Scenario answered 503 three times.' },
          nodes: {
            ...every('skipped'),
            watercolor: { status: 'succeeded', key: 'k1', outputs: {} },
            noir: { status: 'succeeded', key: 'k2', outputs: {} },
            train: {
              status: 'failed',
              key: 'k3',
              error: {
                code: 'provider.error',
                message: 'Scenario answered 503 three times; the training was not started.',
              },
            },
          },
        };
      case 'cancelled':
        return {
          ...base,
          status: 'cancelled',
          updatedAt: createdAt + 75_000,
          finishedAt: createdAt + 75_000,
          nodes: every('cancelled'),
        };
      case 'running':
        return { ...base, status: 'running', updatedAt: createdAt + 50_000, nodes: every('running') };
      case 'otherGraph':
        return {
          ...base,
          doc: other,
          status: 'succeeded',
          updatedAt: createdAt + 600_000,
          finishedAt: createdAt + 600_000,
          nodes: every('succeeded', other),
        };
    }
  };
  const records = runs.map(record).sort((a, b) => b.createdAt - a.createdAt);
  return {
    ...base,
    run: async (...args: Parameters<typeof base.run>) => {
      const handle = await base.run(...args);
      const at = Date.now();
      const nodes = every('succeeded', args[0]);
      records.unshift({
        // the handle's id: the editor knows its run by it, as with a real runtime
        runId: handle.runId,
        doc: args[0],
        createdAt: at,
        startedAt: at,
        updatedAt: at,
        finishedAt: at,
        attempts: 1,
        lastSeq: 1,
        status: 'succeeded',
        nodes,
      });
      return handle;
    },
    listRuns: async (o = {}) => records.slice(0, o.limit ?? records.length),
    getRun: async (runId) => records.find((r) => r.runId === runId),
    getBlob: async (hash) => blobs.get(hash) ?? base.getBlob(hash),
  };
}
