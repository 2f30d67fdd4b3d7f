import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEmulator } from './emulator';
import { control, manualEmulator, ORIGIN, SCENARIO_AUTH } from './test/helpers';

const WRITE_ROUTES: Array<[string, string]> = [
  ['POST', '/scenario/v1/models'],
  ['POST', '/scenario/v1/models/MODEL/training-images'],
  ['PUT', '/scenario/v1/models/MODEL/training-images/pairs'],
  ['PUT', '/scenario/v1/models/MODEL/train'],
  ['PUT', '/scenario/v1/models/MODEL/train?dryRun=true&trainingImagesCount=abc'],
  ['POST', '/scenario/v1/models/MODEL/train/action'],
  ['POST', '/scenario/v1/jobs/job_x/action'],
  ['POST', '/scenario/v1/generate/txt2img'],
  ['POST', '/scenario/v1/generate/custom/model_bfl-flux-1-dev'],
  ['POST', '/modelslab/api/v6/images/text2img'],
  ['POST', '/modelslab/api/v6/images/fetch'],
  ['POST', '/modelslab/api/v3/lora_fine_tune'],
  ['POST', '/modelslab/api/v3/base64_crop'],
  ['POST', '/_emulator/faults'],
  ['POST', '/_emulator/clock/advance'],
  ['POST', '/_emulator/timings'],
  ['POST', '/_emulator/trainings/fail'],
];

