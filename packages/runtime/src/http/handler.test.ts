import { createRegistry, type RunEvent } from '@loraflow/core';
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRemoteRuntime } from '../remote';
import { createRuntime } from '../runtime';
import { createMemoryStore } from '../store/memory';
import type { RuntimeStore } from '../store/types';
import { fakeServiceClient, fakeServiceHandler } from '../test/http-service';
import { createFakeService, graph, testPack } from '../test/pack';
import { listen } from '../test/serve';
import { until } from '../test/until';
import { createRuntimeHandler, type RuntimeHandlerOptions } from './handler';
import { sniffMime } from './sniff';

const registry = createRegistry(testPack);
const textGraph = graph([{ id: 'a', type: 'test.text', params: { text: 'hi' } }]);
const trainGraph = graph(
  [
    { id: 'name', type: 'test.text', params: { text: 'cat' } },
    { id: 'train', type: 'test.train', params: {} },
  ],
  [['name.text', 'train.name']],
);

async function setup(options: RuntimeHandlerOptions = {}) {
  const service = createFakeService();
  const runtime = createRuntime({ registry, services: { fake: service } });
  const handler = createRuntimeHandler(runtime, options);
  const { url } = await listen(handler);
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { service, runtime, handler, url, post };
}

/** Reads an SSE response to its end: events, comments and the `end` marker, as the parser sees them. */
async function readSse(
  response: Response,
  stopAfter?: (seen: { id?: string; event?: string; data: string }[]) => boolean,
) {
  const messages: Array<{ id?: string; event?: string; data: string }> = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (m) => {
      const message: { id?: string; event?: string; data: string } = { data: m.data };
      if (m.event !== undefined) message.event = m.event;
      if (m.id !== undefined) message.id = m.id;
      messages.push(message);
    },
    onComment: (c) => comments.push(c),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(value);
    if (stopAfter?.(messages)) {
      await reader.cancel();
      break;
    }
  }
  return { messages, comments };
}

