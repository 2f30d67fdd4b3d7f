import { NodeRunError } from '@loraflow/core';
import { Hono } from 'hono';
import type { FakeService, TrainingService } from './pack';

/** The fake provider over HTTP, so a runtime in another process (one the test kills) can use it. */
export function fakeServiceHandler(service: FakeService): (request: Request) => Promise<Response> {
  const app = new Hono();
  app.post('/models', async (c) =>
    c.json(await service.create(((await c.req.json()) as { name: string }).name)),
  );
  app.get('/models', async (c) => c.json((await service.findByName(c.req.query('name') ?? '')) ?? null));
  app.post('/jobs', async (c) =>
    c.json(await service.train(((await c.req.json()) as { modelId: string }).modelId)),
  );
  app.get('/jobs', async (c) => c.json((await service.findJob(c.req.query('modelId') ?? '')) ?? null));
  app.get('/jobs/:id', async (c) => c.json({ status: (await service.status(c.req.param('id'))) ?? null }));
  app.post('/jobs/:id/cancel', async (c) => {
    await service.cancelJob(c.req.param('id'));
    return c.json({});
  });
  return async (request) => app.fetch(request);
}

/** A client of {@link fakeServiceHandler} with the shape the train node uses; waiting polls every few ms. */
export function fakeServiceClient(url: string): TrainingService {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await fetch(`${url}${path}`, init);
    return (await response.json()) as T;
  };
  return {
    create: (name) => call('POST', '/models', { name }),
    findByName: async (name) =>
      (await call<{ id: string } | null>('GET', `/models?name=${encodeURIComponent(name)}`)) ?? undefined,
    train: (modelId) => call('POST', '/jobs', { modelId }),
    findJob: async (modelId) =>
      (await call<{ jobId: string } | null>('GET', `/jobs?modelId=${modelId}`)) ?? undefined,
    cancelJob: async (jobId) => {
      await call('POST', `/jobs/${jobId}/cancel`, {});
    },
    async waitFor(jobId, signal) {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const { status } = await call<{ status: 'running' | 'done' | 'cancelled' | null }>(
          'GET',
          `/jobs/${jobId}`,
        );
        if (status === null) throw new NodeRunError('job.unknown', `No job ${jobId}.`);
        if (status !== 'running') return status;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
