import { createRegistry } from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { RuntimeError } from './errors';
import { createRuntimeHandler } from './http/handler';
import { MAX_MODELS_LIMIT, type ModelSource, type ModelSourceItem } from './models';
import { createRemoteRuntime } from './remote';
import { createRuntime } from './runtime';
import { testPack } from './test/pack';
import { listen } from './test/serve';
import type { Runtime } from './types';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
);

/** An in-memory catalogue that pages with its own numeric cursor and counts its picture fetches. */
function source(provider: string, items: ModelSourceItem[], pictures: Record<string, Uint8Array> = {}) {
  const fetched: string[] = [];
  const s: ModelSource & { fetched: string[] } = {
    provider,
    fetched,
    async list(q) {
      const matching = items.filter(
        (m) =>
          (q.family === undefined || m.family === q.family) &&
          (q.kind === undefined || m.kind === q.kind) &&
          (q.search === undefined || m.name.toLowerCase().includes(q.search.toLowerCase())),
      );
      const from = q.cursor ? Number(q.cursor) : 0;
      const page = matching.slice(from, from + q.limit);
      const next = from + q.limit < matching.length ? String(from + q.limit) : undefined;
      return next === undefined ? { models: page } : { models: page, nextCursor: next };
    },
    async thumbnail(id) {
      fetched.push(id);
      return pictures[id];
    },
  };
  return s;
}

const lora = (id: string, family = 'flux.1', hasThumbnail = true): ModelSourceItem => ({
  id,
  name: `LoRA ${id}`,
  kind: 'lora',
  family,
  hasThumbnail,
});

const scenario = () =>
  source('scenario', [lora('a'), lora('b'), lora('c', 'sd-xl'), lora('d')], { a: PNG, b: SVG });
const modelslab = () =>
  source('modelslab', [{ id: 'sdxl', name: 'SDXL 1.0', kind: 'base', family: 'sd-xl' }]);

function local(sources: ModelSource[], secrets?: string[]) {
  return createRuntime({
    registry: createRegistry(testPack),
    models: sources,
    ...(secrets ? { secrets } : {}),
  });
}

async function remote(runtime: Runtime): Promise<Runtime> {
  const { url } = await listen(createRuntimeHandler(runtime));
  return createRemoteRuntime({ baseUrl: url });
}

