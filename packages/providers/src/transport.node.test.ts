import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createEmulator, EMULATOR_CREDENTIALS } from '@loraflow/emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultFetch as chosenTransport } from '#transport';
import { ScenarioClient } from './scenario/client';
import { createNodeFetch, defaultFetch } from './transport.node';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A server that counts TCP connections and holds responses until released. */
async function countingServer(hold: boolean) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    if (hold) held.push(res);
    else res.end('{}');
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url,
    connections: () => connections,
    held,
    release: () => {
      for (const r of held.splice(0)) r.end('{}');
    },
  };
}

describe('Node transport', () => {
  it('is what the #transport import resolves to under the node condition, shared by every client', () => {
    expect(chosenTransport).toBe(defaultFetch);
    expect(defaultFetch()).toBe(defaultFetch());
  });

  it('keeps connections alive: ten sequential requests share at most two sockets', async () => {
    const s = await countingServer(false);
    const fetch = createNodeFetch();
    for (let i = 0; i < 10; i++) await (await fetch(`${s.url}/x`)).text();
    // undici may open a spare socket while the first is being returned to the pool; never one per request.
    expect(s.connections()).toBeLessThanOrEqual(2);
  });

  it('bounds the pool: no more sockets than `connections`, the rest queue', async () => {
    const s = await countingServer(true);
    const fetch = createNodeFetch({ connections: 2 });
    const pending = Array.from({ length: 5 }, () => fetch(`${s.url}/x`).then((r) => r.text()));
    await expect.poll(() => s.held).toHaveLength(2);
    expect(s.connections()).toBe(2);
    // Release in rounds: queued requests go out on the same two sockets.
    let done = false;
    const all = Promise.all(pending).then(() => {
      done = true;
    });
    while (!done) {
      s.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    await all;
    expect(s.connections()).toBe(2);
  });
});

describe('injected fetch', () => {
  it('drives the in-process emulator without any socket', async () => {
    const emulator = createEmulator({ clock: 'manual' });
    const client = new ScenarioClient({
      baseUrl: 'http://emulator.local/scenario/v1',
      apiKey: EMULATOR_CREDENTIALS.scenario.key,
      apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
      fetch: (input, init) => emulator.fetch(new Request(input, init)),
    });
    const created = await client.createModel({ name: 'in process', type: 'flux.1-lora' });
    await expect(client.getModel(created.id)).resolves.toMatchObject({ name: 'in process', status: 'new' });
  });
});
