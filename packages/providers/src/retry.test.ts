import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortedError,
  AuthenticationError,
  ConnectionError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from './errors';
import { ModelsLabClient } from './modelslab/client';
import { backoffDelay, resolveRetryPolicy } from './retry';
import { ScenarioClient } from './scenario/client';
import { closedPortUrl, scriptedServers } from './test/server';

const model = { id: 'model_a', type: 'flux.1-lora', status: 'new' };
const serve = scriptedServers(afterEach);
// Registered after the servers' hook, so it runs first: servers close on real timers.
afterEach(() => {
  vi.useRealTimers();
});

/** A client whose sleeps are recorded, not waited. */
function scenario(baseUrl: string, extra: Partial<ConstructorParameters<typeof ScenarioClient>[0]> = {}) {
  const sleeps: number[] = [];
  const client = new ScenarioClient({
    baseUrl,
    apiKey: 'api_key',
    apiSecret: 'secret_value',
    retry: { maxRetries: 3, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
    ...extra,
  });
  return { client, sleeps };
}

describe('backoffDelay', () => {
  it('grows exponentially with full jitter and lets a retry-after hint win', () => {
    const p = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(p, n, undefined))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(resolveRetryPolicy({ random: () => 0 }), 3, undefined)).toBe(0);
    expect(backoffDelay(p, 0, 30_000)).toBe(30_000);
  });
});

