import { createRegistry } from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRuntime } from '../runtime';
import { createFileStore } from '../store/file';
import { createMemoryStore } from '../store/memory';
import { createFakeService, testPack } from '../test/pack';
import { listen } from '../test/serve';
import { tempDir } from '../test/temp-dir';
import { createWebhookReceiver, MAX_HELD_JOBS, webhookRecordKey } from '../webhooks';
import { createRuntimeHandler } from './handler';

const SECRET = 'a-server-secret-of-at-least-32-bytes!';
const kinds = {
  job: z
    .looseObject({ status: z.string(), id: z.string() })
    .transform((b) => ({ job: b.id, ended: b.status === 'done', stage: b.status })),
};

async function setup() {
  const store = createMemoryStore();
  const runtime = createRuntime({
    registry: createRegistry(testPack),
    store,
    services: { fake: createFakeService() },
  });
  // Providers call the public name; the test reaches the same route on loopback.
  const webhooks = createWebhookReceiver({
    publicUrl: 'https://flows.example/',
    secret: SECRET,
    kinds,
    journal: store,
  });
  const { url } = await listen(
    createRuntimeHandler(runtime, {
      token: 'a-bearer-token-for-the-api',
      allowedHosts: ['127.0.0.1:1'],
      webhooks,
    }),
  );
  const rebase = (hookUrl: string) => `${url}${new URL(hookUrl).pathname}`;
  const post = (target: string, body: unknown) =>
    fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const recorded = (job: string) => store.getRecord(webhookRecordKey('job', job));
  return { store, webhooks, url, rebase, post, recorded };
}

describe('the webhook route', () => {
  it('records a callback on a URL the server issued, with no bearer token, and wakes the job’s waiter at once', async () => {
    const s = await setup();
    const hook = await s.webhooks.url('job', 'lf-0123456789abcdef');
    await s.webhooks.bind('job', 'lf-0123456789abcdef', 'job-1');
    const waiting = s.webhooks.ended('job', 'job-1', new AbortController().signal);
    const response = await s.post(s.rebase(hook), { status: 'done', id: 'job-1', extra: [1, 2] });
    expect(response.status).toBe(200);
    await waiting;
    // the guards still hold everywhere else: this Host is not one the API answers to
    expect((await fetch(`${s.url}/runs`)).status).toBe(403);
    expect((await s.recorded('job-1'))?.result).toEqual({ job: 'job-1', ended: true, stage: 'done' });
  });

  it('lets a waiter that starts after the callback (a resumed run) see it from the record', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h1'));
    await s.webhooks.bind('job', 'h1', 'job-2');
    await s.post(hook, { status: 'done', id: 'job-2' });
    await expect(s.webhooks.ended('job', 'job-2', new AbortController().signal)).resolves.toBeUndefined();
  });

  it('keeps a recorded end when a late stage callback arrives after it', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h2'));
    await s.webhooks.bind('job', 'h2', 'job-3');
    await s.post(hook, { status: 'done', id: 'job-3' });
    expect((await s.post(hook, { status: 'running', id: 'job-3' })).status).toBe(200);
    expect((await s.recorded('job-3'))?.result).toMatchObject({ ended: true });
  });

  it('refuses a forged token with 401 and records nothing', async () => {
    const s = await setup();
    const real = new URL(await s.webhooks.url('job', 'h3')).pathname;
    const other = new URL(await s.webhooks.url('job', 'h4')).pathname.split('/').at(-1)!;
    const forged = [
      real.replace(/\/[^/]+$/, `/${other}`), // another hook's token
      real.replace(/\/([^/])([^/]+)$/, (_, c, rest) => `/${c === 'A' ? 'B' : 'A'}${rest}`), // one character changed
      real.replace(/.$/, (c) => String.fromCharCode(c.charCodeAt(0) + 1)), // same bytes, another spelling
      real.replace(/\/[^/]+$/, '/short'),
    ];
    for (const path of forged) {
      const response = await s.post(`${s.url}${path}`, { status: 'done', id: 'job-4' });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('webhook.forged');
    }
    expect(await s.recorded('job-4')).toBeUndefined();
  });

  it('never accepts a token it did not issue (property)', async () => {
    const s = await setup();
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/), async (token) => {
        expect((await s.webhooks.receive('job', 'h5', token, { status: 'done', id: 'job-5' })).kind).toBe(
          'forged',
        );
      }),
      { numRuns: 200 },
    );
    expect(await s.recorded('job-5')).toBeUndefined();
  });

  it('answers 404 for a kind it does not take and records nothing', async () => {
    const s = await setup();
    const path = new URL(await s.webhooks.url('job', 'h6')).pathname.replace('/hooks/job/', '/hooks/other/');
    expect((await s.post(`${s.url}${path}`, { status: 'done', id: 'job-6' })).status).toBe(404);
    expect(await s.recorded('job-6')).toBeUndefined();
    // names every object has are no kind either: 404 unknown-kind, and no URL is minted for them
    for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const answer = await s.post(`${s.url}/hooks/${kind}/h6/token`, { status: 'done', id: 'job-6' });
      expect([
        kind,
        answer.status,
        ((await answer.json()) as { error: { code: string } }).error.code,
      ]).toEqual([kind, 404, 'webhook.unknown-kind']);
      await expect(s.webhooks.url(kind, 'h6')).rejects.toThrow(/not registered/);
    }
  });

  it('refuses a body over the bound with 413 and records nothing', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h7'));
    const response = await s.post(hook, {
      status: 'done',
      id: 'job-7',
      logs: 'x'.repeat(s.webhooks.maxBodyBytes),
    });
    expect(response.status).toBe(413);
    expect(await s.recorded('job-7')).toBeUndefined();
  });

  it('refuses a body its kind does not describe with 400, a path and a sentence', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h8'));
    const response = await s.post(hook, { status: 'done' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as {
      error: { code: string; message: string; issues: unknown[] };
    };
    expect(error.code).toBe('webhook.invalid');
    expect(error.message).toMatch(/at id:/);
    expect((await s.post(hook, 'not json')).status).toBe(400);
  });

  it('puts neither the secret nor anything but kind, hook and token in the URL', async () => {
    const s = await setup();
    const hook = new URL(await s.webhooks.url('job', 'h9'));
    expect(hook.href).not.toContain(SECRET);
    expect(hook.search).toBe('');
    expect(hook.pathname).toMatch(/^\/hooks\/job\/h9\/[A-Za-z0-9_-]{43}$/);
  });

  it('stops waiting when the signal aborts', async () => {
    const s = await setup();
    const controller = new AbortController();
    const waiting = s.webhooks.ended('job', 'job-10', controller.signal);
    controller.abort(new Error('run cancelled'));
    await expect(waiting).rejects.toThrow('run cancelled');
  });
});

