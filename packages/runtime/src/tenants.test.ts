import { createRegistry, defineNode, definePack, t } from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RUNTIME_CODES, RuntimeError } from './errors';
import { createRuntimeHandler } from './http/handler';
import type { ModelSource } from './models';
import { createRuntime } from './runtime';
import { createMemoryStore } from './store/memory';
import type { NodeRecord, RunRecord } from './store/types';
import { layServices, parseTenantCredentials, type TenantCredentials } from './tenants';
import { graph, testPack } from './test/pack';
import { listen } from './test/serve';

/** A provider client in miniature: it says which key it holds, and its account is that key's (decision 0010). */
class KeyedClient {
  readonly apiKey: string;
  /** When set, a call waits on it: a provider still working when its process stops. */
  readonly gate: Promise<void> | undefined;
  constructor(apiKey: string, gate?: Promise<void>) {
    this.apiKey = apiKey;
    this.gate = gate;
  }
  cacheScope(hash: (text: string) => string): string {
    return hash(`account:${this.apiKey}`);
  }
}

const calls: string[] = [];
// scoped to the "modelslab" account: what a training on a tenant's key would be
const whoami = defineNode({
  type: 'tenant.whoami',
  version: 1,
  params: z.object({ label: z.string() }),
  outputs: { text: { type: t.string() } },
  cache: 'pure',
  scope: ['modelslab'],
  async run(ctx) {
    const client = ctx.services.get<KeyedClient>('modelslab');
    calls.push(client.apiKey);
    await client.gate;
    return { text: `${ctx.params.label} by ${client.apiKey.length}-char key` };
  },
});
const registry = createRegistry(definePack({ name: 'tenant-test', nodes: [whoami] }));
const doc = graph([{ id: 'who', type: 'tenant.whoami', params: { label: 'hello' } }]);

const alice: TenantCredentials = { tenant: 'alice', providers: { modelslab: { apiKey: 'alice-key-1234' } } };
const bob: TenantCredentials = { tenant: 'bob', providers: { modelslab: { apiKey: 'bob-key-5678' } } };

function tenantRuntime() {
  const store = createMemoryStore();
  const runtime = createRuntime({
    registry,
    store,
    services: { modelslab: new KeyedClient('host-own-key-0000') },
    tenants: {
      services: ({ providers }) =>
        providers.modelslab ? { modelslab: new KeyedClient(providers.modelslab.apiKey) } : {},
    },
  });
  return { store, runtime };
}

describe('tenant credentials', () => {
  it('parses what a host hook answers, or refuses it naming the path and never a value', () => {
    const key = fc.string({ minLength: 12, maxLength: 40 });
    const anyShape = fc.oneof(
      fc.record({
        tenant: fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom('alice', 'team.7:user@x')),
        providers: fc.record(
          {
            scenario: fc.record(
              { apiKey: key, apiSecret: key, projectId: fc.oneof(key, fc.constant('proj_abc')) },
              { requiredKeys: [] },
            ),
            modelslab: fc.record({ apiKey: key }, { requiredKeys: [] }),
            other: key,
          },
          { requiredKeys: [] },
        ),
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(anyShape, (value) => {
        let parsed: TenantCredentials | undefined;
        try {
          parsed = parseTenantCredentials(value);
        } catch (error) {
          expect(error).toBeInstanceOf(RuntimeError);
          expect((error as RuntimeError).code).toBe(RUNTIME_CODES.tenantCredentialsInvalid);
          expect((error as RuntimeError).status).toBe(403);
          const said = JSON.stringify([(error as RuntimeError).message, (error as RuntimeError).issues]);
          const strings = JSON.stringify(value ?? null).match(/"((?:[^"\\]|\\.){12,})"/g) ?? [];
          for (const s of strings) expect(said).not.toContain(JSON.parse(s));
          return;
        }
        // accepted: exactly the documented shape, every key long enough for the redactor to hide it
        expect(parsed.tenant).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/);
        const keys = [
          parsed.providers.scenario?.apiKey,
          parsed.providers.scenario?.apiSecret,
          parsed.providers.modelslab?.apiKey,
        ];
        for (const k of keys) if (k !== undefined) expect(k.length).toBeGreaterThanOrEqual(4);
        expect(Object.keys(parsed.providers).every((p) => p === 'scenario' || p === 'modelslab')).toBe(true);
      }),
    );
  });

  it('leaves the host’s own provider clients out of a tenant’s services, so a tenant never spends the host’s account', () => {
    const host = new KeyedClient('host-key-0000');
    const polling = { maxIntervalMs: 5 };
    expect(layServices({ modelslab: host, polling }, {})).toEqual({ polling });
    expect(layServices(new Map<string, unknown>([['modelslab', host]]), { files: 1 })).toEqual({ files: 1 });
  });
});

