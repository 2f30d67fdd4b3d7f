import { createRegistry } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { createRemoteRuntime } from '../remote';
import { createRuntime } from '../runtime';
import { createFakeService, graph, testPack } from '../test/pack';
import { listen } from '../test/serve';
import { createRuntimeHandler, type RuntimeHandlerOptions } from './handler';

const registry = createRegistry(testPack);
const textGraph = graph([{ id: 'a', type: 'test.text', params: { text: 'hi' } }]);
const TOKEN = 'tok_0123456789abcdef0123';

async function serve(options: RuntimeHandlerOptions) {
  const runtime = createRuntime({ registry, services: { fake: createFakeService() } });
  const { url } = await listen(createRuntimeHandler(runtime, options));
  return { runtime, url };
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('the runtime handler’s guards', () => {
  it('answers 401 auth.required without the token, with a wrong one and with a malformed header', async () => {
    const { url } = await serve({ token: TOKEN });
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0000000000',
      'Basic abc',
      'Bearer  ',
      TOKEN,
    ]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const response = await fetch(`${url}/nodes`, { headers });
      expect(response.status, String(authorization)).toBe(401);
      const error = await errorOf(response);
      expect(error.code).toBe('auth.required');
      expect(error.message).not.toContain(TOKEN);
    }
    const ok = await fetch(`${url}/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    // the remote client sends the token it is given, and a runtime without it is refused
    expect(
      (await createRemoteRuntime({ baseUrl: url, token: TOKEN }).catalogue()).nodes.length,
    ).toBeGreaterThan(0);
    await expect(createRemoteRuntime({ baseUrl: url }).catalogue()).rejects.toMatchObject({
      code: 'auth.required',
    });
  });

  it('starts no run for a request without the token', async () => {
    const { url, runtime } = await serve({ token: TOKEN });
    const response = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ graph: textGraph }),
    });
    expect(response.status).toBe(401);
    expect(await runtime.listRuns()).toEqual([]);
  });

  it('refuses a token shorter than 16 characters when the handler is made', () => {
    const runtime = createRuntime({ registry, services: { fake: createFakeService() } });
    expect(() => createRuntimeHandler(runtime, { token: 'short' })).toThrow(/at least 16/);
  });

  it('answers 415 request.content-type to a text/plain POST, the kind any web page can send', async () => {
    const { url, runtime } = await serve({});
    const response = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ graph: textGraph }),
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('request.content-type');
    expect(await runtime.listRuns()).toEqual([]);
    const json = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ graph: textGraph }),
    });
    expect(json.status).toBe(201);
  });

  it('lets a POST without a body through without a content type (cancel)', async () => {
    const { url } = await serve({});
    const response = await fetch(`${url}/runs/run_unknown/cancel`, { method: 'POST' });
    expect(response.status).not.toBe(415);
  });

  it('answers 403 origin.forbidden to an unlisted Origin and CORS headers only to a listed one', async () => {
    const { url } = await serve({ allowedOrigins: ['https://app.example'] });
    const evil = await fetch(`${url}/nodes`, { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect((await errorOf(evil)).code).toBe('origin.forbidden');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();

    const good = await fetch(`${url}/nodes`, { headers: { origin: 'https://app.example' } });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://app.example');

    const preflight = await fetch(`${url}/runs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

    const badPreflight = await fetch(`${url}/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(badPreflight.status).toBe(403);

    // Requests that are not from a browser page carry no Origin and are judged by the token alone.
    expect((await fetch(`${url}/nodes`)).status).toBe(200);
  });

  it('answers preflights of a listed origin without the token, and everything else only with it', async () => {
    const { url } = await serve({ allowedOrigins: ['https://app.example'], token: TOKEN });
    const preflight = await fetch(`${url}/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const noToken = await fetch(`${url}/nodes`, { headers: { origin: 'https://app.example' } });
    expect(noToken.status).toBe(401);
  });

  it('answers 403 host.forbidden to a Host header it was not told to answer to (DNS rebinding)', async () => {
    const { url } = await serve({ allowedHosts: ['loraflow.test:1'] });
    const host = new URL(url).host;
    // fetch will not set Host itself; a raw request shows what a rebinding page's browser sends.
    const response = await rawGet(url, '/nodes', 'attacker.example');
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error.code).toBe('host.forbidden');
    const allowed = await rawGet(url, '/nodes', 'loraflow.test:1');
    expect(allowed.status).toBe(200);
    expect(host).toMatch(/^127\.0\.0\.1:/);
  });

  it('answers 503 server.busy past the cap on open event streams, and frees the slot when a stream closes', async () => {
    // The training stays running until finishAll: the run, and so its event stream, stay open.
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const { url } = await listen(createRuntimeHandler(runtime, { maxStreams: 1, heartbeatMs: 100 }));
    const trainGraph = graph(
      [
        { id: 'name', type: 'test.text', params: { text: 'cat' } },
        { id: 'train', type: 'test.train', params: {} },
      ],
      [['name.text', 'train.name']],
    );
    const handle = await runtime.run(trainGraph);
    const first = new AbortController();
    const open = await fetch(`${url}/runs/${handle.runId}/events`, { signal: first.signal });
    expect(open.status).toBe(200);
    await open.body!.getReader().read();

    const second = await fetch(`${url}/runs/${handle.runId}/events`);
    expect(second.status).toBe(503);
    expect((await errorOf(second)).code).toBe('server.busy');
    expect(second.headers.get('retry-after')).toBe('5');

    first.abort();
    // The server learns of the closed connection asynchronously: ask until the slot is free (an attempt that
    // does not answer is given up and asked again, never counted as a failure).
    await expect
      .poll(
        async () => {
          const again = await fetch(`${url}/runs/${handle.runId}/events`, {
            signal: AbortSignal.timeout(2000),
          }).catch(() => undefined);
          await again?.body?.cancel();
          return again?.status ?? 0;
        },
        { interval: 20 },
      )
      .toBe(200);
    service.finishAll();
    expect((await handle.result).status).toBe('succeeded');
  });
});

async function rawGet(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
