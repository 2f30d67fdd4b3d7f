import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EmulatorConnectionReset, isConnectionReset } from './emulator';
import { compileRoute, createFaults } from './faults';
import { ML_KEY, manualEmulator, modelslab, ORIGIN, SCENARIO_AUTH, scenario } from './test/helpers';

afterEach(() => {
  vi.useRealTimers();
});

describe('fault route patterns', () => {
  it('matches globs with an optional method, * inside a segment and ** across segments', () => {
    const one = compileRoute('GET /scenario/v1/models/*');
    expect(one('GET', '/scenario/v1/models/model_x')).toBe(true);
    expect(one('POST', '/scenario/v1/models/model_x')).toBe(false);
    expect(one('GET', '/scenario/v1/models/model_x/train')).toBe(false);
    const any = compileRoute('/scenario/**');
    expect(any('PUT', '/scenario/v1/models/m/train')).toBe(true);
    expect(any('PUT', '/modelslab/api/v6/images/text2img')).toBe(false);
    const regex = compileRoute('/^POST \\/modelslab\\//');
    expect(regex('POST', '/modelslab/api/v6/images/fetch/1')).toBe(true);
    expect(regex('GET', '/modelslab/api/v6/images/fetch/1')).toBe(false);
  });

  it('treats any glob text literally apart from its stars, never throwing', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (glob, path) => {
        const matches = compileRoute(glob.startsWith('/') && glob.endsWith('/') ? `${glob}x` : glob);
        expect(typeof matches('GET', path)).toBe('boolean');
        if (!glob.includes('*') && !glob.includes(' ') && !(glob.startsWith('/') && glob.endsWith('/'))) {
          expect(compileRoute(glob)('GET', glob)).toBe(true);
        }
      }),
    );
  });
});

