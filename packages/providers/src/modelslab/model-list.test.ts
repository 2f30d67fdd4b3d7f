import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderResponseError } from '../errors';
import { scriptedServers } from '../test/server';
import { ModelsLabClient } from './client';
import { modelslabEndpoints } from './endpoints';

const serve = scriptedServers(afterEach);
const KEY = 'modelslab-KEY-model-list-31';
const client = (baseUrl: string) => new ModelsLabClient({ baseUrl, apiKey: KEY, retry: { maxRetries: 0 } });

const good = (id: string) => ({ model_id: id, status: 'model_ready', model_name: id.toUpperCase() });
const CANARY = 'sk-row-canary-5f2e9a';

describe('the ModelsLab public model list', () => {
  it('keeps the rows that read and counts the rest, quoting none of them', async () => {
    const s = await serve(() => ({
      status: 200,
      body: [
        good('sdxl'),
        { model_id: 42, model_name: CANARY },
        null,
        good('flux'),
        { model_name: 'no id', description: CANARY },
        good('anything-v5'),
      ],
    }));
    const list = await client(s.url).models.listPublic();
    expect(list.models.map((m) => m.id)).toEqual(['sdxl', 'flux', 'anything-v5']);
    expect(list.skipped).toBe(3);
    expect(JSON.stringify(list)).not.toContain(CANARY);
  });

  it('still refuses an answer that is not a list at all', async () => {
    const s = await serve(() => ({ status: 200, body: { models: [good('sdxl')] } }));
    const e = await client(s.url)
      .models.listPublic()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderResponseError);
    expect(e).toMatchObject({ code: 'invalid_response' });
  });

  it('accounts for every row, whatever the rows are: kept plus skipped is the whole', () => {
    const row = fc.oneof(
      fc.record({ model_id: fc.string({ minLength: 1 }), model_name: fc.option(fc.string()) }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const list = modelslabEndpoints.publicModelList.response.parse(rows);
        expect(list.models.length + list.skipped).toBe(rows.length);
        const readable = rows.filter(
          (r) =>
            typeof r === 'object' &&
            r !== null &&
            !Array.isArray(r) &&
            typeof (r as { model_id?: unknown }).model_id === 'string',
        );
        expect(list.models.length).toBeLessThanOrEqual(readable.length);
        for (const m of list.models) expect(m.id.length).toBeGreaterThan(0);
      }),
    );
  });
});