describe('a callback URL speaks for the one job its hook is bound to', () => {
  it('refuses with 403 webhook.job-mismatch a body naming another job, records nothing for it and wakes no one', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h20'));
    await s.webhooks.bind('job', 'h20', 'job-20');
    const other = new AbortController();
    let woken = false;
    const waiting = s.webhooks.ended('job', 'someone-elses', other.signal).then(
      () => {
        woken = true;
      },
      () => undefined,
    );
    const refused = await s.post(hook, { status: 'done', id: 'someone-elses' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('webhook.job-mismatch');
    expect(await s.recorded('someone-elses')).toBeUndefined();
    // the URL's own job is still heard
    expect((await s.post(hook, { status: 'done', id: 'job-20' })).status).toBe(200);
    expect((await s.recorded('job-20'))?.result).toMatchObject({ ended: true });
    other.abort();
    await waiting;
    expect(woken).toBe(false);
  });

  it('holds a callback that comes before the bind, and records it once the hook is bound to its job only', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h21'));
    // the provider called back before the node read its answer; someone else posted for a foreign job meanwhile
    expect((await s.post(hook, { status: 'done', id: 'job-21' })).status).toBe(202);
    expect((await s.post(hook, { status: 'done', id: 'foreign' })).status).toBe(202);
    expect(await s.recorded('job-21')).toBeUndefined();
    await s.webhooks.bind('job', 'h21', 'job-21');
    await expect(s.webhooks.ended('job', 'job-21', new AbortController().signal)).resolves.toBeUndefined();
    expect(await s.recorded('foreign')).toBeUndefined();
  });
});

