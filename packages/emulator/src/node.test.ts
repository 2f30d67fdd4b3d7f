import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startEmulator } from './node';

const auth = {
  authorization: `Basic ${btoa(`${EMULATOR_CREDENTIALS.scenario.key}:${EMULATOR_CREDENTIALS.scenario.secret}`)}`,
};
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

async function start(options: Parameters<typeof startEmulator>[0] = {}) {
  const server = await startEmulator({ clock: 'manual', ...options });
  running.push(server.close);
  return server;
}

describe('startEmulator', () => {
  it('serves both APIs on 127.0.0.1 with URLs that point at the bound origin', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/scenario/v1/generate/custom/model_zimage-turbo`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', width: 128, height: 128 }),
    });
    expect(res.status).toBe(200);
    const ml = await fetch(`${url}/modelslab/api/v6/images/text2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: EMULATOR_CREDENTIALS.modelslab.key, model_id: 'sdxl', prompt: 'x' }),
    });
    const body = (await ml.json()) as { fetch_result: string };
    expect(body.fetch_result.startsWith(`${url}/modelslab/api/v6/images/fetch/`)).toBe(true);
    // Scenario's non-standard dry-run status survives the Node adaptor and an HTTP client.
    const dry = await fetch(`${url}/scenario/v1/generate/custom/model_bfl-flux-2-dev?dryRun=true`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    expect(dry.status).toBe(269);
    expect(await dry.json()).toMatchObject({ creativeUnitsCost: 17.75 });
  });

  it('destroys the socket on an injected reset, so fetch fails like a network error', async () => {
    const { url, emulator } = await start({
      faults: [{ route: 'GET /scenario/v1/models', rate: 1, kind: 'reset', times: 1 }],
    });
    await expect(fetch(`${url}/scenario/v1/models`, { headers: auth })).rejects.toThrow(TypeError);
    const again = await fetch(`${url}/scenario/v1/models`, { headers: auth });
    expect(again.status).toBe(200);
    expect(emulator.log.entries({ route: 'scenario.models.list' }).map((e) => e.status)).toEqual([0, 200]);
  });

  it('resets after the route ran when the phase is "after": the create happened though the client saw a failure', async () => {
    const { url, emulator } = await start({
      faults: [{ route: 'POST /scenario/v1/models', rate: 1, kind: 'reset', phase: 'after', times: 1 }],
    });
    await expect(
      fetch(`${url}/scenario/v1/models`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ type: 'flux.1-lora' }),
      }),
    ).rejects.toThrow(TypeError);
    const list = (await (await fetch(`${url}/scenario/v1/models`, { headers: auth })).json()) as {
      models: unknown[];
    };
    expect(list.models).toHaveLength(1);
    expect(emulator.log.entries({ route: 'scenario.models.create' })[0]?.modelId).toMatch(/^model_/);
  });

  it('delivers a slow body whole over HTTP, without a content-length', async () => {
    const { url } = await start({
      faults: [{ route: '/scenario/v1/models/*', rate: 1, kind: 'slow-body', ms: 40 }],
    });
    const res = await fetch(`${url}/scenario/v1/models/model_bfl-flux-2-dev`, { headers: auth });
    expect(res.headers.get('content-length')).toBeNull();
    const body = (await res.json()) as { model: { id: string } };
    expect(body.model.id).toBe('model_bfl-flux-2-dev');
  });

  it('answers 429 with Retry-After for Scenario over HTTP', async () => {
    const { url } = await start({ faults: [{ route: '**', rate: 1, kind: '429', retryAfterS: 7 }] });
    const res = await fetch(`${url}/scenario/v1/models`, { headers: auth });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('survives a client that aborts while a latency fault holds its request', async () => {
    const { url } = await start({
      faults: [{ route: 'GET /scenario/v1/models', rate: 1, kind: 'latency', ms: 50, times: 1 }],
    });
    const controller = new AbortController();
    const pending = fetch(`${url}/scenario/v1/models`, { headers: auth, signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await fetch(`${url}/scenario/v1/models`, { headers: auth })).status).toBe(200);
  });

  it('is steered from outside the process through the control API over HTTP', async () => {
    const { url } = await start();
    const post = (path: string, body: unknown) =>
      fetch(`${url}/_emulator${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await fetch(`${url}/scenario/v1/models`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'flux.1-composition',
        concepts: [{ modelId: 'model_flux1-watercolor', scale: 0.5 }],
      }),
    });
    const { model } = (await created.json()) as { model: { id: string } };
    await fetch(`${url}/scenario/v1/models/${model.id}/train`, { method: 'PUT', headers: auth, body: '{}' });
    expect((await post('/clock/advance', { ms: 5_000 })).status).toBe(200);
    const got = (await (await fetch(`${url}/scenario/v1/models/${model.id}`, { headers: auth })).json()) as {
      model: { status: string };
    };
    expect(got.model.status).toBe('trained');
    await post('/faults', { route: 'GET /scenario/**', rate: 1, kind: '5xx', times: 1 });
    expect((await fetch(`${url}/scenario/v1/models`, { headers: auth })).status).toBe(500);
    const log = (await (await fetch(`${url}/_emulator/log?route=scenario.models`)).json()) as {
      entries: Array<{ route: string; status: number }>;
    };
    expect(log.entries.map((e) => [e.route, e.status])).toEqual([
      ['scenario.models.create', 200],
      ['scenario.models.train', 200],
      ['scenario.models.get', 200],
      ['scenario.models.list', 500],
    ]);
    const state = (await (await post('/reset', {})).json()) as { state: { counts: { models: number } } };
    expect(state.state.counts.models).toBe(0);
  });

  it('stops listening on close', async () => {
    const server = await startEmulator({ clock: 'manual' });
    await server.close();
    await expect(fetch(`${server.url}/_emulator/state`)).rejects.toThrow();
  });

  it('refuses a host other than loopback and a bad port with a sentence', async () => {
    await expect(startEmulator({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(
      'only listens on 127.0.0.1',
    );
    await expect(startEmulator({ port: 70000 })).rejects.toThrow('port must be an integer');
  });
});
