import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { createRegistry } from '@loraflow/core';
import type { RunningEmulator } from '@loraflow/emulator/node';
import { loraPack } from '@loraflow/nodes';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
import {
  createRuntime,
  createRuntimeHandler,
  type RunRecord,
  type TenantCredentials,
  type TenantOptions,
} from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFilesService } from './graph-file';
import { eventually } from './test/eventually';
import { hits, proofEnvironment } from './test/proof-env';
import { filesUnder } from './test/spawn-cli';

// A host serving several users through one runtime handler: each request's tenant is decided by the host's
// credentials hook, and each tenant's runs spend that tenant's keys, over real HTTP against the emulator.

const { emulator, dir } = proofEnvironment();

// Alice names her Scenario project; Bob's key is bound to his project at the provider (the emulator does the same).
const ALICE = {
  token: 'Bearer alice-session-0001',
  scenario: { key: 'api_alice_key', secret: 'alice-scenario-secret-7c1d', projectId: 'proj_alice' },
  modelslab: 'alice-modelslab-key-51aa',
};
const BOB = {
  token: 'Bearer bob-session-0002',
  scenario: { key: 'api_bob_key', secret: 'bob-scenario-secret-93fe', projectId: 'proj_bob' },
  modelslab: 'bob-modelslab-key-0b7e',
};
const SECRETS = [ALICE, BOB].flatMap((t) => [t.scenario.key, t.scenario.secret, t.modelslab]);

/** An emulator that accepts both tenants' keys, each pair its own account. */
const twoAccounts = () =>
  emulator({
    credentials: { scenario: [ALICE.scenario, BOB.scenario], modelslab: [ALICE.modelslab, BOB.modelslab] },
  });

const credentialsOf = (who: typeof ALICE, name: string, withProject: boolean): TenantCredentials => ({
  tenant: name,
  providers: {
    scenario: {
      apiKey: who.scenario.key,
      apiSecret: who.scenario.secret,
      ...(withProject ? { projectId: who.scenario.projectId } : {}),
    },
    modelslab: { apiKey: who.modelslab },
  },
});
const TENANTS = new Map([
  [ALICE.token, credentialsOf(ALICE, 'alice', true)],
  [BOB.token, credentialsOf(BOB, 'bob', false)],
]);

/** Provider clients on the emulator built from a tenant's keys: what a host's `tenants.services` does. */
function servicesOn(server: RunningEmulator): TenantOptions['services'] {
  return ({ providers }) => ({
    ...(providers.scenario
      ? {
          scenario: new ScenarioClient({
            baseUrl: `${server.url}/scenario/v1`,
            apiKey: providers.scenario.apiKey,
            apiSecret: providers.scenario.apiSecret,
            ...(providers.scenario.projectId ? { projectId: providers.scenario.projectId } : {}),
          }),
        }
      : {}),
    ...(providers.modelslab
      ? {
          modelslab: new ModelsLabClient({
            baseUrl: `${server.url}/modelslab/api`,
            apiKey: providers.modelslab.apiKey,
          }),
        }
      : {}),
  });
}

/** A runtime over a file store in `cwd/store` that serves tenants, behind the HTTP handler on loopback. */
async function tenantServer(server: RunningEmulator, cwd: string, tenants: Partial<TenantOptions> = {}) {
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store: createFileStore({ dir: join(cwd, 'store') }),
    services: { polling: { maxIntervalMs: 20 }, files: createFilesService({ root: cwd, outDir: cwd }) },
    tenants: { services: servicesOn(server), ...tenants },
  });
  const handler = createRuntimeHandler(runtime, {
    credentials: (request) => TENANTS.get(request.headers.get('authorization') ?? ''),
  });
  const http = createAdaptorServer({ fetch: handler });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    (http as import('node:http').Server).closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const call = (token: string | undefined, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: token } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  return { runtime, call };
}

async function exampleGraph(cwd: string, prompt?: string): Promise<unknown> {
  const doc = JSON.parse(await readFile(join(cwd, 'compose-train-generate.json'), 'utf8')) as {
    nodes: Array<{ id: string; params: Record<string, unknown> }>;
  };
  if (prompt !== undefined) doc.nodes.find((n) => n.id === 'prompt')!.params.text = prompt;
  return doc;
}

type Call = Awaited<ReturnType<typeof tenantServer>>['call'];

