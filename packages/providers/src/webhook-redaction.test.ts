import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelsLabClient } from './modelslab/client';
import { createRedactor, urlSecrets, withSecrets } from './redact';
import { failure, scriptedServers } from './test/server';

const serve = scriptedServers(afterEach);

const KEY = 'modelslab-KEY-webhook-0077';
const TOKEN = 'Zk3v9Qx1Lr8Tn2Wb6Yc4Hd0Jf7Mg5Ps1Ua3Ve9Xi8Ko';
const HOOK = `https://flows.example/loraflow/hooks/modelslab-training/h_12ab/${TOKEN}`;
const noRetry = { maxRetries: 0 };
const client = (baseUrl: string) => new ModelsLabClient({ baseUrl, apiKey: KEY, retry: noRetry });
const fineTune = {
  instancePrompt: 'photo of sks dog',
  classPrompt: 'photo of a dog',
  images: ['https://cdn.example/a.png'],
  trainingType: 'null' as const,
  maxTrainSteps: 20,
  webhook: HOOK,
};

/** Every way the error could be shown: message, stack, JSON and util.inspect. */
const shown = (e: unknown) =>
  [
    String((e as Error).message),
    String((e as Error).stack),
    JSON.stringify(e),
    inspect(e, { depth: 8 }),
  ].join('\n');

/** The request's webhook URL as the vendor might echo it: raw, with PHP's escaped slashes, and URL-encoded. */
const echoes = (hook: string) => [hook, hook.replaceAll('/', '\\/'), encodeURIComponent(hook)];

describe('a webhook URL is a secret of the call that carries it', () => {
  it('never shows the token in an error that echoes the request, whatever the status or form', async () => {
    const s = await serve((req, n) => {
      const sent = JSON.parse(req.body) as { webhook: string };
      const echo = echoes(sent.webhook)[n % 3]!;
      // first a ModelsLab `status:"error"` on HTTP 200, then a 422, then a 500, each quoting the request
      if (n === 1)
        return { status: 200, body: { status: 'error', message: `Webhook ${echo} refused`, request: sent } };
      return { status: n === 2 ? 422 : 500, body: `{"message":"bad request to ${echo}","echo":"${echo}"}` };
    });
    const ml = client(s.url);
    for (let i = 0; i < 3; i++) {
      const e = await failure(ml.training.loraFineTune(fineTune));
      const text = shown(e);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(KEY);
      expect(text).toContain('[redacted]');
    }
    // the token did reach the vendor: only what comes back is redacted
    expect(s.seen[0]?.body).toContain(TOKEN);
  });

  it('keeps the token out of a later answer that echoes it (a fetch whose meta repeats the webhook)', async () => {
    const s = await serve((req) =>
      req.url.endsWith('/v6/images/text2img')
        ? { status: 200, body: { status: 'processing', id: 42, eta: 5, meta: { webhook: HOOK } } }
        : {
            status: 200,
            body: {
              status: 'success',
              id: 42,
              output: ['https://cdn.example/o.png'],
              meta: { webhook: HOOK },
            },
          },
    );
    const ml = client(s.url);
    const first = await ml.images.text2img({
      modelId: 'sdxl',
      prompt: 'a fox',
      webhook: HOOK,
      trackId: 't1',
    });
    expect(first.status).toBe('processing');
    const done = await ml.images.fetch(42);
    expect(JSON.stringify(done)).not.toContain(TOKEN);
    expect(done.status === 'success' && done.output).toEqual(['https://cdn.example/o.png']);
  });

  it('sends a call whose webhook URL has a malformed escape in its last segment, and still hides that segment', async () => {
    // a URL parser keeps `%E0%A4%A` as is, but decoding it throws: the call must not die on its own redaction
    const bad = `${TOKEN}%E0%A4%A`;
    const s = await serve(() => ({ status: 500, body: { message: `bad hook ${bad}` } }));
    const e = await failure(
      client(s.url).training.loraFineTune({ ...fineTune, webhook: `https://flows.example/h/${bad}` }),
    );
    expect(e).toMatchObject({ status: 500 });
    expect(shown(e)).not.toContain(TOKEN);
    expect(s.seen).toHaveLength(1);
  });

  it('leaves an answer whole when a webhook URL ends in a plain word (not a token) that the answer also holds', async () => {
    // `images` and `prod` are words of a route, not secrets: hiding them everywhere would break the output URLs
    const output = 'https://cdn.example/images/prod/o.png';
    const s = await serve(() => ({ status: 200, body: { status: 'success', id: 7, output: [output] } }));
    const done = await client(s.url).images.text2img({
      modelId: 'sdxl',
      prompt: 'a fox',
      webhook: 'https://flows.example/callbacks/images?env=prod',
      trackId: 't2',
    });
    expect(done.status === 'success' && done.output).toEqual([output]);
  });

  it('still hides the token of a job 200 webhook calls back, when its poll echoes it', async () => {
    const hook = (i: number) => `https://flows.example/hooks/modelslab-image/h_${i}/${TOKEN}${i}`;
    const s = await serve((req) =>
      req.url.endsWith('/v6/images/text2img')
        ? { status: 200, body: { status: 'processing', id: 1, eta: 5 } }
        : { status: 200, body: { status: 'success', id: 1, output: [], meta: { webhook: hook(0) } } },
    );
    const ml = client(s.url);
    for (let i = 0; i < 200; i++)
      await ml.images.text2img({ modelId: 'sdxl', prompt: 'a fox', webhook: hook(i), trackId: `t${i}` });
    const done = await ml.images.fetch(1);
    expect(JSON.stringify(done)).not.toContain(`${TOKEN}0`);
  });

  it('redacts any token of any callback URL in every wire form', () => {
    const base = createRedactor([KEY]);
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/), fc.string(), (token, noise) => {
        const hook = `https://flows.example/hooks/modelslab-image/h1/${token}`;
        const r = withSecrets(base, urlSecrets(hook));
        for (const echo of [...echoes(hook), token, btoa(token)])
          expect(r.text(`${noise}${echo}${noise}`)).not.toContain(token);
        expect(r.text(`key ${KEY}`)).toBe('key [redacted]');
      }),
    );
  });
});