describe('callbacks held before the bind', () => {
  it('keeps the MAX_HELD_JOBS bound when callbacks naming many jobs arrive at once on a store that writes to disk', async () => {
    const journal = createFileStore({ dir: await tempDir() });
    const webhooks = createWebhookReceiver({
      publicUrl: 'https://flows.example/',
      secret: SECRET,
      kinds,
      journal,
    });
    const token = (await webhooks.url('job', 'h32')).split('/').at(-1)!;
    const jobs = Array.from({ length: 4 * MAX_HELD_JOBS }, (_, i) => `burst-${i}`);
    const answers = await Promise.all(
      jobs.map((id) => webhooks.receive('job', 'h32', token, { status: 'running', id })),
    );
    expect(answers.filter((a) => a.kind === 'held')).toHaveLength(MAX_HELD_JOBS);
    expect(answers.filter((a) => a.kind === 'held-full')).toHaveLength(jobs.length - MAX_HELD_JOBS);
    const held = await Promise.all(jobs.map((id) => journal.getRecord(`webhook-held/job/h32/${id}`)));
    expect(held.filter((r) => r !== undefined)).toHaveLength(MAX_HELD_JOBS);
  });

  it('holds callbacks for at most MAX_HELD_JOBS jobs per hook, refusing more with 429 webhook.held-full, and still binds the real one', async () => {
    const s = await setup();
    const hook = s.rebase(await s.webhooks.url('job', 'h31'));
    for (let i = 0; i < MAX_HELD_JOBS; i++) {
      expect((await s.post(hook, { status: 'running', id: `junk-${i}` })).status).toBe(202);
    }
    // a job already held may still be updated; a new one is refused and nothing is stored for it
    expect((await s.post(hook, { status: 'done', id: 'junk-0' })).status).toBe(202);
    const refused = await s.post(hook, { status: 'done', id: 'junk-extra' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'webhook.held-full' } });
    expect(await s.store.getRecord('webhook-held/job/h31/junk-extra')).toBeUndefined();
    // once bound, the hook speaks for its job, as it would have without the junk
    await s.webhooks.bind('job', 'h31', 'job-31');
    expect((await s.post(hook, { status: 'done', id: 'job-31' })).status).toBe(200);
    await expect(s.webhooks.ended('job', 'job-31', new AbortController().signal)).resolves.toBeUndefined();
  });
});

describe('a receiver without a journal', () => {
  it('keeps the bindings of the last 10,000 records in memory, the oldest out first', async () => {
    const webhooks = createWebhookReceiver({ publicUrl: 'https://flows.example/', secret: SECRET, kinds });
    const callback = async (hook: string, id: string) => {
      const token = new URL(await webhooks.url('job', hook)).pathname.split('/').at(-1)!;
      return (await webhooks.receive('job', hook, token, { status: 'done', id })).kind;
    };
    for (let i = 0; i <= 10_000; i++) await webhooks.bind('job', `h${i}`, `job-${i}`);
    // the newest binding stands; the first one was let go, so its callback is held rather than recorded
    expect(await callback('h10000', 'job-10000')).toBe('recorded');
    expect(await callback('h0', 'job-0')).toBe('held');
  });
});

describe('a callback recorded by another process', () => {
  it('wakes a waiter sharing the store on its next re-read of the record, with no provider request', async () => {
    vi.useFakeTimers();
    try {
      const store = createMemoryStore();
      const options = {
        publicUrl: 'https://flows.example',
        secret: SECRET,
        kinds,
        journal: store,
        recheckMs: 10_000,
      };
      // serve receives; a worker with the same secret and store waits
      const serve = createWebhookReceiver(options);
      const worker = createWebhookReceiver(options);
      let woken = false;
      const waiting = worker.ended('job', 'job-11', new AbortController().signal).then(() => {
        woken = true;
      });
      const token = new URL(await worker.url('job', 'h11')).pathname.split('/').at(-1)!;
      // the worker's node binds the hook to the job the provider answered; serve reads the binding from the store
      await worker.bind('job', 'h11', 'job-11');
      expect((await serve.receive('job', 'h11', token, { status: 'done', id: 'job-11' })).kind).toBe(
        'recorded',
      );
      await vi.advanceTimersByTimeAsync(9_999);
      expect(woken).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await waiting;
      expect(woken).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