describe('a runtime serving tenants', () => {
  it('runs each tenant on its own keys, with cache keys of its own account', async () => {
    const { runtime } = tenantRuntime();
    calls.length = 0;
    const a = await (await runtime.forTenant(alice).run(doc)).result;
    const again = await (await runtime.forTenant(alice).run(doc)).result;
    const b = await (await runtime.forTenant(bob).run(doc)).result;
    expect(calls).toEqual(['alice-key-1234', 'bob-key-5678']);
    expect([a.nodes.who?.status, again.nodes.who?.status, b.nodes.who?.status]).toEqual([
      'succeeded',
      'cached',
      'succeeded',
    ]);
    expect(a.nodes.who?.key).not.toBe(b.nodes.who?.key);
    // the host's own runs are its own account again
    await (await runtime.run(doc)).result;
    expect(calls.at(-1)).toBe('host-own-key-0000');
    const [explained] = await runtime.forTenant({ ...bob, tenant: 'carol' }).explain(doc);
    expect(explained?.willRun).toBe(false);
    const [fresh] = await runtime
      .forTenant({ tenant: 'dave', providers: { modelslab: { apiKey: 'dave-key-9012' } } })
      .explain(doc);
    expect(fresh?.willRun).toBe(true);
  });

  it('keeps a tenant’s id on its runs, never its keys, and shows each tenant only its own runs', async () => {
    const { runtime, store } = tenantRuntime();
    const { runId: aliceRun } = await runtime.forTenant(alice).run(doc);
    const bobHandle = await runtime.forTenant(bob).run(doc);
    await bobHandle.result;
    expect((await store.getRun(aliceRun))?.tenant).toBe('alice');
    expect((await runtime.forTenant(alice).listRuns()).map((r) => r.runId)).toEqual([aliceRun]);
    expect(await runtime.forTenant(alice).getRun(bobHandle.runId)).toBeUndefined();
    for (const refused of [
      runtime.forTenant(alice).cancel(bobHandle.runId),
      runtime.forTenant(alice).resume(bobHandle.runId),
      (async () => {
        for await (const _ of runtime.forTenant(alice).events(bobHandle.runId));
      })(),
    ])
      await expect(refused).rejects.toMatchObject({ code: RUNTIME_CODES.runNotFound });
    // the host sees both
    expect(await runtime.listRuns()).toHaveLength(2);
    const stored = JSON.stringify([
      await store.listRuns(),
      await store.getEvents(aliceRun),
      await store.getEvents(bobHandle.runId),
    ]);
    for (const key of ['alice-key-1234', 'bob-key-5678']) expect(stored).not.toContain(key);
  });

  it('lists only the tenant’s runs even over a store that ignores the tenant option', async () => {
    const inner = createMemoryStore();
    // a store written before tenants: it lists everyone's runs whatever it is asked
    const older = Object.assign(Object.create(inner), {
      listRuns: (o?: { limit?: number }) => inner.listRuns(o?.limit !== undefined ? { limit: o.limit } : {}),
    }) as typeof inner;
    const runtime = createRuntime({
      registry,
      store: older,
      tenants: {
        services: ({ providers }) => ({ modelslab: new KeyedClient(providers.modelslab?.apiKey ?? '') }),
      },
    });
    const mine = await runtime.forTenant(alice).run(doc);
    await (await runtime.forTenant(bob).run(doc)).result;
    await mine.result;
    expect((await runtime.forTenant(alice).listRuns()).map((r) => r.runId)).toEqual([mine.runId]);
  });

  it('refuses a graph that carries the tenant’s own key, as it does the host’s secrets', async () => {
    const { runtime } = tenantRuntime();
    const leaky = graph([{ id: 'who', type: 'tenant.whoami', params: { label: 'alice-key-1234' } }]);
    await expect(runtime.forTenant(alice).run(leaky)).rejects.toMatchObject({
      code: RUNTIME_CODES.graphSecret,
    });
  });

  it('resumes a tenant’s run without a request only through credentialsFor', async () => {
    calls.length = 0;
    const store = createMemoryStore();
    const stuck = createRuntime({
      registry,
      store,
      tenants: {
        services: ({ providers }) => ({
          modelslab: new KeyedClient(providers.modelslab?.apiKey ?? '', new Promise(() => {})),
        }),
      },
    });
    const { runId } = await stuck.forTenant(alice).run(doc);
    await expect.poll(() => calls).toEqual(['alice-key-1234']);
    await stuck.interrupt();
    const bare = createRuntime({ registry, store: store, tenants: { services: () => ({}) } });
    await expect(bare.resume(runId)).rejects.toMatchObject({
      code: RUNTIME_CODES.tenantCredentialsUnavailable,
    });
    const untenanted = createRuntime({ registry, store: store });
    await expect(untenanted.resume(runId)).rejects.toMatchObject({
      code: RUNTIME_CODES.tenantCredentialsUnavailable,
    });
    const liar = createRuntime({
      registry,
      store: store,
      tenants: { services: () => ({}), credentialsFor: () => bob },
    });
    await expect(liar.resume(runId)).rejects.toMatchObject({ code: RUNTIME_CODES.tenantCredentialsInvalid });
    calls.length = 0;
    const again = createRuntime({
      registry,
      store: store,
      tenants: {
        services: ({ providers }) => ({ modelslab: new KeyedClient(providers.modelslab?.apiKey ?? '') }),
        credentialsFor: (tenant) => (tenant === 'alice' ? alice : undefined),
      },
    });
    expect((await (await again.resume(runId)).result).status).toBe('succeeded');
    expect(calls).toEqual(['alice-key-1234']);
  });

  it('lists each tenant the models its own keys see, never the host’s catalogue', async () => {
    // a source in miniature: it lists one model named after the key its client holds
    const sourceOn = (client: KeyedClient): ModelSource => ({
      provider: 'modelslab',
      list: async () => ({
        models: [{ id: `model-of-${client.apiKey}`, name: client.apiKey, kind: 'lora' }],
      }),
    });
    const runtime = createRuntime({
      registry,
      store: createMemoryStore(),
      services: { modelslab: new KeyedClient('host-own-key-0000') },
      models: [sourceOn(new KeyedClient('host-own-key-0000'))],
      tenants: {
        services: ({ providers }) =>
          providers.modelslab ? { modelslab: new KeyedClient(providers.modelslab.apiKey) } : {},
        models: (services) => (services.modelslab ? [sourceOn(services.modelslab as KeyedClient)] : []),
      },
    });
    const ids = async (r: { models: () => Promise<{ models: Array<{ id: string }> }> }) =>
      (await r.models()).models.map((m) => m.id);
    expect(await ids(runtime)).toEqual(['model-of-host-own-key-0000']);
    expect(await ids(runtime.forTenant(alice))).toEqual(['model-of-alice-key-1234']);
    expect(await ids(runtime.forTenant(bob))).toEqual(['model-of-bob-key-5678']);
    // a runtime whose tenants have no catalogue lists nothing for them rather than the host's
    const bare = createRuntime({
      registry,
      store: createMemoryStore(),
      models: [sourceOn(new KeyedClient('host-own-key-0000'))],
      tenants: { services: () => ({}) },
    });
    expect(await ids(bare.forTenant(alice))).toEqual([]);
  });

  it('builds a tenant’s services once per key set: its picker lists through the clients its runs use', async () => {
    const built: KeyedClient[] = [];
    const listedBy: KeyedClient[] = [];
    const runtime = createRuntime({
      registry,
      store: createMemoryStore(),
      tenants: {
        services: ({ providers }) => {
          const client = new KeyedClient(providers.modelslab?.apiKey ?? '');
          built.push(client);
          return { modelslab: client };
        },
        models: (services) => [
          {
            provider: 'modelslab',
            list: async () => {
              listedBy.push(services.modelslab as KeyedClient);
              return { models: [] };
            },
          },
        ],
      },
    });
    await (await runtime.forTenant(alice).run(doc)).result;
    await runtime.forTenant(alice).models();
    await runtime.forTenant(alice).models();
    expect(built).toHaveLength(1);
    expect(listedBy).toEqual([built[0], built[0]]);
  });

  it('is refused by name when the runtime was made without tenants', () => {
    const plain = createRuntime({ registry });
    expect(() => plain.forTenant(alice)).toThrow(/tenants option/);
    expect(() => createRuntimeHandler(plain, { credentials: () => alice })).toThrow(/serves tenants/);
  });
});

