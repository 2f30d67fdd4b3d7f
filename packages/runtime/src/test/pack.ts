import { defineNode, definePack, NodeRunError, t } from '@loraflow/core';
import { z } from 'zod';

/**
 * A tiny in-test "provider": creates models by name and runs training jobs that finish when the test says so.
 * It counts every call, so tests can prove nothing was created or trained twice.
 */
export function createFakeService() {
  const models = new Map<string, { id: string; name: string }>();
  const jobs = new Map<string, { id: string; modelId: string; status: 'running' | 'done' | 'cancelled' }>();
  const calls = { create: 0, train: 0, cancel: 0, find: 0 };
  let hang = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  return {
    calls,
    models,
    jobs,
    /** While set, `create` does its work remotely but never answers: a crash between the call and its record. */
    hangAfterCreate(on: boolean) {
      hang = on;
    },
    async create(name: string): Promise<{ id: string }> {
      calls.create++;
      const model = { id: `m${models.size + 1}`, name };
      models.set(name, model);
      if (hang) await new Promise(() => {});
      return { id: model.id };
    },
    async findByName(name: string): Promise<{ id: string } | undefined> {
      calls.find++;
      const model = models.get(name);
      return model ? { id: model.id } : undefined;
    },
    async findJob(modelId: string): Promise<{ jobId: string } | undefined> {
      calls.find++;
      const job = [...jobs.values()].find((j) => j.modelId === modelId);
      return job ? { jobId: job.id } : undefined;
    },
    async status(jobId: string): Promise<'running' | 'done' | 'cancelled' | undefined> {
      return jobs.get(jobId)?.status;
    },
    async train(modelId: string): Promise<{ jobId: string }> {
      calls.train++;
      const job = { id: `j${jobs.size + 1}`, modelId, status: 'running' as const };
      jobs.set(job.id, job);
      return { jobId: job.id };
    },
    async cancelJob(jobId: string) {
      calls.cancel++;
      const job = jobs.get(jobId);
      if (job && job.status === 'running') job.status = 'cancelled';
      notify();
    },
    finishAll() {
      for (const job of jobs.values()) if (job.status === 'running') job.status = 'done';
      notify();
    },
    /** Resolves when the job is no longer running, or rejects when the signal aborts. */
    waitFor(jobId: string, signal: AbortSignal): Promise<'done' | 'cancelled'> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const job = jobs.get(jobId);
          if (!job) return reject(new NodeRunError('job.unknown', `No job ${jobId}.`));
          if (job.status !== 'running') {
            waiters.delete(check);
            resolve(job.status);
          }
        };
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener('abort', () => {
          waiters.delete(check);
          reject(signal.reason);
        });
        waiters.add(check);
        check();
      });
    },
  };
}

export type FakeService = ReturnType<typeof createFakeService>;

/** What the train node needs from a provider: the fake service in process, or its HTTP client across processes. */
export type TrainingService = Pick<
  FakeService,
  'create' | 'findByName' | 'train' | 'findJob' | 'cancelJob' | 'waitFor'
>;

const text = defineNode({
  type: 'test.text',
  version: 1,
  title: 'Text',
  category: 'Test',
  params: z.object({ text: z.string() }),
  outputs: { text: { type: t.string() } },
  async run(ctx) {
    return { text: ctx.params.text };
  },
});

const concat = defineNode({
  type: 'test.concat',
  version: 1,
  title: 'Concat',
  params: z.object({ separator: z.string().default(' ') }),
  inputs: {
    parts: { type: t.string(), multiple: true, settings: z.object({ upper: z.boolean().default(false) }) },
  },
  outputs: { text: { type: t.string() } },
  async run(ctx) {
    const parts = ctx.inputs.parts.map((p) =>
      p.settings.upper ? String(p.value).toUpperCase() : String(p.value),
    );
    return { text: parts.join(ctx.params.separator) };
  },
});

const fail = defineNode({
  type: 'test.fail',
  version: 1,
  params: z.object({ message: z.string() }),
  inputs: { in: { type: t.string(), optional: true } },
  outputs: { text: { type: t.string() } },
  async run(ctx) {
    throw new NodeRunError('test.failed', ctx.params.message);
  },
});

const bytes = defineNode({
  type: 'test.bytes',
  version: 1,
  params: z.object({}),
  inputs: { text: { type: t.string() } },
  outputs: { file: { type: t.json() } },
  async run(ctx) {
    return { file: await ctx.blobs.put(new TextEncoder().encode(String(ctx.inputs.text)), 'text/plain') };
  },
});

