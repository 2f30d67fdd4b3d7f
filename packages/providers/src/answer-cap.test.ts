import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderResponseError, ServerError, TimeoutError, ValidationError } from './errors';
import { ModelsLabClient } from './modelslab/client';
import { ANSWER_DEFAULTS } from './options';
import { ScenarioClient } from './scenario/client';
import { failure, scriptedServers } from './test/server';

const serve = scriptedServers(afterEach);
// Registered after the servers' hook, so it runs first: servers close on real timers.
afterEach(() => {
  vi.useRealTimers();
});

const ML_KEY = 'modelslab-KEY-answer-cap-0042';
const SC_KEY = 'api_answerCapKey01';
const SC_SECRET = 'answer-cap-SECRET-9f';
const retry = { maxRetries: 2, random: () => 0.5, sleep: async () => {} };

const modelslab = (baseUrl: string, extra: Partial<ConstructorParameters<typeof ModelsLabClient>[0]> = {}) =>
  new ModelsLabClient({ baseUrl, apiKey: ML_KEY, retry, ...extra });
const scenario = (baseUrl: string, extra: Partial<ConstructorParameters<typeof ScenarioClient>[0]> = {}) =>
  new ScenarioClient({ baseUrl, apiKey: SC_KEY, apiSecret: SC_SECRET, retry, ...extra });

/** A public-model row; `n` of them make an answer of any size. */
const row = (i: number) => ({ model_id: `model-${i}`, status: 'model_ready', model_name: `Model ${i}` });
const rows = (n: number) => Array.from({ length: n }, (_, i) => row(i));

/** Writes `[` and then rows without end (chunked, no Content-Length), counting the bytes written. */
function endlessList(state: { written: number; closed: boolean }) {
  return (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => {
      state.closed = true;
    });
    res.write('[');
    const chunk = `${JSON.stringify(rows(200)).slice(1, -1)},`;
    const pump = () => {
      while (!state.closed && state.written < 256 * 1024 * 1024) {
        state.written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  };
}

describe('JSON answers are read under a byte cap', () => {
  it('refuses a ModelsLab answer whose Content-Length is over the cap, once, naming the endpoint and never the key', async () => {
    const body = JSON.stringify(rows(200));
    const s = await serve(() => ({ status: 200, body }));
    const e = await failure(modelslab(s.url, { maxAnswerBytes: 1024 }).models.listPublic());
    expect(e).toBeInstanceOf(ProviderResponseError);
    expect(e).toMatchObject({ code: 'provider.answer-too-large', retryable: false, status: 200 });
    const message = (e as Error).message;
    expect(message).toContain('POST /v4/dreambooth/model_list');
    expect(message).toContain('maxAnswerBytes 1024');
    expect(JSON.stringify([message, e])).not.toContain(ML_KEY);
    // not retried: the same answer would come again
    expect(s.seen).toHaveLength(1);
  });

  it('stops reading an endless answer at the default 8 MiB and closes the connection', async () => {
    const state = { written: 0, closed: false };
    const s = await serve(() => endlessList(state));
    const e = await failure(scenario(s.url).models.list());
    expect(e).toMatchObject({ code: 'provider.answer-too-large', provider: 'scenario' });
    expect((e as Error).message).toContain(`GET /models`);
    expect((e as Error).message).toContain(`maxAnswerBytes ${ANSWER_DEFAULTS.maxBytes}`);
    expect(JSON.stringify([(e as Error).message, e])).not.toContain(SC_SECRET);
    await expect.poll(() => state.closed).toBe(true);
    // socket buffers hold a few MiB at most; the 256 MiB the server would send were never asked for
    expect(state.written).toBeLessThan(ANSWER_DEFAULTS.maxBytes + 32 * 1024 * 1024);
    expect(s.seen).toHaveLength(1);
  });

  it('reads an answer just under the cap as before', async () => {
    const body = JSON.stringify(rows(50));
    const s = await serve(() => ({ status: 200, body }));
    const { models } = await modelslab(s.url, { maxAnswerBytes: body.length }).models.listPublic();
    expect(models).toHaveLength(50);
  });

  it('drops an error answer over the cap and classifies it by status: a 503 is still retried', async () => {
    const huge = 'x'.repeat(4096);
    const s = await serve((_, n) =>
      n === 1 ? { status: 503, body: huge } : { status: 200, body: JSON.stringify(rows(1)) },
    );
    const { models } = await modelslab(s.url, { maxAnswerBytes: 1024 }).models.listPublic();
    expect(models.map((m) => m.id)).toEqual(['model-0']);
    expect(s.seen).toHaveLength(2);
    const again = await serve(() => ({ status: 503, body: huge }));
    const e = await failure(
      modelslab(again.url, { maxAnswerBytes: 1024, retry: { maxRetries: 0 } }).models.listPublic(),
    );
    expect(e).toBeInstanceOf(ServerError);
    expect(e).toMatchObject({ status: 503, body: undefined });
  });

  it('bounds the time to an answer’s last byte by timeoutMs (fake timers)', async () => {
    const s = await serve(() => (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = failure(modelslab(s.url, { timeoutMs: 5000, retry: { maxRetries: 0 } }).models.listPublic());
    await expect.poll(() => s.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    const e = await p;
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toContain('POST /v4/dreambooth/model_list');
  });

  it('refuses a cap that is not a positive whole number, with its path', () => {
    expect(() => modelslab('http://127.0.0.1:9', { maxAnswerBytes: -1 })).toThrow(ValidationError);
    try {
      scenario('http://127.0.0.1:9', { maxAnswerBytes: 1.5 });
    } catch (e) {
      expect((e as ValidationError).issues[0]?.path).toEqual(['maxAnswerBytes']);
    }
    expect.assertions(2);
  });
});