describe('the handler’s credentials hook', () => {
  it('answers 401 tenant.unauthorized for no tenant or a throwing hook, 403 for a malformed answer, without echoing it', async () => {
    const { runtime } = tenantRuntime();
    const answers: Record<string, () => unknown> = {
      none: () => undefined,
      throws: () => {
        throw new Error('db down: password hunter2hunter2');
      },
      malformed: () => ({
        tenant: 'alice',
        providers: { modelslab: { apiKey: 'x' }, openai: { apiKey: 'sk-leaked-key-1' } },
      }),
      alice: () => alice,
    };
    const handler = createRuntimeHandler(runtime, {
      credentials: (request) => answers[request.headers.get('x-user') ?? 'none']!(),
    });
    const { url } = await listen(handler);
    const ask = async (user: string) => {
      const response = await fetch(`${url}/runs`, { headers: { 'x-user': user } });
      return { status: response.status, text: await response.text() };
    };
    const none = await ask('none');
    const throws = await ask('throws');
    const malformed = await ask('malformed');
    expect([none.status, throws.status, malformed.status]).toEqual([401, 401, 403]);
    expect(JSON.parse(none.text).error.code).toBe(RUNTIME_CODES.tenantUnauthorized);
    expect(JSON.parse(malformed.text).error.code).toBe(RUNTIME_CODES.tenantCredentialsInvalid);
    expect(throws.text).not.toContain('hunter2');
    expect(malformed.text).not.toContain('sk-leaked-key-1');
    expect(JSON.parse((await ask('alice')).text)).toEqual({ runs: [] });
  });
});

