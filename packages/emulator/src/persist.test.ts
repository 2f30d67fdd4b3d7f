import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, readRecordedRequests, startEmulator } from './node';

const CANARY = { key: 'api_canary_key_7Q', secret: 'canary-secret-9Zx' };
const ML_CANARY = 'ml-canary-key-4Kq';
const basic = `Basic ${btoa(`${CANARY.key}:${CANARY.secret}`)}`;
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loraflow-emu-persist-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'emulator', 'requests.ndjson');
}

async function start(persistFile: string, clock: 'manual' | { speed: number } = 'manual') {
  const server = await startEmulator({
    clock,
    persistFile,
    credentials: { scenario: [CANARY], modelslab: [ML_CANARY] },
  });
  cleanup.push(server.close);
  return server;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in tests
async function call(server: RunningEmulator, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/scenario/v1${path}`, {
    method,
    headers: { authorization: basic, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

async function trainedLora(server: RunningEmulator, name: string): Promise<string> {
  const created = await call(server, 'POST', '/models', { name, type: 'flux.1-lora' });
  const id = created.model.id as string;
  for (let i = 0; i < 3; i++) {
    await call(server, 'POST', `/models/${id}/training-images`, { name: `${i}.png`, data: PNG });
  }
  expect((await call(server, 'PUT', `/models/${id}/train`, {})).status).toBe(200);
  return id;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in tests
async function ml(server: RunningEmulator, path: string, body: object): Promise<any> {
  const res = await fetch(`${server.url}/modelslab/api${path}`, {
    method: 'POST',
    body: JSON.stringify({ key: ML_CANARY, ...body }),
  });
  return res.json();
}

describe('startEmulator with persistFile', () => {
  it("replays a ModelsLab img2img whose init_image named the earlier process's port", async () => {
    const file = tempFile();
    const first = await start(file);
    const { link } = await ml(first, '/v3/base64_crop', { image: PNG });
    expect(link.startsWith(first.url)).toBe(true);
    const queued = await ml(first, '/v6/images/img2img', { model_id: 'sdxl', init_image: link });
    expect(queued.status).toBe('processing');
    await first.close();

    const second = await start(file);
    expect(second.url).not.toBe(first.url);
    const again = await ml(second, `/v6/images/fetch/${queued.id}`, {});
    expect(again.status).toBe('processing');
    expect(again.meta).toEqual(queued.meta);
  });

  it('keeps models trained in an earlier process, with the same ids, status and training images', async () => {
    const file = tempFile();
    const first = await start(file);
    const id = await trainedLora(first, 'kept');
    first.emulator.clock.advance(16 * 60_000);
    const before = await call(first, 'GET', `/models/${id}`);
    expect(before.model.status).toBe('trained');
    await first.close();

    const second = await start(file);
    second.emulator.clock.advance(16 * 60_000);
    const after = await call(second, 'GET', `/models/${id}`);
    expect(after.model.status).toBe('trained');
    expect(after.model.trainingImages.map((i: { id: string }) => i.id)).toEqual(
      before.model.trainingImages.map((i: { id: string }) => i.id),
    );
    // The replay is not this process's traffic.
    expect(second.emulator.log.entries({ route: 'scenario.models.create' })).toHaveLength(0);
    // New resources get new ids: the id sequence continues where the first process left it.
    const next = await call(second, 'POST', '/models', { name: 'new', type: 'flux.1-lora' });
    expect(next.model.id).not.toBe(id);
  });

  it('resumes a training that was running when the process stopped', async () => {
    const file = tempFile();
    const first = await start(file);
    const id = await trainedLora(first, 'half-way');
    first.emulator.clock.advance(60_000);
    expect((await call(first, 'GET', `/models/${id}`)).model.status).toBe('training');
    await first.close();

    const second = await start(file);
    expect((await call(second, 'GET', `/models/${id}`)).model.status).toBe('training');
    second.emulator.clock.advance(16 * 60_000);
    expect((await call(second, 'GET', `/models/${id}`)).model.status).toBe('trained');
  });

  it('replays concurrent writes under a fast clock to the same ids and timestamps (one write at a time, time frozen while it runs)', async () => {
    const file = tempFile();
    const first = await start(file, { speed: 600 });
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(first, 'POST', '/models', { name: `m${i}`, type: 'flux.1-lora' }),
      ),
    );
    const byName = new Map(ids.map((r) => [r.model.name as string, `${r.model.id} ${r.model.createdAt}`]));
    await first.close();

    const second = await start(file, { speed: 600 });
    const listed = await call(second, 'GET', '/models?pageSize=50');
    const replayed = new Map(
      (listed.models as Array<{ name: string; id: string; createdAt: string }>).map(
        (m) => [m.name, `${m.id} ${m.createdAt}`] as const,
      ),
    );
    expect(replayed).toEqual(byName);
  });

  it('writes no credential to the file, in any form', async () => {
    const file = tempFile();
    const server = await start(file);
    await trainedLora(server, 'secretless');
    const ml = await fetch(`${server.url}/modelslab/api/v6/images/text2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: ML_CANARY, model_id: 'sdxl', prompt: 'a lantern' }),
    });
    expect(ml.status).toBe(200);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('/modelslab/api/v6/images/text2img');
    for (const secret of [CANARY.key, CANARY.secret, ML_CANARY, btoa(`${CANARY.key}:${CANARY.secret}`)]) {
      expect(text).not.toContain(secret);
    }
  });

  it('skips a torn last line left by a kill -9 and keeps everything before it', async () => {
    const file = tempFile();
    const first = await start(file);
    const created = await call(first, 'POST', '/models', { name: 'whole', type: 'flux.1-lora' });
    await first.close();
    appendFileSync(file, '{"at":1767268800000,"method":"POST","path":"/scenario/v1/mo');

    expect(readRecordedRequests(file)).toMatchObject({ skipped: 1 });
    const second = await start(file);
    expect((await call(second, 'GET', `/models/${created.model.id}`)).status).toBe(200);
  });

  it('forgets the history on a control-API reset', async () => {
    const file = tempFile();
    const first = await start(file);
    const created = await call(first, 'POST', '/models', { name: 'gone', type: 'flux.1-lora' });
    expect((await fetch(`${first.url}/_emulator/reset`, { method: 'POST' })).status).toBe(200);
    await first.close();

    const second = await start(file);
    expect((await call(second, 'GET', `/models/${created.model.id}`)).status).toBe(404);
  });

  it('refuses persistFile together with faults, since a replay must see what the first run saw', async () => {
    await expect(
      startEmulator({ persistFile: tempFile(), faults: [{ route: '**', rate: 0.5, kind: '5xx' }] }),
    ).rejects.toThrow(/persistFile cannot be combined/);
  });
});

