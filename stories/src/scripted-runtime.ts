import type { GraphDocument, NodeOutcome, RunEvent, RunResult } from '@loraflow/core';
import type { EditorRuntime, RunHandleLike } from '@loraflow/editor';
import { renderPng } from '@loraflow/emulator';
import type { ModelPage, ModelSummary, Runtime } from '@loraflow/runtime/contract';

type Body = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 'runId' | 'at'> : never) : never;

/** The node states a story can freeze a run in. */
export type FrozenState = 'queued' | 'running' | 'cached' | 'succeeded' | 'failed' | 'skipped';

// PNGs (the emulator's deterministic pictures): the editor shows only PNG, JPEG or WebP bytes.
const picture = (prompt: string) => renderPng({ prompt, seed: 1, width: 96, height: 96 });
const hashOf = (i: number) => i.toString(16).padStart(64, '0');

/** Every node will run, never having run: what explain says of a graph a frozen runtime has not run. */
const explained = (doc: GraphDocument) =>
  doc.nodes.map((n) => ({
    nodeId: n.id,
    type: n.type,
    willRun: true,
    key: undefined,
    reason: { code: 'cache.miss' as const, message: 'never run' },
  }));

/**
 * A runtime that puts every node of a graph in one state and stays there: what the "every node in every state"
 * stories show. Succeeded and cached nodes carry two generated images.
 */