describe('retries over real HTTP', () => {
  it('retries a read through 503s and returns the eventual answer', async () => {
    const s = await serve((_r, n) =>
      n < 3 ? { status: 503, body: { reason: 'busy' } } : { status: 200, body: { model } },
    );
    const { client, sleeps } = scenario(s.url);
    await expect(client.getModel('model_a')).resolves.toMatchObject({ id: 'model_a' });
    expect(s.seen).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('honours Retry-After on a 429 for reads', async () => {
    const s = await serve((_r, n) =>
      n === 1 ? { status: 429, body: {}, headers: { 'retry-after': '3' } } : { status: 200, body: { model } },
    );
    const { client, sleeps } = scenario(s.url);
    await client.getModel('model_a');
    expect(sleeps).toEqual([3000]);
  });

  it('gives up after maxRetries with the last error, flagged retryable', async () => {
    const s = await serve(() => ({ status: 502, body: { reason: 'bad gateway' } }));
    const { client } = scenario(s.url);
    const e = await client.getModel('model_a').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect(e).toMatchObject({ retryable: true, status: 502, code: 'server' });
    expect(s.seen).toHaveLength(4);
  });

  it('does not retry a create after a 5xx: one request, a retryable error for the journal to judge', async () => {
    const s = await serve(() => ({ status: 500, body: { reason: 'oops' } }));
    const { client } = scenario(s.url);
    const e = await client.createModel({ name: 'x', type: 'flux.1-lora' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect(e).toMatchObject({ retryable: true });
    expect(s.seen).toHaveLength(1);
  });

  it('does not retry a create whose connection was reset after sending', async () => {
    const s = await serve(() => 'reset');
    const { client } = scenario(s.url);
    const e = await client.createModel({ name: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toMatchObject({ requestSent: true, retryable: true });
    expect(s.seen).toHaveLength(1);
  });

  it('retries a read whose connection was reset', async () => {
    const s = await serve((_r, n) => (n === 1 ? 'reset' : { status: 200, body: { model } }));
    const { client } = scenario(s.url);
    await expect(client.getModel('model_a')).resolves.toMatchObject({ id: 'model_a' });
    expect(s.seen).toHaveLength(2);
  });

  it('retries a create on 429 (the server did nothing) honouring retry-after', async () => {
    const s = await serve((_r, n) =>
      n === 1 ? { status: 429, body: {}, headers: { 'retry-after': '2' } } : { status: 200, body: { model } },
    );
    const { client, sleeps } = scenario(s.url);
    await expect(client.createModel({ name: 'x' })).resolves.toMatchObject({ id: 'model_a' });
    expect(s.seen).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('retries a create when the connection was refused before sending', async () => {
    const { client, sleeps } = scenario(await closedPortUrl());
    const e = await client.createModel({ name: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toMatchObject({ requestSent: false, code: 'connection' });
    expect(sleeps).toHaveLength(3);
  });

  it('does not wait for a retry-after longer than maxRetryAfterMs', async () => {
    const s = await serve(() => ({ status: 429, body: {}, headers: { 'retry-after': '3600' } }));
    const { client, sleeps } = scenario(s.url);
    await expect(client.getModel('model_a')).rejects.toBeInstanceOf(RateLimitError);
    expect(sleeps).toEqual([]);
  });

  it('never retries 4xx answers such as 400 and 401', async () => {
    const s = await serve((r) =>
      r.url.includes('bad')
        ? { status: 400, body: { reason: 'no' } }
        : { status: 401, body: { message: 'Unauthorized' } },
    );
    const { client } = scenario(s.url);
    await expect(client.getModel('bad')).rejects.toBeInstanceOf(ValidationError);
    await expect(client.getModel('model_a')).rejects.toBeInstanceOf(AuthenticationError);
    expect(s.seen).toHaveLength(2);
  });

  it('retries ModelsLab fetch on a queue-limit error sent with HTTP 200 and a retry_after body field', async () => {
    const s = await serve((_r, n) =>
      n === 1
        ? {
            status: 200,
            body: {
              status: 'error',
              message: 'Rate limit exceeded. Maximum 5 queued requests allowed.',
              retry_after: 4,
            },
          }
        : { status: 200, body: { status: 'success', id: 7, output: ['http://x/a.png'] } },
    );
    const sleeps: number[] = [];
    const ml = new ModelsLabClient({
      baseUrl: s.url,
      apiKey: 'ml-key-1234',
      retry: { sleep: async (ms) => void sleeps.push(ms) },
    });
    await expect(ml.fetch('7')).resolves.toMatchObject({ status: 'success', output: ['http://x/a.png'] });
    expect(sleeps).toEqual([4000]);
  });
});

describe('timeouts and cancellation', () => {
  it('times out a hanging request after timeoutMs (fake timers) and retries reads', async () => {
    const s = await serve(() => 'hang');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = scenario(s.url, { timeoutMs: 5000, retry: { maxRetries: 1, sleep: async () => {} } });
    const p = client.getModel('model_a').catch((x: unknown) => x);
    await expect.poll(() => s.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    await expect.poll(() => s.seen).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5000);
    const e = await p;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('rejects with AbortedError when the caller aborts, and does not retry', async () => {
    const s = await serve(() => 'hang');
    const { client, sleeps } = scenario(s.url);
    const ac = new AbortController();
    const p = client.getModel('model_a', { signal: ac.signal }).catch((x: unknown) => x);
    await expect.poll(() => s.seen).toHaveLength(1);
    ac.abort();
    const e = await p;
    expect(e).toBeInstanceOf(AbortedError);
    expect(e).toMatchObject({ code: 'aborted', retryable: false });
    expect(sleeps).toEqual([]);
  });

  it('rejects at once when the signal is already aborted, sending nothing', async () => {
    const s = await serve(() => ({ status: 200, body: { model } }));
    const { client } = scenario(s.url);
    await expect(client.getModel('model_a', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(s.seen).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('keeps a canary key and secret out of every error, even when the vendor echoes the request', async () => {
    const key = 'api_CANARYkey9f8e7d';
    const secret = 'CANARYsecret-5c4b3a2';
    const mlKey = 'CANARYmodelslab-1a2b3c';
    // The server echoes the URL, the headers and the body back inside its error.
    const s = await serve((r) => ({
      status: r.url.includes('gone') ? 404 : 401,
      body: {
        reason: `denied ${r.url} ${JSON.stringify(r.headers)} ${r.body}`,
        message: r.body,
        echo: r.headers,
      },
    }));
    const sc = new ScenarioClient({ baseUrl: s.url, apiKey: key, apiSecret: secret, projectId: secret });
    const ml = new ModelsLabClient({ baseUrl: s.url, apiKey: mlKey });
    const errors = await Promise.all([
      sc.getModel(key).catch((x: unknown) => x),
      sc.createModel({ name: secret }).catch((x: unknown) => x),
      ml.text2img({ modelId: 'sdxl', prompt: mlKey }).catch((x: unknown) => x),
      ml.fetch('gone').catch((x: unknown) => x),
      Promise.resolve()
        .then(() => new ScenarioClient({ apiKey: key, apiSecret: secret, baseUrl: 'nope' }))
        .catch((x: unknown) => x),
    ]);
    expect(s.seen.some((r) => r.headers.authorization === `Basic ${btoa(`${key}:${secret}`)}`)).toBe(true);
    expect(s.seen.some((r) => r.body.includes(mlKey))).toBe(true);
    for (const e of errors) {
      expect(e).toBeInstanceOf(Error);
      const err = e as Error;
      const text = [
        err.message,
        err.stack,
        JSON.stringify(err),
        inspect(err, { depth: 10 }),
        String(err),
      ].join('\n');
      for (const c of [key, secret, mlKey, btoa(`${key}:${secret}`), encodeURIComponent(secret)]) {
        expect(text).not.toContain(c);
      }
    }
  });
});

describe('ModelsLab route spellings', () => {
  it("fetches in the spec's body form (request_id), falling back to the SDKs' path form when it is not served", async () => {
    const s = await serve((r) =>
      r.url.endsWith('/v6/images/fetch/9')
        ? { status: 200, body: { status: 'success', id: 9, output: ['http://x/9.png'] } }
        : { status: 404, body: '404 Not Found' },
    );
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' });
    await expect(ml.fetch(9)).resolves.toMatchObject({ status: 'success', id: '9' });
    expect(s.seen.map((r) => r.url)).toEqual(['/api/v6/images/fetch', '/api/v6/images/fetch/9']);
    expect(JSON.parse(s.seen[0]?.body ?? '{}')).toEqual({ key: 'ml-key-1234', request_id: '9' });
  });

  it('accepts a processing answer to fetch without an id: the id is the one asked for', async () => {
    const s = await serve(() => ({ status: 200, body: { status: 'processing', eta: 3, output: [] } }));
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' });
    await expect(ml.fetch('41')).resolves.toMatchObject({ status: 'processing', id: '41', etaMs: 3000 });
    expect(s.seen).toHaveLength(1);
  });

  it('does not fall back when the vendor itself says the id is unknown', async () => {
    const s = await serve(() => ({ status: 404, body: { status: 'error', message: 'Request not found' } }));
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' });
    await expect(ml.fetch('9')).rejects.toMatchObject({ code: 'not_found', reason: 'Request not found' });
    expect(s.seen).toHaveLength(1);
  });

  it('cancels through the docs spelling cancle_training when cancel_training is not served', async () => {
    const s = await serve((r) =>
      r.url.includes('cancle_training')
        ? { status: 200, body: { status: 'success', messege: 'training cancelled' } }
        : { status: 404, body: 'Not Found' },
    );
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'ml-key-1234' });
    await expect(ml.cancelTraining('T1')).resolves.toEqual({ message: 'training cancelled' });
    expect(s.seen.map((r) => r.url)).toEqual(['/api/v3/cancel_training/T1', '/api/v3/cancle_training/T1']);
  });

  it('reads a Retry-After header on a ModelsLab 429 with an error body', async () => {
    const s = await serve((_r, n) =>
      n === 1
        ? {
            status: 429,
            body: { status: 'error', message: 'Too many requests' },
            headers: { 'retry-after': '6' },
          }
        : { status: 200, body: { status: 'success', id: 1, output: [] } },
    );
    const sleeps: number[] = [];
    const ml = new ModelsLabClient({
      baseUrl: `${s.url}/api`,
      apiKey: 'ml-key-1234',
      retry: { sleep: async (ms) => void sleeps.push(ms) },
    });
    await ml.fetch('1');
    expect(sleeps).toEqual([6000]);
  });
});