describe('startEmulator with a persistFile shared by two emulators (two processes on one store)', () => {
  it('agrees on every id: each sees what the other created, and a later replay rebuilds both', async () => {
    const file = tempFile();
    const a = await start(file);
    const b = await start(file);
    const fromA = await trainedLora(a, 'made by a');
    const fromB = await call(b, 'POST', '/models', { name: 'made by b', type: 'flux.1-lora' });
    // without sharing, b would draw the first id again
    expect(fromB.model.id).not.toBe(fromA);
    expect((await call(b, 'GET', `/models/${fromA}`)).model.name).toBe('made by a');
    expect((await call(a, 'GET', `/models/${fromB.model.id}`)).model.name).toBe('made by b');
    const interleaved = await Promise.all([
      call(a, 'POST', '/models', { name: 'a again', type: 'flux.1-lora' }),
      call(b, 'POST', '/models', { name: 'b again', type: 'flux.1-lora' }),
    ]);
    const ids = [fromA, fromB.model.id, ...interleaved.map((r) => r.model.id as string)];
    expect(new Set(ids).size).toBe(4);
    await Promise.all([a.close(), b.close()]);

    const later = await start(file);
    for (const [id, name] of [
      [fromA, 'made by a'],
      [fromB.model.id, 'made by b'],
      [interleaved[0].model.id, 'a again'],
      [interleaved[1].model.id, 'b again'],
    ]) {
      expect((await call(later, 'GET', `/models/${id}`)).model.name).toBe(name);
    }
    expect((await call(later, 'GET', `/models/${fromA}`)).model.trainingImages).toHaveLength(3);
  });
});
