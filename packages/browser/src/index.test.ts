import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphDocument } from '@loraflow/core';
import type { Emulator } from '@loraflow/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserRuntime } from './index';

// train calls only (the route's children, such as the estimate's dry run, are not trainings)
const trains = (emulator: Emulator) =>
  emulator.log.entries().filter((e) => e.route === 'scenario.models.train').length;

const examples = new URL('../../../examples/', import.meta.url);
let server: Server;
let filesBaseUrl: string;

// The page's own origin, serving the examples folder as a host's static files would.
beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      res.end(await readFile(new URL(`.${path}`, examples)));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  filesBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function exampleGraph(prompt?: string): Promise<GraphDocument> {
  const doc = JSON.parse(await readFile(new URL('compose-train-generate.json', examples), 'utf8'));
  if (prompt) for (const n of doc.nodes) if (n.id === 'prompt') n.params.text = prompt;
  return doc;
}

describe('createBrowserRuntime', () => {
  it('runs the example pipeline in one call, with training waited for in emulated time', async () => {
    const page = await createBrowserRuntime({ persist: false, filesBaseUrl });
    try {
      const handle = await page.runtime.run(await exampleGraph());
      const result = await handle.result;
      expect(result.status).toBe('succeeded');
      // the LoRA's training and the composition's (Scenario composes by training a model of its inputs)
      expect(trains(page.emulator)).toBe(2);
    } finally {
      await page.close();
    }
  });

  it('finds a LoRA trained before a reload cached and still existing at the emulated provider after it', async () => {
    const persist = `reload-${Math.random().toString(36).slice(2)}`;
    const first = await createBrowserRuntime({ persist, filesBaseUrl });
    expect((await (await first.runtime.run(await exampleGraph())).result).status).toBe('succeeded');
    await first.close();

    // the reload: a new page on the same IndexedDB
    const second = await createBrowserRuntime({ persist, filesBaseUrl });
    try {
      const handle = await second.runtime.run(await exampleGraph('the same lantern at dawn'));
      const result = await handle.result;
      expect(result.status).toBe('succeeded');
      // nothing trained or created again: the cache remembered, and the model exists where it was made
      expect(trains(second.emulator)).toBe(0);
      expect(second.emulator.log.entries().filter((e) => e.route === 'scenario.models.create')).toHaveLength(
        0,
      );
      expect(second.emulator.state().counts.models).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });

  it('refuses file sources without a files URL, and paths that climb out of it', async () => {
    const without = await createBrowserRuntime({ persist: false });
    const climbing = await createBrowserRuntime({ persist: false, filesBaseUrl });
    try {
      const none = await (await without.runtime.run(await exampleGraph())).result;
      expect(none.status).toBe('failed');
      expect(JSON.stringify(none)).toContain('This page reads no files');
      const doc = await exampleGraph();
      for (const n of doc.nodes)
        if (n.id === 'photos') n.params = { images: [{ file: '../package.json', name: 'x.png' }] };
      const out = await (await climbing.runtime.run(doc)).result;
      expect(out.status).toBe('failed');
      expect(JSON.stringify(out)).toContain('outside');
    } finally {
      await without.close();
      await climbing.close();
    }
  });

  it('refuses options it cannot use, naming the option', async () => {
    await expect(createBrowserRuntime({ persist: false, speed: 0 })).rejects.toThrow(
      /"speed" must be a positive number/,
    );
    await expect(createBrowserRuntime({ persist: '' })).rejects.toThrow(/"persist"/);
    await expect(createBrowserRuntime({ persist: false, seed: 1.5 } as never)).rejects.toThrow(/"seed"/);
  });

  it('refuses a file source larger than the cap while reading it, without holding the whole of it', async () => {
    const huge = createServer((_req, res) => {
      // no Content-Length: the cap must hold while the bytes stream
      const chunk = new Uint8Array(1024 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 80 && res.write(chunk)) sent++;
        if (sent >= 80) res.end();
        else res.once('drain', more);
      };
      res.on('close', () => res.destroy());
      more();
    });
    await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
    const page = await createBrowserRuntime({
      persist: false,
      filesBaseUrl: `http://127.0.0.1:${(huge.address() as AddressInfo).port}/`,
    });
    try {
      const out = await (await page.runtime.run(await exampleGraph())).result;
      expect(out.status).toBe('failed');
      expect(JSON.stringify(out.nodes.photos?.error)).toMatch(/larger than 67108864 bytes/);
    } finally {
      await page.close();
      huge.closeAllConnections();
      await new Promise<void>((resolve) => huge.close(() => resolve()));
    }
  });
});