/** Creates a model named after the node's cache key (so a resumed run can find it), trains it and waits. */
const train = defineNode({
  type: 'test.train',
  version: 1,
  title: 'Train',
  category: 'Test',
  params: z.object({ steps: z.number().int().min(1).max(1000).default(10) }),
  inputs: { name: { type: t.string() } },
  outputs: { model: { type: t.string() } },
  sideEffects: true,
  resources: ['provider:fake'],
  async estimate({ params }) {
    return { amount: params.steps * 2, unit: 'credits' };
  },
  async run(ctx) {
    const service = ctx.services.get<TrainingService>('fake');
    const name = `lf-${String(ctx.inputs.name)}-${ctx.key.slice(0, 12)}`;
    const model = await ctx.effect('create', {
      intent: { name },
      perform: () => service.create(name),
      reconcile: async (intent) => service.findByName((intent as { name: string }).name),
    });
    const { jobId } = await ctx.effect('train', {
      intent: { modelId: model.id },
      perform: () => service.train(model.id),
      reconcile: async (intent) => service.findJob((intent as { modelId: string }).modelId),
    });
    ctx.progress(0.1, 'training');
    try {
      const status = await service.waitFor(jobId, ctx.signal as AbortSignal);
      if (status === 'cancelled')
        throw new NodeRunError('train.cancelled', 'The training was cancelled at the provider.');
    } catch (error) {
      if (ctx.signal.aborted) await service.cancelJob(jobId);
      throw error;
    }
    return { model: model.id };
  },
});

/** Tries every way a node could leak the `secret` service's value: logs, progress, errors, outputs, blobs, journal. */
const leak = defineNode({
  type: 'test.leak',
  version: 1,
  params: z.object({ via: z.enum(['throw', 'output', 'blob', 'effect', 'log']) }),
  outputs: { text: { type: t.string() } },
  sideEffects: true,
  async run(ctx) {
    const secret = ctx.services.get<string>('secret');
    ctx.log.warn(`calling with key ${secret}`, { key: secret });
    ctx.progress(0.5, `key=${secret}`);
    switch (ctx.params.via) {
      case 'throw':
        throw new Error(`401: the key ${secret} was refused`);
      case 'output':
        return { text: `token ${secret}` };
      case 'blob':
        await ctx.blobs.put(new TextEncoder().encode(`key: ${secret}`), 'text/plain');
        return { text: 'stored' };
      case 'effect':
        return { text: await ctx.effect('call', { intent: { key: secret }, perform: async () => 'ok' }) };
      default:
        return { text: 'logged' };
    }
  },
});

/** Prices its run by the characters of its (known) inputs: proves `estimate` sees cached upstream outputs. */
const priced = defineNode({
  type: 'test.priced',
  version: 1,
  params: z.object({ perCharacter: z.number() }),
  inputs: { parts: { type: t.string(), multiple: true, optional: true } },
  outputs: { text: { type: t.string() } },
  async estimate({ params, inputs, inputTypes }) {
    if (params.perCharacter < 0)
      throw new NodeRunError('estimate.refused', 'A negative price cannot be estimated.');
    const parts = (inputs.parts as Array<{ value: unknown }> | undefined) ?? [];
    // connected parts whose text is not in the cache yet: the price cannot be known
    const connected = inputTypes.parts?.length ?? 0;
    if (parts.length < connected) return undefined;
    const characters = parts.reduce((sum, p) => sum + String(p.value).length, 0);
    return { amount: characters * params.perCharacter, unit: 'credits', detail: { connected } };
  },
  async run(ctx) {
    return { text: ctx.inputs.parts.map((p) => String(p.value)).join('') };
  },
});

/** Test nodes: text, concat (with per-connection settings), a failing node, a blob writer and a side-effect trainer. */
export const testPack = definePack({ name: 'test', nodes: [text, concat, fail, bytes, train, leak, priced] });

/** A document from a compact list of nodes and `from.port->to.port` edges. */
export function graph(
  nodes: Array<{ id: string; type: string; params?: Record<string, unknown> }>,
  edges: Array<[string, string, Record<string, unknown>?]> = [],
) {
  return {
    format: 'loraflow.graph' as const,
    version: 1 as const,
    nodes,
    edges: edges.map(([from, to, settings], i) => {
      const [fn, fp] = from.split('.') as [string, string];
      const [tn, tp] = to.split('.') as [string, string];
      return {
        id: `e${i}`,
        from: { node: fn, port: fp },
        to: { node: tn, port: tp },
        ...(settings ? { settings } : {}),
      };
    }),
  };
}