describe('tenant isolation over HTTP', () => {
  it('answers another tenant’s run, events, cancel, resume and blobs 404, and the owner its blob', async () => {
    const runtime = createRuntime({
      registry: createRegistry(testPack),
      store: createMemoryStore(),
      tenants: { services: () => ({}) },
    });
    const handler = createRuntimeHandler(runtime, {
      credentials: (request) => (request.headers.get('x-user') === 'bob' ? bob : alice),
    });
    const { url } = await listen(handler);
    const as = (user: string, path: string, method = 'GET') =>
      fetch(`${url}${path}`, { method, headers: { 'x-user': user } });
    const blobDoc = graph(
      [
        { id: 'text', type: 'test.text', params: { text: 'alice only' } },
        { id: 'file', type: 'test.bytes' },
      ],
      [['text.text', 'file.text']],
    );
    const posted = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      body: JSON.stringify({ graph: blobDoc }),
    });
    const { runId } = (await posted.json()) as { runId: string };
    await expect.poll(async () => (await runtime.getRun(runId))?.status).toBe('succeeded');
    const hash = ((await runtime.getRun(runId))!.nodes.file!.outputs!.file as { $blob: string }).$blob;

    const owner = await as('alice', `/blobs/${hash}`);
    expect(owner.status).toBe(200);
    expect(await owner.text()).toBe('alice only');
    for (const [path, method] of [
      [`/runs/${runId}`, 'GET'],
      [`/runs/${runId}/events`, 'GET'],
      [`/runs/${runId}/cancel`, 'POST'],
      [`/runs/${runId}/resume`, 'POST'],
      [`/blobs/${hash}`, 'GET'],
    ] as const) {
      const answer = await as('bob', path, method);
      expect([path, answer.status]).toEqual([path, 404]);
      expect(await answer.text()).not.toContain('alice only');
    }
    expect(await (await as('bob', '/runs')).json()).toEqual({ runs: [] });
    expect(await runtime.getRun(runId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('a tenant’s blob index (decision 0034)', () => {
  const hashOf = (i: number) => i.toString(16).padStart(64, '0');
  const record = (i: number, status: RunRecord['status'] = 'succeeded'): RunRecord => ({
    runId: `run_${i}`,
    doc: graph([]),
    status,
    createdAt: 1_000 + i,
    startedAt: 1_000 + i,
    updatedAt: 1_000 + i,
    attempts: 1,
    nodes: {
      image: {
        status: 'succeeded',
        key: `k${i}`,
        outputs: { file: { $blob: hashOf(i), mime: 'image/png', size: 1 } },
      },
    },
    lastSeq: 0,
    tenant: 'alice',
  });

  it('answers a hash the tenant does not own from its index, reading no run of its history again', async () => {
    const store = createMemoryStore();
    for (let i = 1; i <= 300; i++) await store.putRun(record(i));
    await store.putBlob(new TextEncoder().encode('bob’s bytes'), 'text/plain');
    const read: number[] = [];
    const listRuns = store.listRuns.bind(store);
    store.listRuns = async (o) => {
      const runs = await listRuns(o);
      read.push(runs.length);
      return runs;
    };
    const runtime = createRuntime({ registry, store, tenants: { services: () => ({}) } });
    const view = runtime.forTenant(alice);
    expect(await view.getBlob(hashOf(999))).toBeUndefined();
    const built = read.reduce((a, b) => a + b, 0);
    expect(built).toBeGreaterThanOrEqual(300);
    read.length = 0;
    for (let i = 0; i < 10; i++) expect(await view.getBlob(hashOf(1_000 + i))).toBeUndefined();
    // per miss: the newest page (4 runs, all known already), never the tenant's 300 runs
    expect(read).toEqual(Array(10).fill(4));
  });

  it('still finds what runs written since refer to: a run created by another process, and a running run’s new outputs', async () => {
    const store = createMemoryStore();
    for (let i = 1; i <= 20; i++) await store.putRun(record(i));
    const bytes = async (text: string) =>
      (await store.putBlob(new TextEncoder().encode(text), 'text/plain')).$blob;
    const runtime = createRuntime({ registry, store, tenants: { services: () => ({}) } });
    const view = runtime.forTenant(alice);
    expect(await view.getBlob(hashOf(999))).toBeUndefined();

    // another process creates a run, then one of the tenant's runs still going gains an output
    const output = (key: string, hash: string): NodeRecord => ({
      status: 'succeeded',
      key,
      outputs: { file: { $blob: hash, mime: 'text/plain', size: 1 } },
    });
    const fresh = await bytes('made elsewhere');
    await store.putRun({ ...record(21, 'running'), nodes: { image: output('k21', fresh) } });
    expect(new TextDecoder().decode(await view.getBlob(fresh))).toBe('made elsewhere');
    const later = await bytes('rendered later');
    await store.putRun({
      ...record(21, 'running'),
      nodes: { image: output('k21', later), more: output('k22', fresh) },
    });
    expect(new TextDecoder().decode(await view.getBlob(later))).toBe('rendered later');
    // bob owns none of it
    expect(await runtime.forTenant(bob).getBlob(later)).toBeUndefined();
  });
});