describe('runtime HTTP handler', () => {
  it('creates a run with 201 and streams its events as SSE with id = seq, then an end marker', async () => {
    const { url, post } = await setup();
    const created = await post('/runs', { graph: textGraph });
    expect(created.status).toBe(201);
    const { runId, after } = (await created.json()) as { runId: string; after: number };
    expect(after).toBe(0);
    const response = await fetch(`${url}/runs/${runId}/events`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { messages } = await readSse(response);
    const events = messages.filter((m) => m.event === undefined).map((m) => JSON.parse(m.data) as RunEvent);
    expect(messages.filter((m) => m.event === undefined).map((m) => m.id)).toEqual(
      events.map((e) => String(e.seq)),
    );
    expect(events.at(-1)?.type).toBe('run.finished');
    expect(messages.at(-1)?.event).toBe('end');
  });

  it('replays from Last-Event-ID on reconnection, without repeating what was seen', async () => {
    const { url, post } = await setup();
    const { runId } = (await (await post('/runs', { graph: textGraph })).json()) as { runId: string };
    const full = await readSse(await fetch(`${url}/runs/${runId}/events`));
    const ids = full.messages.filter((m) => m.id).map((m) => Number(m.id));
    const again = await readSse(
      await fetch(`${url}/runs/${runId}/events`, { headers: { 'last-event-id': '2' } }),
    );
    expect(again.messages.filter((m) => m.id).map((m) => Number(m.id))).toEqual(ids.filter((id) => id > 2));
    const byQuery = await readSse(await fetch(`${url}/runs/${runId}/events?after=${ids.at(-1)}`));
    expect(byQuery.messages).toEqual([{ event: 'end', data: '{}' }]);
  });

  it('sends heartbeats on an idle stream and ends it after run.finished of a live run', async () => {
    const { url, post, service } = await setup({ heartbeatMs: 5 });
    const { runId } = (await (await post('/runs', { graph: trainGraph })).json()) as { runId: string };
    const response = await fetch(`${url}/runs/${runId}/events`);
    const reading = readSse(response);
    await until(() => service.calls.train === 1);
    // Long enough for several heartbeat periods while the training waits.
    await new Promise((resolve) => setTimeout(resolve, 40));
    service.finishAll();
    const { messages, comments } = await reading;
    expect(comments.filter((c) => c.trim() === 'heartbeat').length).toBeGreaterThan(0);
    expect(JSON.parse(messages.at(-2)!.data)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(messages.at(-1)?.event).toBe('end');
  });

  it('lets a run go on when the client of its event stream goes away', async () => {
    const { url, post, service, runtime } = await setup();
    const { runId } = (await (await post('/runs', { graph: trainGraph })).json()) as { runId: string };
    const controller = new AbortController();
    const response = await fetch(`${url}/runs/${runId}/events`, { signal: controller.signal });
    await readSse(response, (seen) => seen.some((m) => m.data.includes('node.started')));
    controller.abort();
    await until(() => service.calls.train === 1);
    service.finishAll();
    await until(async () => (await runtime.getRun(runId))?.status === 'succeeded');
    const replay = await readSse(await fetch(`${url}/runs/${runId}/events`));
    expect(JSON.parse(replay.messages.at(-2)!.data)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
  });

  it('answers errors as { error: { code, message, issues? } } with fitting statuses', async () => {
    const { url, post } = await setup();
    const cases: Array<[Promise<Response>, number, string]> = [
      [post('/runs', { graph: graph([{ id: 'x', type: 'nope' }]) }), 422, 'graph.invalid'],
      [post('/runs', { nope: true }), 400, 'request.invalid'],
      [
        fetch(`${url}/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{not json',
        }),
        400,
        'request.invalid',
      ],
      [fetch(`${url}/runs`, { method: 'POST', body: '{}' }), 415, 'request.content-type'],
      [fetch(`${url}/runs/missing`), 404, 'run.not-found'],
      [fetch(`${url}/runs/..%2F..%2Fetc`), 404, 'run.not-found'],
      [fetch(`${url}/runs/missing/events`), 404, 'run.not-found'],
      [fetch(`${url}/runs/x/events`, { headers: { 'last-event-id': 'abc' } }), 400, 'request.invalid'],
      [post('/runs/missing/cancel', {}), 404, 'run.not-found'],
      [post('/runs/missing/resume', {}), 404, 'run.not-found'],
      [fetch(`${url}/blobs/${'0'.repeat(64)}`), 404, 'blob.not-found'],
      [fetch(`${url}/blobs/not-a-hash`), 404, 'blob.not-found'],
      [fetch(`${url}/runs?limit=0`), 400, 'request.invalid'],
      [fetch(`${url}/nowhere`), 404, 'route.not-found'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
      expect(body.error.message).toMatch(/\w+.*\.$|\w+\)\.$/);
    }
    const invalid = (await (await post('/runs', { graph: graph([{ id: 'x', type: 'nope' }]) })).json()) as {
      error: { issues: Array<{ path: unknown[]; code: string }> };
    };
    expect(invalid.error.issues[0]).toMatchObject({ path: ['nodes', 0, 'type'], code: 'node.unknown-type' });
  });

  it('serves its routes under a base path when asked to', async () => {
    const { url } = await setup({ basePath: '/loraflow' });
    expect((await fetch(`${url}/loraflow/nodes`)).status).toBe(200);
    expect((await fetch(`${url}/nodes`)).status).toBe(404);
    const client = createRemoteRuntime({ baseUrl: `${url}/loraflow/` });
    expect((await client.catalogue()).nodes.length).toBeGreaterThan(0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const { post } = await setup({ maxBodyBytes: 1024 });
    const response = await post('/validate', { graph: { padding: 'x'.repeat(4096) } });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('request.too-large');
  });

  it('asks the host’s authorize hook and answers 401 when it refuses', async () => {
    const { url } = await setup({ authorize: (req) => req.headers.get('authorization') === 'Bearer ok' });
    expect((await fetch(`${url}/nodes`)).status).toBe(401);
    expect((await fetch(`${url}/nodes`, { headers: { authorization: 'Bearer ok' } })).status).toBe(200);
    const client = createRemoteRuntime({ baseUrl: url, headers: { authorization: 'Bearer no' } });
    await expect(client.listRuns()).rejects.toMatchObject({ code: 'request.unauthorized' });
  });

  it('serves a blob that is not PNG, JPEG or WebP as an opaque attachment that cannot run script, and as immutable', async () => {
    const { url, runtime } = await setup();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>';
    const doc = graph(
      [
        { id: 't', type: 'test.text', params: { text: svg } },
        { id: 'f', type: 'test.bytes' },
      ],
      [['t.text', 'f.text']],
    );
    const result = await (await runtime.run(doc)).result;
    const ref = result.nodes.f?.outputs?.file as { $blob: string };
    const response = await fetch(`${url}/blobs/${ref.$blob}`);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toBe('attachment');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe(svg);
  });

  it('recognises PNG, JPEG and WebP bytes for the blob content type, and nothing else', () => {
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0];
    const webp = [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50];
    expect(sniffMime(new Uint8Array(png))).toBe('image/png');
    expect(sniffMime(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffMime(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39]))).toBe('application/octet-stream');
    expect(sniffMime(new Uint8Array(webp))).toBe('image/webp');
    expect(sniffMime(new Uint8Array([0x89, 0x50]))).toBe('application/octet-stream');
  });

  it('never fails with 500 nor without a code, whatever JSON is posted', async () => {
    const { handler } = await setup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/runs', '/validate', '/explain', '/estimate'),
        fc.oneof(fc.jsonValue(), fc.record({ graph: fc.jsonValue(), targets: fc.jsonValue() })),
        async (path, body) => {
          const response = await handler(
            new Request(`http://runtime${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            }),
          );
          expect(response.status).toBeLessThan(500);
          const answer = (await response.json()) as { error?: { code: unknown; message: unknown } };
          if (response.status >= 400) {
            expect(typeof answer.error?.code).toBe('string');
            expect(typeof answer.error?.message).toBe('string');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('runtime HTTP handler: a run the store knows, and a shutdown', () => {
  /** The fake provider behind real HTTP, counted, and a runtime over `store` that reaches it through its client. */
  async function overHttp(store: RuntimeStore) {
    const service = createFakeService();
    const provider = await listen(fakeServiceHandler(service));
    const make = () =>
      createRuntime({ registry, store, services: { fake: fakeServiceClient(provider.url) } });
    const runtime = make();
    const { url } = await listen(createRuntimeHandler(runtime));
    const post = (path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    return { service, runtime, make, url, post };
  }

  it('refuses a run whose record the store cannot write with 503 store.unavailable, before any provider call', async () => {
    const memory = createMemoryStore();
    const store: RuntimeStore = {
      ...memory,
      // slow, then failing: a node started before the record is stored would have reached the provider by then
      async putRun() {
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw Object.assign(new Error("ENOSPC: no space left on device, open '/srv/private/runs/x.json'"), {
          code: 'ENOSPC',
        });
      },
    };
    const { service, url, post } = await overHttp(store);
    const refused = await post('/runs', { graph: trainGraph });
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('store.unavailable');
    expect(body.error.message).toBe(
      'The run could not be recorded in the store (ENOSPC), so it was not started.',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.calls).toEqual({ create: 0, train: 0, cancel: 0, find: 0 });
    expect(((await (await fetch(`${url}/runs`)).json()) as { runs: unknown[] }).runs).toEqual([]);
  });

  it('lets a run whose engine has finished store its outcome on interrupt, rather than call it interrupted', async () => {
    const memory = createMemoryStore();
    let slow = false;
    const store: RuntimeStore = {
      ...memory,
      async putRun(record) {
        if (slow) await new Promise((resolve) => setTimeout(resolve, 30));
        await memory.putRun(record);
      },
    };
    const { runtime, url, post } = await overHttp(store);
    slow = true;
    const { runId } = (await (await post('/runs', { graph: textGraph })).json()) as { runId: string };
    // the event stream has seen run.finished; the final record is still being written
    expect((await readSse(await fetch(`${url}/runs/${runId}/events`))).messages.at(-1)?.event).toBe('end');
    expect(await runtime.interrupt()).toEqual([]);
    expect(await memory.getRun(runId)).toMatchObject({ status: 'succeeded' });
    expect((await memory.getRun(runId))?.interrupted).toBeUndefined();
  });

  it('checkpoints a live run as interrupted on interrupt, refuses new runs, and resumes it elsewhere without training twice', async () => {
    const store = createMemoryStore();
    const { service, runtime, make, url, post } = await overHttp(store);
    const { runId } = (await (await post('/runs', { graph: trainGraph })).json()) as { runId: string };
    await until(() => service.calls.train === 1);
    const stream = fetch(`${url}/runs/${runId}/events`);
    expect(await runtime.interrupt()).toEqual([runId]);
    // the stream of the interrupted attempt ends rather than waiting for events that will never come
    expect((await readSse(await stream)).messages.at(-1)?.event).toBe('end');
    const record = (await (await fetch(`${url}/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({ status: 'running', interrupted: true });
    expect(service.calls.cancel).toBe(0);
    const refused = await post('/runs', { graph: textGraph });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('runtime.stopping');
    // the old attempt's engine still waits in memory; nothing it does now reaches the store
    const lastSeq = (await store.getRun(runId))!.lastSeq;
    service.finishAll();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await store.getRun(runId))?.lastSeq).toBe(lastSeq);
    // a later runtime on the same store (a restart) resumes it: the training is found again, not started again
    const after = make();
    const handle = await after.resume(runId);
    expect((await handle.result).status).toBe('succeeded');
    expect(service.calls).toMatchObject({ create: 1, train: 1, cancel: 0 });
    const done = await after.getRun(runId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(done?.interrupted).toBeUndefined();
  });
});

describe('remote runtime', () => {
  it('reconnects a dropped event stream from the last event seen, losing and repeating nothing', async () => {
    const { url, service } = await setup();
    let cuts = 0;
    let streams = 0;
    // The first event stream is cut after its first chunk, as a flaky proxy would.
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/events')) streams++;
      if (!String(input).endsWith('/events') || cuts >= 1 || !response.body) return response;
      cuts++;
      const reader = response.body.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done || sent++ >= 1) {
            await reader.cancel();
            controller.error(new TypeError('terminated'));
            return;
          }
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const client = createRemoteRuntime({ baseUrl: url, fetch: flaky, reconnectDelayMs: 1 });
    const handle = await client.run(trainGraph);
    const seen: RunEvent[] = [];
    handle.subscribe((e) => seen.push(e));
    // Training holds until the client has seen it start, so the rest must come through a cut stream.
    await until(() => seen.some((e) => e.type === 'node.progress'));
    service.finishAll();
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect({ cuts, streams }).toEqual({ cuts: 1, streams: 2 });
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.type).toBe('run.finished');
  });

  it('turns whatever an event stream carries into events or a remote.protocol error, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          { maxLength: 4 },
        ),
        async (datas) => {
          const body = `${datas.map((d, i) => `id: ${i + 1}\ndata: ${d.replaceAll('\n', ' ').replaceAll('\r', ' ')}\n\n`).join('')}event: end\ndata: {}\n\n`;
          const fake: typeof fetch = async () =>
            new Response(body, { headers: { 'content-type': 'text/event-stream' } });
          const client = createRemoteRuntime({
            baseUrl: 'http://runtime.test',
            fetch: fake,
            reconnectDelayMs: 1,
          });
          try {
            for await (const event of client.events('r1')) expect(event.runId).toBe('r1');
          } catch (error) {
            expect(error).toMatchObject({ code: 'remote.protocol' });
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('turns whatever JSON a server answers into a checked answer or a remote.protocol error naming where', async () => {
    let answer: unknown = {};
    const { url } = await listen(async () => Response.json(answer));
    const client = createRemoteRuntime({ baseUrl: url });
    const calls = [
      () => client.catalogue(),
      () => client.validate(textGraph),
      () => client.explain(textGraph),
      () => client.estimate(textGraph),
      () => client.listRuns(),
      () => client.run(textGraph),
    ];
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.nat(calls.length - 1), async (value, which) => {
        answer = value;
        try {
          await calls[which]!();
        } catch (error) {
          expect(error).toMatchObject({ code: 'remote.protocol' });
          expect((error as Error).message).toMatch(
            /^The runtime answered (GET|POST) \/\S+ with something malformed/,
          );
        }
      }),
      { numRuns: 150 },
    );
    // a well-formed answer passes, fields a newer server adds included
    answer = { ok: true, issues: [], addedLater: 1 };
    await expect(client.validate(textGraph)).resolves.toEqual({ ok: true, issues: [], addedLater: 1 });
    answer = { nodes: 'no' };
    await expect(client.estimate(textGraph)).rejects.toThrow(
      /POST \/estimate with something malformed at nodes/,
    );
  });

  it('names where a malformed run record is wrong, as for every other answer', async () => {
    const { url } = await listen(async () => Response.json({ runId: 'r1', status: 'bored' }));
    const client = createRemoteRuntime({ baseUrl: url });
    const error = await client.getRun('r1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'remote.protocol' });
    expect((error as Error).message).toMatch(
      /^The runtime answered GET \/runs\/r1 with something malformed at \w+: /,
    );
  });

  it("keeps a refusal's code and sentence but not issues that are not issues", async () => {
    let issues: unknown = [5, { path: 'nodes' }];
    const { url } = await listen(async () =>
      Response.json({ error: { code: 'request.invalid', message: 'Bad graph.', issues } }, { status: 400 }),
    );
    const client = createRemoteRuntime({ baseUrl: url });
    const malformed = await client.validate(textGraph).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ code: 'request.invalid', message: 'Bad graph.' });
    expect((malformed as { issues?: unknown }).issues).toBeUndefined();
    issues = [{ path: ['graph', 'nodes', 0], code: 'node.unknown-type', message: 'No such type.' }];
    const wellFormed = await client.validate(textGraph).catch((e: unknown) => e);
    expect((wellFormed as { issues?: unknown }).issues).toEqual(issues);
  });

  it('names where a malformed event of a run is wrong, and an event of another run as such', async () => {
    let data = '{"seq":"one","runId":"r1","at":1,"type":"run.started"}';
    const { url } = await listen(
      async () =>
        new Response(`id: 1\ndata: ${data}\n\n`, { headers: { 'content-type': 'text/event-stream' } }),
    );
    const client = createRemoteRuntime({ baseUrl: url });
    const follow = async () => {
      for await (const _ of client.events('r1')) {
      }
    };
    await expect(follow()).rejects.toMatchObject({
      code: 'remote.protocol',
      message: expect.stringMatching(/^The event stream of run "r1" carried a malformed event at seq: \S/),
    });
    data = '{"seq":1,"runId":"r2","at":1,"type":"run.started"}';
    await expect(follow()).rejects.toMatchObject({
      code: 'remote.protocol',
      message: 'The event stream of run "r1" carried an event of another run.',
    });
  });

  it('throws one sentence for a base URL it cannot use', () => {
    expect(() => createRemoteRuntime({ baseUrl: 'ftp://x' })).toThrow(/baseUrl must be an http\(s\) URL/);
    expect(() => createRemoteRuntime({ baseUrl: 'runtime' })).toThrow(/baseUrl/);
    expect(() => createRemoteRuntime({ baseUrl: '/loraflow' })).not.toThrow();
  });

  it('says the runtime is unreachable, without repeating its headers', async () => {
    const client = createRemoteRuntime({
      baseUrl: 'http://127.0.0.1:9',
      headers: { authorization: 'Bearer secret-token' },
    });
    const error = await client.catalogue().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'remote.unreachable' });
    expect(String((error as Error).message)).not.toContain('secret-token');
  });
});