describe('fault injection', () => {
  it('is deterministic: the same seed, rules and request order give the same faults', () => {
    const pattern = (seed: number) => {
      const faults = createFaults(seed);
      faults.set([{ route: '**', rate: 0.3, kind: '5xx' }]);
      return Array.from({ length: 200 }, () => (faults.pick('GET', '/x') ? 1 : 0)).join('');
    };
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    const hits = [...pattern(7)].filter((c) => c === '1').length;
    expect(hits).toBeGreaterThan(35);
    expect(hits).toBeLessThan(85);
  });

  it('stops after `times` injections', async () => {
    const emulator = manualEmulator({
      faults: [{ route: 'GET /scenario/**', rate: 1, kind: '5xx', times: 2 }],
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await scenario(emulator, 'GET', '/models')).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(emulator.log.entries().map((e) => e.fault ?? null)).toEqual(['5xx', '5xx', null, null]);
  });

  it('answers 429 with Retry-After for Scenario and a retry_after body field for ModelsLab', async () => {
    const emulator = manualEmulator({ faults: [{ route: '**', rate: 1, kind: '429', retryAfterS: 3 }] });
    const s = await scenario(emulator, 'GET', '/models');
    expect(s.status).toBe(429);
    expect(s.headers.get('retry-after')).toBe('3');
    const m = await modelslab(emulator, '/v6/images/fetch/1', { key: ML_KEY });
    expect(m.status).toBe(429);
    expect(m.body).toMatchObject({ status: 'error', retry_after: 3 });
  });

  it('adds a retry hint to a 503 when retryAfterS is given', async () => {
    const emulator = manualEmulator({
      faults: [{ route: '**', rate: 1, kind: '5xx', status: 503, retryAfterS: 4 }],
    });
    const s = await scenario(emulator, 'GET', '/models');
    expect(s).toMatchObject({ status: 503, body: { reason: 'Service unavailable' } });
    expect(s.headers.get('retry-after')).toBe('4');
    const m = await modelslab(emulator, '/v6/images/fetch/1', { key: ML_KEY });
    expect(m).toMatchObject({ status: 503, body: { status: 'error', retry_after: 4 } });
  });

  it('rejects like fetch on a reset, before the route ran by default', async () => {
    const emulator = manualEmulator({
      faults: [{ route: 'POST /scenario/v1/models', rate: 1, kind: 'reset' }],
    });
    const attempt = emulator.fetch(`${ORIGIN}/scenario/v1/models`, {
      method: 'POST',
      headers: { authorization: SCENARIO_AUTH },
      body: '{}',
    });
    await expect(attempt).rejects.toBeInstanceOf(TypeError);
    await attempt.catch((error) => {
      expect(isConnectionReset(error)).toBe(true);
      expect((error as EmulatorConnectionReset).cause).toMatchObject({ code: 'ECONNRESET' });
    });
    emulator.faults.clear();
    expect((await scenario(emulator, 'GET', '/models')).body.models).toEqual([]);
    expect(emulator.log.entries({ route: 'scenario.models.create' })[0]).toMatchObject({
      status: 0,
      fault: 'reset',
    });
  });

  it('delays by the latency on the wall clock (fake timers)', async () => {
    vi.useFakeTimers();
    const emulator = manualEmulator({ faults: [{ route: '**', rate: 1, kind: 'latency', ms: 5_000 }] });
    let settled = false;
    const pending = scenario(emulator, 'GET', '/models').then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
  });

  it('trickles a slow body over the configured time (fake timers)', async () => {
    vi.useFakeTimers();
    const emulator = manualEmulator({ faults: [{ route: '**', rate: 1, kind: 'slow-body', ms: 8_000 }] });
    const res = await emulator.fetch(`${ORIGIN}/scenario/v1/models/model_bfl-flux-2-dev`, {
      headers: { authorization: SCENARIO_AUTH },
    });
    let text: string | undefined;
    const reading = res.text().then((t) => {
      text = t;
    });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(text).toBeUndefined();
    await vi.advanceTimersByTimeAsync(4_100);
    await reading;
    expect(JSON.parse(text as string).model.id).toBe('model_bfl-flux-2-dev');
  });

  it('rejects at once when the request signal aborts during latency, like fetch', async () => {
    vi.useFakeTimers();
    const emulator = manualEmulator({ faults: [{ route: '**', rate: 1, kind: 'latency', ms: 60_000 }] });
    const controller = new AbortController();
    const pending = emulator.fetch(`${ORIGIN}/scenario/v1/models`, {
      headers: { authorization: SCENARIO_AUTH },
      signal: controller.signal,
    });
    const outcome = pending.then(
      () => 'resolved',
      (error: unknown) => (error as Error).name,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    expect(await outcome).toBe('AbortError');
    const already = emulator.fetch(`${ORIGIN}/scenario/v1/models`, { signal: AbortSignal.abort() });
    await expect(already).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('errors a slow body when the signal aborts mid-download', async () => {
    vi.useFakeTimers();
    const emulator = manualEmulator({ faults: [{ route: '**', rate: 1, kind: 'slow-body', ms: 8_000 }] });
    const controller = new AbortController();
    const res = await emulator.fetch(`${ORIGIN}/scenario/v1/models/model_bfl-flux-2-dev`, {
      headers: { authorization: SCENARIO_AUTH },
      signal: controller.signal,
    });
    const reading = res.text().then(
      () => 'read',
      (error: unknown) => (error as Error).name,
    );
    await vi.advanceTimersByTimeAsync(2_000);
    controller.abort();
    await vi.advanceTimersByTimeAsync(8_000);
    expect(await reading).toBe('AbortError');
  });

  it('fails after the route ran with phase "after": the training started though the client saw a 503', async () => {
    const emulator = manualEmulator();
    const created = await scenario(emulator, 'POST', '/models', { type: 'flux.1-lora' });
    const id = created.body.model.id;
    await scenario(emulator, 'POST', `/models/${id}/training-images`, {
      name: 'a.png',
      data: 'data:image/png;base64,iVBORw0KGgo=',
    });
    emulator.faults.set([
      { route: 'PUT /scenario/v1/models/*/train', rate: 1, kind: '5xx', status: 503, phase: 'after' },
    ]);
    expect((await scenario(emulator, 'PUT', `/models/${id}/train`, {})).status).toBe(503);
    emulator.faults.clear();
    expect((await scenario(emulator, 'GET', `/models/${id}`)).body.model.status).toBe('training');
  });
});