async function all(runtime: Runtime, query: Parameters<Runtime['models']>[0]) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await runtime.models({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.models.map((m) => `${m.provider}:${m.id}`));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe.each([
  ['locally', async (s: ModelSource[]) => local(s)],
  ['over HTTP through the remote client', async (s: ModelSource[]) => remote(local(s))],
])('runtime.models %s', (_, make) => {
  it('pages through every provider in order with one cursor, whatever the page size', async () => {
    const runtime = await make([scenario(), modelslab()]);
    const everything = ['scenario:a', 'scenario:b', 'scenario:c', 'scenario:d', 'modelslab:sdxl'];
    for (const limit of [1, 2, 3, 5, 30]) expect(await all(runtime, { limit })).toEqual(everything);
  });

  it('says how many malformed catalogue rows its sources left out, summed over the page', async () => {
    const damaged = (provider: string, skipped: number): ModelSource => ({
      provider,
      async list() {
        return { models: [lora(`${provider}-ok`)], skipped };
      },
    });
    const runtime = await make([damaged('scenario', 2), damaged('modelslab', 3)]);
    const page = await runtime.models({});
    expect(page.models.map((m) => m.id)).toEqual(['scenario-ok', 'modelslab-ok']);
    expect(page.skipped).toBe(5);
    // a page whose sources left nothing out carries no count at all
    expect((await make([scenario()]).then((r) => r.models({}))).skipped).toBeUndefined();
  });

  it('filters by provider, family, kind and search', async () => {
    const runtime = await make([scenario(), modelslab()]);
    expect(await all(runtime, { provider: 'modelslab' })).toEqual(['modelslab:sdxl']);
    expect(await all(runtime, { family: 'sd-xl', limit: 1 })).toEqual(['scenario:c', 'modelslab:sdxl']);
    expect(await all(runtime, { kind: 'base' })).toEqual(['modelslab:sdxl']);
    expect(await all(runtime, { search: '  lora D ' })).toEqual(['scenario:d']);
  });

  it('gives a thumbnail reference, never a URL, and serves only raster bytes behind it', async () => {
    const runtime = await make([scenario(), modelslab()]);
    const { models } = await runtime.models({ provider: 'scenario', limit: 2 });
    expect(models[0]).toMatchObject({
      id: 'a',
      provider: 'scenario',
      family: 'flux.1',
      thumbnail: 'scenario:a',
    });
    expect(await runtime.modelThumbnail('scenario:a')).toEqual(PNG);
    // b's picture is an SVG with a script: refused, not relabelled
    expect(await runtime.modelThumbnail('scenario:b')).toBeUndefined();
    expect(await runtime.modelThumbnail('modelslab:nothing')).toBeUndefined();
  });

  it('refuses a limit above the bound and a cursor it did not give, with a path and a code', async () => {
    const runtime = await make([scenario()]);
    const tooMany = await runtime.models({ limit: MAX_MODELS_LIMIT + 1 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(RuntimeError);
    expect(tooMany).toMatchObject({ code: 'request.invalid' });
    expect((tooMany as RuntimeError).issues?.[0]?.path).toContain('limit');
    const forged = await runtime.models({ cursor: 'not-a-cursor' }).catch((e: unknown) => e);
    expect(forged).toMatchObject({ code: 'request.invalid' });
  });
});

describe('runtime.models', () => {
  it('fetches a picture once and answers it again from memory', async () => {
    const s = scenario();
    const runtime = local([s]);
    await runtime.modelThumbnail('scenario:a');
    await runtime.modelThumbnail('scenario:a');
    expect(s.fetched).toEqual(['a']);
  });

  it('gives up on a picture a source never answers after 30 s, aborting it, and asks again next time (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const asked: AbortSignal[] = [];
      const hanging: ModelSource = {
        provider: 'house',
        list: async () => ({ models: [] }),
        thumbnail: (_id, o) => {
          if (o.signal) asked.push(o.signal);
          return new Promise<never>(() => {});
        },
      };
      const runtime = local([hanging]);
      const first = runtime.modelThumbnail('house:a');
      await vi.advanceTimersByTimeAsync(30_000);
      await expect(first).resolves.toBeUndefined();
      expect(asked[0]?.aborted).toBe(true);
      // the stuck fetch was not kept: the next opening asks the source again
      void runtime.modelThumbnail('house:a');
      expect(asked).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says which provider failed, without the secret its error carried', async () => {
    const failing: ModelSource = {
      provider: 'scenario',
      list: async () => {
        throw new Error('401 for key sk-live-SECRET-1234');
      },
    };
    const runtime = await remote(local([failing], ['sk-live-SECRET-1234']));
    const error = await runtime.models().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'models.unavailable' });
    expect((error as Error).message).toContain('scenario');
    expect((error as Error).message).not.toContain('SECRET');
  });

  it('answers the HTTP query with a path and a code for any malformed limit', async () => {
    const { url } = await listen(createRuntimeHandler(local([scenario()])));
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 8 }), async (limit) => {
        const res = await fetch(`${url}/models?limit=${encodeURIComponent(limit)}`);
        const n = Number(limit);
        const valid = limit.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= MAX_MODELS_LIMIT;
        if (valid || limit === '') {
          expect(res.status, limit).toBe(200);
          return;
        }
        expect(res.status, limit).toBe(400);
        const body = (await res.json()) as { error: { code: string; issues: Array<{ path: string[] }> } };
        expect(body.error.code).toBe('request.invalid');
        expect(body.error.issues[0]?.path).toEqual(['query', 'limit']);
      }),
      { numRuns: 40 },
    );
  });

  it('answers any cursor with a page or request.invalid, never a provider error', async () => {
    const strict: ModelSource = {
      provider: 'scenario',
      async list(q) {
        if (q.cursor !== undefined && !/^\d+$/.test(q.cursor)) throw new RangeError('not my cursor');
        return { models: [lora('a')] };
      },
    };
    const runtime = local([strict]);
    const encode = (value: unknown) =>
      btoa(JSON.stringify(value)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.record({ s: fc.integer({ min: -1, max: 3 }), c: fc.string({ maxLength: 10 }) }).map(encode),
        ),
        async (cursor) => {
          const answer = await runtime.models({ cursor }).then(
            (page) => page,
            (error: unknown) => error,
          );
          if (answer instanceof Error) expect(answer).toMatchObject({ code: 'request.invalid' });
          else expect(Array.isArray((answer as { models: unknown }).models)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('has no models when no source is configured', async () => {
    expect(await local([]).models()).toEqual({ models: [] });
  });
});