/** Starts a run as `token` and reads its event stream to the end: the stream closes once the run has finished. */
async function runToEnd(call: Call, token: string, graph: unknown) {
  const started = await call(token, '/runs', { method: 'POST', body: JSON.stringify({ graph }) });
  expect(started.status).toBe(201);
  const { runId } = (await started.json()) as { runId: string };
  const events = await (await call(token, `/runs/${runId}/events`)).text();
  const record = (await (await call(token, `/runs/${runId}`)).json()) as RunRecord;
  return { runId, events, record };
}

const accountsOf = (server: RunningEmulator, route: string) => hits(server, route).map((e) => e.account);
const imagesOf = (record: RunRecord) =>
  [...JSON.stringify(record.nodes.render?.outputs ?? {}).matchAll(/"\$blob":"([0-9a-f]{64})"/g)].map(
    (m) => m[1],
  );
const errorCode = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;

describe('many tenants through one runtime handler', () => {
  it('runs each tenant’s graph on its own keys and account: the second tenant reuses none of the first’s training', async () => {
    const server = await twoAccounts();
    const cwd = await dir();
    const { call } = await tenantServer(server, cwd);
    const graph = await exampleGraph(cwd);

    const alice = await runToEnd(call, ALICE.token, graph);
    expect(alice.record.status).toBe('succeeded');
    expect(alice.record.tenant).toBe('alice');
    const afterAlice = server.emulator.log.entries().at(-1)!.seq;
    const bob = await runToEnd(call, BOB.token, graph);
    expect(bob.record.status).toBe('succeeded');

    // every Scenario call went with the key of the tenant whose run made it, in that tenant's project
    const scenarioCalls = server.emulator.log.entries({ provider: 'scenario' });
    expect(scenarioCalls.filter((e) => e.seq <= afterAlice).map((e) => e.account)).toEqual(
      scenarioCalls.filter((e) => e.seq <= afterAlice).map(() => 'scenario-key-0'),
    );
    expect(scenarioCalls.filter((e) => e.seq > afterAlice).map((e) => e.account)).toEqual(
      scenarioCalls.filter((e) => e.seq > afterAlice).map(() => 'scenario-key-1'),
    );
    // Bob's account trains its own LoRA and composition: nothing of Alice's cache served him
    expect({
      creates: accountsOf(server, 'scenario.models.create'),
      trains: accountsOf(server, 'scenario.models.train'),
      uploads: accountsOf(server, 'scenario.models.trainingImages.add').length,
    }).toEqual({
      creates: ['scenario-key-0', 'scenario-key-0', 'scenario-key-1', 'scenario-key-1'],
      trains: ['scenario-key-0', 'scenario-key-0', 'scenario-key-1', 'scenario-key-1'],
      uploads: 10,
    });
    // only the account-free nodes (the prompt, the training photos) may come from the shared cache
    const cached = Object.entries(bob.record.nodes).filter(([, n]) => n.status === 'cached');
    expect(cached.map(([id]) => id).sort()).toEqual(['photos', 'prompt']);
    // the same graph again for Alice comes from her cache: no provider call trains anything
    const again = await runToEnd(call, ALICE.token, graph);
    expect(again.record.nodes.train?.status).toBe('cached');
    expect(accountsOf(server, 'scenario.models.train')).toHaveLength(4);

    // the keys are nowhere in what the runtime answered or stored
    for (const text of [alice.events, bob.events, JSON.stringify([alice.record, bob.record])])
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    for (const file of await filesUnder(join(cwd, 'store')))
      for (const secret of SECRETS)
        expect(file.bytes.includes(secret), `${file.path} holds a key`).toBe(false);
  });

  it('answers one tenant’s requests for another’s runs, events and images as if they did not exist', async () => {
    const server = await twoAccounts();
    const cwd = await dir();
    const { call } = await tenantServer(server, cwd);
    const alice = await runToEnd(call, ALICE.token, await exampleGraph(cwd, 'a lantern for alice'));
    const bob = await runToEnd(call, BOB.token, await exampleGraph(cwd, 'a kite for bob'));
    const [bobImage] = imagesOf(bob.record);
    const [aliceImage] = imagesOf(alice.record);
    expect(bobImage).toBeDefined();
    expect(bobImage).not.toBe(aliceImage);

    const listed = async (token: string) =>
      ((await (await call(token, '/runs')).json()) as { runs: RunRecord[] }).runs.map((r) => r.runId);
    expect(await listed(ALICE.token)).toEqual([alice.runId]);
    expect(await listed(BOB.token)).toEqual([bob.runId]);

    const asAlice = [
      await call(ALICE.token, `/runs/${bob.runId}`),
      await call(ALICE.token, `/runs/${bob.runId}/events`),
      await call(ALICE.token, `/runs/${bob.runId}/resume`, { method: 'POST' }),
      await call(ALICE.token, `/runs/${bob.runId}/cancel`, { method: 'POST' }),
    ];
    expect(asAlice.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    expect(await Promise.all(asAlice.map(errorCode))).toEqual(Array(4).fill('run.not-found'));
    // the same answer as for a run that never was: nothing tells Alice that Bob's run exists
    const never = await call(ALICE.token, '/runs/run_never_was');
    expect([never.status, await errorCode(never)]).toEqual([404, 'run.not-found']);

    const blob = (token: string, hash: string) => call(token, `/blobs/${hash}`);
    expect((await blob(BOB.token, bobImage!)).status).toBe(200);
    const refused = await blob(ALICE.token, bobImage!);
    expect([refused.status, await errorCode(refused)]).toEqual([404, 'blob.not-found']);
    expect((await blob(ALICE.token, aliceImage!)).status).toBe(200);
    // Bob's run is untouched by Alice's attempts
    expect(((await (await call(BOB.token, `/runs/${bob.runId}`)).json()) as RunRecord).status).toBe(
      'succeeded',
    );
  });

  it('refuses a request the host names no tenant for, before anything runs', async () => {
    const server = await emulator();
    const cwd = await dir();
    const { call } = await tenantServer(server, cwd);
    for (const token of [undefined, 'Bearer nobody']) {
      const refused = await call(token, '/runs', {
        method: 'POST',
        body: JSON.stringify({ graph: await exampleGraph(cwd) }),
      });
      expect([refused.status, await errorCode(refused)]).toEqual([401, 'tenant.unauthorized']);
    }
    expect(server.emulator.log.entries()).toEqual([]);
  });

  it('estimates with the caller’s account: what one tenant trained is still to be paid by another', async () => {
    const server = await twoAccounts();
    const cwd = await dir();
    const { call } = await tenantServer(server, cwd);
    const graph = await exampleGraph(cwd);
    await runToEnd(call, ALICE.token, graph);
    const willTrain = async (token: string) => {
      const answer = await call(token, '/estimate', { method: 'POST', body: JSON.stringify({ graph }) });
      const { nodes } = (await answer.json()) as { nodes: Array<{ nodeId: string; willRun: boolean }> };
      return nodes.find((n) => n.nodeId === 'train')?.willRun;
    };
    expect({ alice: await willTrain(ALICE.token), bob: await willTrain(BOB.token) }).toEqual({
      alice: false,
      bob: true,
    });
  });

  it('resumes a tenant’s run after a restart only with credentialsFor, and then on that tenant’s keys', async () => {
    const server = await twoAccounts();
    const cwd = await dir();
    const first = await tenantServer(server, cwd);
    const alice = await runToEnd(first.call, ALICE.token, await exampleGraph(cwd));
    // the run's end is stored (its lease let go) just after its last event
    const store = createFileStore({ dir: join(cwd, 'store') });
    await eventually(async () => expect((await store.getRun(alice.runId))?.lease).toBeUndefined());

    // a new process over the same store, resuming from its own code (a worker): no request brings the keys
    const bare = await tenantServer(server, cwd);
    await expect(bare.runtime.resume(alice.runId)).rejects.toMatchObject({
      code: 'tenant.credentials-unavailable',
    });
    const asked: string[] = [];
    const withLookup = await tenantServer(server, cwd, {
      credentialsFor: (tenant) => {
        asked.push(tenant);
        return [...TENANTS.values()].find((c) => c.tenant === tenant);
      },
    });
    const callsBefore = server.emulator.log.entries().length;
    const resumed = await (await withLookup.runtime.resume(alice.runId)).result;
    expect(resumed.status).toBe('succeeded');
    expect(asked).toEqual(['alice']);
    // Alice's cache (her account's) answered the training: nothing trained again, and no call on another account
    const since = server.emulator.log.entries().slice(callsBefore);
    expect(since.filter((e) => e.route === 'scenario.models.train')).toEqual([]);
    expect(new Set(since.filter((e) => e.provider === 'scenario').map((e) => e.account))).toEqual(
      new Set(['scenario-key-0']),
    );
  });
});
