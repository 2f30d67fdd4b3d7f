import type { GraphDocument } from '@loraflow/core';
import type { EditorRuntime, RunEventLike, RunHandleLike } from '@loraflow/editor';

/** The node states a story can freeze a run in. */
export type FrozenState = 'queued' | 'running' | 'cached' | 'succeeded' | 'failed' | 'skipped';

const SVG = (hue: number) =>
  new TextEncoder().encode(
    `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="hsl(${hue} 70% 55%)"/><circle cx="48" cy="48" r="26" fill="hsl(${(hue + 180) % 360} 70% 60%)"/></svg>`,
  );
const hashOf = (i: number) => i.toString(16).padStart(64, '0');

/**
 * A runtime that puts every node of a graph in one state and stays there: what the "every node in every state"
 * stories show. Succeeded and cached nodes carry two generated images.
 */
export function frozenRuntime(
  state: FrozenState,
): EditorRuntime & { start(doc: GraphDocument): RunHandleLike } {
  const blobs = new Map<string, Uint8Array>([
    [hashOf(1), SVG(20)],
    [hashOf(2), SVG(200)],
  ]);
  const start = (doc: GraphDocument): RunHandleLike => {
    const runId = `frozen-${state}`;
    const events: RunEventLike[] = [];
    let seq = 0;
    const ev = (type: string, fields: Record<string, unknown>) =>
      events.push({ type, runId, seq: ++seq, at: 0, ...fields });
    ev('run.started', { nodeIds: doc.nodes.map((n) => n.id) });
    for (const node of doc.nodes) {
      const nodeId = node.id;
      if (state === 'queued') ev('node.queued', { nodeId });
      else if (state === 'running') {
        ev('node.started', { nodeId });
        ev('node.progress', {
          nodeId,
          fraction: 0.42,
          message: 'training',
          detail: { queuePosition: 2, remainingMs: 754_000 },
        });
      } else if (state === 'cached') ev('node.cached', { nodeId });
      else if (state === 'succeeded') ev('node.succeeded', { nodeId });
      else if (state === 'failed')
        ev('node.failed', {
          nodeId,
          error: {
            code: 'provider.error',
            message: 'Scenario answered 503 three times; the training was not started.',
          },
        });
      else ev('node.skipped', { nodeId, because: 'an upstream node failed' });
    }
    const done = state === 'cached' || state === 'succeeded' || state === 'failed' || state === 'skipped';
    const outputs = {
      images: [
        { $blob: hashOf(1), mime: 'image/svg+xml', size: 1 },
        { $blob: hashOf(2), mime: 'image/svg+xml', size: 1 },
      ],
    };
    const result: Promise<unknown> = done
      ? Promise.resolve({
          runId,
          status: state === 'failed' || state === 'skipped' ? 'failed' : 'succeeded',
          nodes: Object.fromEntries(
            doc.nodes.map((n) => [
              n.id,
              state === 'cached' || state === 'succeeded' ? { status: state, outputs } : { status: state },
            ]),
          ),
        })
      : new Promise(() => undefined);
    return {
      runId,
      subscribe(listener) {
        for (const e of events) listener(e);
        return () => undefined;
      },
      result,
      cancel: () => undefined,
    };
  };
  return {
    start,
    explain: async (doc) =>
      doc.nodes.map((n) => ({
        nodeId: n.id,
        willRun: true,
        reason: { code: 'cache.miss', message: 'never run' },
      })),
    estimate: async () => ({ totals: {} }),
    run: async (doc) => start(doc),
    getBlob: async (hash) => blobs.get(hash),
  };
}
