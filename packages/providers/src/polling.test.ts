import { describe, expect, it } from 'vitest';
import { AbortedError, ServerError, TimeoutError, ValidationError } from './errors';
import type { FetchLike } from './http';
import { ModelsLabClient } from './modelslab/client';
import {
  type ModelProgress,
  waitForJob,
  waitForModel,
  waitForModelsLabResult,
  waitForModelsLabTraining,
} from './polling';
import { ScenarioClient } from './scenario/client';

/** A virtual clock: `sleep` advances it instead of waiting. */
function virtualClock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
  };
}

/** An in-process fetch answering from a function of the virtual time (the HTTP path is covered elsewhere). */
function fakeFetch(answer: (url: URL, body: unknown) => { status?: number; body: unknown }) {
  const calls: string[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    calls.push(url.pathname);
    const a = answer(url, init?.body ? JSON.parse(String(init.body)) : undefined);
    return new Response(JSON.stringify(a.body), { status: a.status ?? 200 });
  };
  return { fetch, calls };
}

const noRetry = { maxRetries: 0 };

/** Clients over an in-process fetch, with no retry: each poll is one request. */
const scenarioOver = (fetch: FetchLike) =>
  new ScenarioClient({ apiKey: 'k', apiSecret: 's', baseUrl: 'http://emu/v1', fetch, retry: noRetry });
const modelslabOver = (fetch: FetchLike) =>
  new ModelsLabClient({ apiKey: 'key-1234', baseUrl: 'http://emu/api', fetch, retry: noRetry });