export function frozenRuntime(
  state: FrozenState,
): EditorRuntime & { start(doc: GraphDocument): RunHandleLike } {
  const blobs = new Map<string, Uint8Array>([
    [hashOf(1), picture('a warm still life')],
    [hashOf(2), picture('a cold seascape')],
  ]);
  const start = (doc: GraphDocument): RunHandleLike => {
    const runId = `frozen-${state}`;
    const events: RunEvent[] = [];
    let seq = 0;
    const ev = (body: Body) => events.push({ ...body, runId, seq: ++seq, at: 0 } as RunEvent);
    const outputs = {
      images: [
        { $blob: hashOf(1), mime: 'image/png', size: 1 },
        { $blob: hashOf(2), mime: 'image/png', size: 1 },
      ],
    };
    ev({ type: 'run.started', nodeIds: doc.nodes.map((n) => n.id) });
    for (const node of doc.nodes) {
      const nodeId = node.id;
      const key = `frozen-${nodeId}`;
      if (state === 'queued') ev({ type: 'node.queued', nodeId, key });
      else if (state === 'running') {
        ev({ type: 'node.started', nodeId, key });
        ev({
          type: 'node.progress',
          nodeId,
          fraction: 0.42,
          message: 'training',
          detail: { queuePosition: 2, remainingMs: 754_000 },
        });
      } else if (state === 'cached') ev({ type: 'node.cached', nodeId, key, outputs });
      else if (state === 'succeeded') ev({ type: 'node.succeeded', nodeId, key, ms: 1, outputs });
      else if (state === 'failed')
        ev({
          type: 'node.failed',
          nodeId,
          error: {
            code: 'provider.error',
            message: 'Scenario answered 503 three times; the training was not started.',
          },
        });
      else ev({ type: 'node.skipped', nodeId, because: 'an upstream node failed' });
    }
    const done = state === 'cached' || state === 'succeeded' || state === 'failed' || state === 'skipped';
    const outcome = (nodeId: string): NodeOutcome =>
      state === 'cached' || state === 'succeeded'
        ? { status: state, key: `frozen-${nodeId}`, outputs }
        : { status: state === 'failed' ? 'failed' : 'skipped', key: `frozen-${nodeId}` };
    const result: Promise<RunResult> = done
      ? Promise.resolve({
          runId,
          status: state === 'failed' || state === 'skipped' ? 'failed' : 'succeeded',
          nodes: Object.fromEntries(doc.nodes.map((n) => [n.id, outcome(n.id)])),
          startedAt: 0,
          finishedAt: 0,
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
    explain: async (doc) => explained(doc),
    // the editor asks estimate only: its nodes carry what explain says (will run and why)
    estimate: async (doc) => {
      const nodes = explained(doc);
      return { nodes, totals: {}, willRun: nodes.length, fromCache: 0, unknownCosts: 0 };
    },
    run: async (doc) => start(doc),
    getBlob: async (hash) => blobs.get(hash),
  };
}

/** How a scripted catalogue answers `models`: a catalogue, one that is slow to search, none, or a refusal. */
export type CatalogueScript =
  | 'results'
  | 'slow-search'
  | 'empty'
  | 'error'
  | 'overlapping-pages'
  | 'damaged-rows';

const CATALOGUE: ModelSummary[] = [
  ['model_flux1-watercolor', 'Watercolor Wash', 'flux.1', 'FLUX.1', 'public'],
  ['model_flux1-neon-noir', 'Neon Noir', 'flux.1', 'FLUX.1', 'public'],
  ['model_flux1-paper-cut', 'Paper Cut', 'flux.1', 'FLUX.1', 'public'],
  ['model_my-lantern', 'Paper lantern (mine)', 'flux.1', 'FLUX.1', 'own'],
  ['model_flux2-ink-sketch', 'Ink Sketch', 'flux.2-dev', 'FLUX.2 [dev]', 'public'],
  ['model_sdxl-pixel', 'Pixel Art XL', 'sd-xl', 'SDXL', 'public'],
  ['model_zimage-film-grain', 'Film Grain', 'zimage', 'Z-Image', 'public'],
].map(([id, name, family, familyLabel, scope]) => ({
  id: id as string,
  name: name as string,
  provider: 'scenario',
  kind: 'lora' as const,
  family: family as string,
  familyLabel: familyLabel as string,
  modelType: `${family === 'sd-xl' ? 'sd-xl' : family}-lora`,
  scope: scope as 'own' | 'public',
  thumbnail: `scenario:${id}`,
}));

/**
 * `models` and `modelThumbnail` answered from a fixed catalogue (PNG thumbnails from the emulator's renderer), for
 * the picker stories: `slow-search` answers the opening list but never a search, so the searching state stays on
 * screen; `overlapping-pages` answers pages of two that each repeat the last model of the one before; `empty` has
 * no models; `error` refuses as a server whose provider key was rejected would.
 */
export function scriptedCatalogue(script: CatalogueScript): Pick<Runtime, 'models' | 'modelThumbnail'> {
  return {
    async models(query = {}) {
      if (script === 'error') {
        throw new Error('The scenario model list could not be read: Scenario refused the API key (401).');
      }
      if (script === 'slow-search' && query.search) return new Promise<ModelPage>(() => undefined);
      if (script === 'empty') return { models: [] };
      const needle = query.search?.toLowerCase();
      const models = CATALOGUE.filter(
        (m) =>
          (!query.family || m.family === query.family) &&
          (!query.kind || m.kind === query.kind) &&
          (!needle || m.name.toLowerCase().includes(needle)),
      );
      const from = query.cursor ? Number(query.cursor) : 0;
      // pages of two whose next one starts on the last model of this one: a list that moved between reads
      const limit = script === 'overlapping-pages' ? 2 : Number(query.limit ?? 30);
      const page = models.slice(from, from + limit);
      const next = script === 'overlapping-pages' ? from + limit - 1 : from + limit;
      // a provider that sent two rows it could not read, as ModelsLab's list may
      const damage = script === 'damaged-rows' ? { skipped: 2 } : {};
      return from + limit < models.length
        ? { models: page, nextCursor: String(next), ...damage }
        : { models: page, ...damage };
    },
    async modelThumbnail(ref) {
      const id = ref.slice(ref.indexOf(':') + 1);
      return renderPng({ prompt: id, seed: 7, width: 64, height: 64, loras: [{ id, strength: 1 }] });
    },
  };
}
