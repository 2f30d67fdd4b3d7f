import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEndpoint, fillPath } from './endpoint';
import { ProviderResponseError, ServerError } from './errors';
import { ModelsLabClient } from './modelslab/client';
import { ScenarioClient } from './scenario/client';
import { scriptedServers } from './test/server';

const serve = scriptedServers(afterEach);

const retry = { maxRetries: 2, sleep: async () => {} };

// An endpoint the clients do not wrap, declared the way a host would (Scenario's model description).
const getDescription = defineEndpoint({
  method: 'GET',
  path: '/models/{modelId}/description',
  kind: 'read',
  params: z.object({ modelId: z.string().min(1) }),
  query: z.object({ locale: z.string().optional() }).optional(),
  response: z
    .looseObject({ description: z.looseObject({ value: z.string() }) })
    .transform((b) => b.description.value),
});

describe('an endpoint descriptor on the base client', () => {
  it('is all a new endpoint needs: auth, path parameters, query and the parsed answer come from the client', async () => {
    const s = await serve(() => ({ status: 200, body: { description: { value: 'ink style' } } }));
    const scenario = new ScenarioClient({
      baseUrl: `${s.url}/v1/`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
      projectId: 'proj_1',
    });
    const text = await scenario.request(getDescription, {
      params: { modelId: 'model a/b' },
      query: { locale: 'fr' },
    });
    expect(text).toBe('ink style');
    expect(s.seen[0]).toMatchObject({
      method: 'GET',
      url: '/v1/models/model%20a%2Fb/description?locale=fr&projectId=proj_1',
      headers: { authorization: `Basic ${btoa('api_key:secret_value')}` },
    });
  });

  it("answers an answer that does not fit the descriptor's schema with its path, not a TypeError", async () => {
    const s = await serve(() => ({ status: 200, body: { description: { value: 3 } } }));
    const scenario = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
    });
    const e = await scenario.request(getDescription, { params: { modelId: 'm' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderResponseError);
    expect(e).toMatchObject({ issues: [{ path: ['description', 'value'], code: 'invalid_type' }] });
  });

  it("retries by the descriptor's kind: a read through 503s, a create never once it may have arrived", async () => {
    const s = await serve((_r, n) =>
      n % 3 === 0 ? { status: 200, body: { ok: true } } : { status: 503, body: {} },
    );
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'modelslab-key-1234', retry });
    const ok = z.looseObject({ ok: z.boolean() });
    const read = defineEndpoint({
      method: 'POST',
      path: '/v6/images/system_load',
      kind: 'read',
      response: ok,
    });
    const create = defineEndpoint({
      method: 'POST',
      path: '/v6/images/upscale',
      kind: 'create',
      response: ok,
    });
    await expect(ml.request(read, {})).resolves.toEqual({ ok: true });
    expect(s.seen).toHaveLength(3);
    await expect(ml.request(create, {})).rejects.toBeInstanceOf(ServerError);
    expect(s.seen).toHaveLength(4);
    // ModelsLab's key rides in every body, the descriptor never mentions it.
    expect(JSON.parse(s.seen[3]?.body ?? '')).toEqual({ key: 'modelslab-key-1234' });
  });

  it('refuses a path with placeholders and no params schema when it is declared', () => {
    expect(() =>
      defineEndpoint({ method: 'GET', path: '/jobs/{jobId}', kind: 'read', response: z.unknown() }),
    ).toThrow(/names path parameters but has no params schema/);
    expect(fillPath(getDescription, { modelId: 'x?y' })).toBe('/models/x%3Fy/description');
  });
});