describe('every entry point', () => {
  it('answers any JSON body (or none) with a JSON error or success, never a 5xx', async () => {
    const emulator = manualEmulator({ timings: { generationMs: 0, modelslabQueueLimit: 10_000 } });
    const created = await emulator.fetch(`${ORIGIN}/scenario/v1/models`, {
      method: 'POST',
      headers: { authorization: SCENARIO_AUTH },
      body: '{"type":"flux.1-lora"}',
    });
    const modelId = ((await created.json()) as { model: { id: string } }).model.id;
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.constant(''),
      fc
        .record({ key: fc.constantFrom('emulator-modelslab-key', 'x') }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_ROUTES), body, async ([method, path], text) => {
        const res = await emulator.fetch(`${ORIGIN}${path.replace('MODEL', modelId)}`, {
          method,
          headers: { authorization: SCENARIO_AUTH, 'content-type': 'application/json' },
          body: text,
        });
        expect(res.status, `${method} ${path} ${text}`).toBeLessThan(500);
        const parsed = (await res.json()) as Record<string, unknown>;
        if (res.status >= 400 && path.startsWith('/scenario')) expect(typeof parsed.reason).toBe('string');
        if (res.status >= 400 && path.startsWith('/_emulator')) {
          expect(parsed.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        }
      }),
      { numRuns: 250 },
    );
  });

  it('answers any path and method without a 5xx', async () => {
    const emulator = manualEmulator();
    const segment = fc.oneof(
      fc.constantFrom(
        'scenario',
        'v1',
        'models',
        'jobs',
        'assets',
        'files',
        'modelslab',
        'api',
        'v6',
        'v3',
        '_emulator',
        'log',
      ),
      fc.string({ maxLength: 6 }).map((s) => encodeURIComponent(s)),
      fc.constantFrom('%E0%A4%A', '%', '..', 'model_bfl-flux-2-dev', 'fetch', 'train'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        async (method, segments) => {
          const res = await emulator.fetch(`${ORIGIN}/${segments.join('/')}`, {
            method,
            headers: { authorization: SCENARIO_AUTH },
            ...(method === 'GET' ? {} : { body: '{}' }),
          });
          expect(res.status, `${method} /${segments.join('/')}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses any pagination token, page size and Authorization header without a 5xx', async () => {
    const emulator = manualEmulator();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => btoa(JSON.stringify(v))),
        ),
        fc.oneof(fc.string({ maxLength: 5 }), fc.integer().map(String)),
        fc.oneof(
          fc.string(),
          fc.string().map((v) => `Basic ${v}`),
          fc.constant(SCENARIO_AUTH),
        ),
        async (token, size, authorization) => {
          const query = `paginationToken=${encodeURIComponent(token)}&pageSize=${encodeURIComponent(size)}`;
          let res: Response;
          try {
            res = await emulator.fetch(`${ORIGIN}/scenario/v1/models/public?${query}`, {
              headers: { authorization },
            });
          } catch (error) {
            // Only header values fetch itself refuses (control characters) may throw, before the emulator runs.
            expect(error).toBeInstanceOf(TypeError);
            return;
          }
          expect([200, 400, 401]).toContain(res.status);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never echoes a credential into a response, the log or the state', async () => {
    const canaryKey = 'api_CANARY_KEY_7f3a';
    const canarySecret = 'CANARY-SECRET-9b1c';
    const canaryMl = 'CANARY-MODELSLAB-KEY-5d2e';
    const emulator = createEmulator({
      clock: 'manual',
      credentials: { scenario: [{ key: canaryKey, secret: canarySecret }], modelslab: [canaryMl] },
    });
    const seen: string[] = [];
    const call = async (path: string, init: RequestInit) => {
      const res = await emulator.fetch(`${ORIGIN}${path}`, init);
      seen.push(await res.text(), JSON.stringify([...res.headers]));
    };
    const good = `Basic ${btoa(`${canaryKey}:${canarySecret}`)}`;
    const wrong = `Basic ${btoa(`${canaryKey}:${canarySecret}x`)}`;
    await call('/scenario/v1/models', { headers: { authorization: wrong } });
    await call('/scenario/v1/models', {
      method: 'POST',
      headers: { authorization: good },
      body: '{"name":"x"}',
    });
    await call('/scenario/v1/generate/custom/model_bfl-flux-2-dev', {
      method: 'POST',
      headers: { authorization: good },
      body: '{}',
    });
    for (const key of [canaryMl, `${canaryMl}x`]) {
      await call('/modelslab/api/v6/images/text2img', {
        method: 'POST',
        body: JSON.stringify({ key, model_id: 'sdxl', prompt: 'x' }),
      });
      await call('/modelslab/api/v6/images/text2img', {
        method: 'POST',
        body: JSON.stringify({ key, width: 9999 }),
      });
      await call('/modelslab/api/v3/lora_fine_tune', { method: 'POST', body: JSON.stringify({ key }) });
    }
    seen.push(JSON.stringify((await control(emulator, 'GET', '/log')).body));
    seen.push(JSON.stringify((await control(emulator, 'GET', '/state')).body));
    const everything = seen.join('\n');
    for (const secret of [canaryKey, canarySecret, canaryMl, btoa(`${canaryKey}:${canarySecret}`)]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('works as a detached fetch function, the way clients take an injected fetch', async () => {
    const { fetch } = manualEmulator();
    const res = await fetch(`${ORIGIN}/scenario/v1/models?privacy=public&pageSize=1`, {
      headers: { authorization: SCENARIO_AUTH },
    });
    expect(res.status).toBe(200);
    const viaRequest = await fetch(new Request(`${ORIGIN}/_emulator/state`));
    expect(viaRequest.status).toBe(200);
  });

  it('refuses invalid options with a sentence naming the option', () => {
    expect(() => createEmulator({ clock: { speed: -1 } })).toThrow('Invalid emulator options at clock');
    expect(() => createEmulator({ publicUrl: 'not a url' })).toThrow('Invalid emulator options at publicUrl');
    expect(() => createEmulator({ timings: { trainingMs: -5 } })).toThrow('timings.trainingMs');
    expect(() => createEmulator().setPublicUrl('nope')).toThrow('The public URL must be an absolute URL');
    expect(() => createEmulator().setTimings({ generationMs: -1 })).toThrow(
      'Invalid timings at generationMs',
    );
  });
});