describe('waitForModel', () => {
  it('sleeps for the remaining time the vendor announces and stops at trained', async () => {
    const clock = virtualClock();
    const start = clock.now();
    const end = start + 15 * 60_000;
    const { fetch, calls } = fakeFetch(() => {
      const t = clock.now();
      if (t >= end) return { body: { model: { id: 'm', status: 'trained', trainingProgress: {} } } };
      const queued = t < start + 20_000;
      return {
        body: {
          model: {
            id: 'm',
            status: 'training',
            trainingProgress: queued
              ? { stage: 'queued-for-train', position: 2, updatedAt: t }
              : {
                  stage: 'running-train',
                  progress: (t - start) / (end - start),
                  remainingTimeMs: end - t,
                  updatedAt: t,
                },
          },
        },
      };
    });
    const client = scenarioOver(fetch);
    const seen: ModelProgress[] = [];
    const model = await waitForModel({ client, modelId: 'm', ...clock, onProgress: (p) => seen.push(p) });
    expect(model.status).toBe('trained');
    const late = clock.now() - end;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late / (end - start)).toBeLessThan(0.02);
    expect(calls.length).toBeLessThanOrEqual(12);
    expect(seen[0]).toMatchObject({ stage: 'queued-for-train', position: 2 });
    expect(seen.some((p) => p.stage === 'running-train' && p.remainingTimeMs !== undefined)).toBe(true);
  });

  it('treats draft and unknown statuses as not yet trained, and returns failed models without throwing', async () => {
    const clock = virtualClock();
    const statuses = ['draft', 'something-new', 'training', 'failed'];
    let i = 0;
    const { fetch } = fakeFetch(() => ({ body: { model: { id: 'm', status: statuses[Math.min(i++, 3)] } } }));
    const client = scenarioOver(fetch);
    const model = await waitForModel({ client, modelId: 'm', ...clock });
    expect(model.status).toBe('failed');
    expect(i).toBe(4);
  });

  it('gives up with wait_timeout at the deadline', async () => {
    const clock = virtualClock();
    const { fetch } = fakeFetch(() => ({ body: { model: { id: 'm', status: 'training' } } }));
    const client = scenarioOver(fetch);
    const t0 = clock.now();
    const e = await waitForModel({ client, modelId: 'm', ...clock, timeoutMs: 60_000 }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toMatchObject({ code: 'wait_timeout' });
    expect(clock.now() - t0).toBe(60_000);
  });

  it('rides out transient server errors but not validation errors', async () => {
    const clock = virtualClock();
    let n = 0;
    const { fetch } = fakeFetch(() => {
      n++;
      if (n <= 2) return { status: 503, body: { reason: 'busy' } };
      return { body: { model: { id: 'm', status: 'trained' } } };
    });
    const client = scenarioOver(fetch);
    await expect(waitForModel({ client, modelId: 'm', ...clock })).resolves.toMatchObject({
      status: 'trained',
    });
    const bad = fakeFetch(() => ({ status: 400, body: { reason: 'nope' } }));
    const c2 = scenarioOver(bad.fetch);
    await expect(waitForModel({ client: c2, modelId: 'm', ...clock })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const down = fakeFetch(() => ({ status: 500, body: {} }));
    const c3 = scenarioOver(down.fetch);
    await expect(
      waitForModel({ client: c3, modelId: 'm', ...clock, maxConsecutiveErrors: 2 }),
    ).rejects.toBeInstanceOf(ServerError);
    expect(down.calls).toHaveLength(3);
  });

  it('stops on abort and, when asked, cancels the training remotely', async () => {
    const clock = virtualClock();
    const ac = new AbortController();
    const { fetch, calls } = fakeFetch((url) =>
      url.pathname.endsWith('/train/action')
        ? { body: { model: { id: 'm', status: 'training-canceled' } } }
        : { body: { model: { id: 'm', status: 'training' } } },
    );
    const client = scenarioOver(fetch);
    const e = await waitForModel({
      client,
      modelId: 'm',
      ...clock,
      signal: ac.signal,
      cancelOnAbort: true,
      onProgress: () => ac.abort(),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortedError);
    expect(calls).toEqual(['/v1/models/m', '/v1/models/m/train/action']);
  });
});

describe('waitForJob', () => {
  it('polls with backoff until a terminal status and returns the asset ids', async () => {
    const clock = virtualClock();
    const seq = ['queued', 'warming-up', 'in-progress', 'finalizing', 'success'];
    let i = 0;
    const { fetch } = fakeFetch(() => {
      const status = seq[Math.min(i++, seq.length - 1)];
      return {
        body: {
          job: { id: 'job_1', status, metadata: { assetIds: status === 'success' ? ['asset_1'] : [] } },
        },
      };
    });
    const client = scenarioOver(fetch);
    const job = await waitForJob({ client, jobId: 'job_1', ...clock });
    expect(job).toMatchObject({ jobId: 'job_1', status: 'success', metadata: { assetIds: ['asset_1'] } });
    expect(clock.sleeps).toEqual([1000, 1500, 2250, 3375]);
  });

  it('cancels the job remotely when aborted with cancelOnAbort', async () => {
    const clock = virtualClock();
    const ac = new AbortController();
    const { fetch, calls } = fakeFetch((url) =>
      url.pathname.endsWith('/action')
        ? { body: { job: { jobId: 'job_1', status: 'in-progress' } } }
        : { body: { job: { jobId: 'job_1', status: 'in-progress', progress: 0.1 } } },
    );
    const client = scenarioOver(fetch);
    const wait = waitForJob({
      client,
      jobId: 'job_1',
      ...clock,
      signal: ac.signal,
      cancelOnAbort: true,
      onProgress: () => ac.abort(),
    });
    await expect(wait).rejects.toBeInstanceOf(AbortedError);
    expect(calls).toEqual(['/v1/jobs/job_1', '/v1/jobs/job_1/action']);
  });
});

describe('waitForModelsLabResult', () => {
  it('waits the announced eta first, then fetches once', async () => {
    const clock = virtualClock();
    const ready = clock.now() + 13_000;
    const { fetch, calls } = fakeFetch(() =>
      clock.now() >= ready
        ? { body: { status: 'success', id: 5, output: ['http://x/1.png'] } }
        : { body: { status: 'processing', id: 5, eta: (ready - clock.now()) / 1000, future_links: [] } },
    );
    const client = modelslabOver(fetch);
    const r = await waitForModelsLabResult({ client, id: '5', etaMs: 13_000, ...clock });
    expect(r.output).toEqual(['http://x/1.png']);
    expect(calls).toEqual(['/api/v6/images/fetch']);
  });

  it('throws the mapped error when the generation fails', async () => {
    const clock = virtualClock();
    const { fetch } = fakeFetch(() => ({ body: { status: 'failed', id: 5, message: 'NSFW' } }));
    const client = modelslabOver(fetch);
    await expect(waitForModelsLabResult({ client, id: '5', ...clock })).rejects.toMatchObject({
      code: 'job_failed',
    });
  });
});

describe('waitForModelsLabTraining', () => {
  it('reports every stage until model_ready', async () => {
    const clock = virtualClock();
    const stages = [
      'deploying_gpu',
      'training_started',
      'training_success',
      'deploying_model',
      'model_ready',
    ];
    let i = 0;
    const { fetch } = fakeFetch(() => ({
      body: { status: 'success', messege: stages[Math.min(i++, 4)], data: 'log' },
    }));
    const client = modelslabOver(fetch);
    const seen: string[] = [];
    const s = await waitForModelsLabTraining({
      client,
      trainingId: 't1',
      ...clock,
      onProgress: (p) => seen.push(p.stage),
    });
    expect(s).toMatchObject({ stage: 'model_ready', done: true, stageIndex: 7 });
    expect(seen).toEqual(stages);
  });
});
