// File-store and warm re-run figures as JSON lines: `corepack pnpm --filter @loraflow/runtime bench`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createRegistry, type GraphDocument } from '@loraflow/core';
// the core's example pack is for its own examples, tests and benches, not part of its public API
import { examplePack } from '../../core/src/example-pack';
import { createRuntime, createRuntimeHandler } from '../src/index';
import { createFileStore } from '../src/node';
import { adderGraph, emit, median, round } from './stats';

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const dir = await mkdtemp(join(tmpdir(), 'loraflow-bench-'));
try {
  const store = createFileStore({ dir });
  const small = (i: number) => ({
    key: `k${i}`,
    nodeType: 'bench',
    typeVersion: 1,
    outputs: { text: `value ${i}`, n: i },
    createdAt: Date.now(),
  });
  const puts: number[] = [];
  for (let i = 0; i < 200; i++) puts.push(await time(() => store.put(`k${i}`, small(i))));
  const gets: number[] = [];
  for (let i = 0; i < 200; i++) gets.push(await time(() => store.get(`k${i}`)));
  emit({
    bench: 'file-store.put.small-entry',
    n: puts.length,
    median_ms: round(median(puts)),
    durable: true,
  });
  emit({ bench: 'file-store.get.small-entry', n: gets.length, median_ms: round(median(gets)) });

  const blobs = Array.from({ length: 20 }, () => new Uint8Array(randomBytes(1024 * 1024)));
  const refs: string[] = [];
  const blobPuts: number[] = [];
  for (const bytes of blobs) {
    blobPuts.push(
      await time(async () => refs.push((await store.putBlob(bytes, 'application/octet-stream')).$blob)),
    );
  }
  const blobGets: number[] = [];
  for (const hash of refs) blobGets.push(await time(() => store.getBlob(hash)));
  emit({
    bench: 'file-store.putBlob.1MiB',
    n: blobPuts.length,
    median_ms: round(median(blobPuts)),
    durable: true,
  });
  emit({
    bench: 'file-store.getBlob.1MiB',
    n: blobGets.length,
    median_ms: round(median(blobGets)),
    verified: true,
  });

  const registry = createRegistry(examplePack);
  const doc = adderGraph(1000, 1);
  const graphDir = join(dir, 'graph');
  const cold = createRuntime({ registry, store: createFileStore({ dir: graphDir }) });
  const coldMs = await time(async () => (await cold.run(doc)).result);
  emit({ bench: 'runtime.cold-run.1000-nodes.file-store', nodes: doc.nodes.length, ms: round(coldMs) });
  const warmRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    // A new runtime each time: nothing in memory, every hit read from disk.
    const warm = createRuntime({ registry, store: createFileStore({ dir: graphDir }) });
    warmRuns.push(
      await time(async () => {
        const result = await (await warm.run(doc)).result;
        if (Object.values(result.nodes).some((n) => n.status !== 'cached'))
          throw new Error('a warm node ran');
      }),
    );
  }
  emit({
    bench: 'runtime.warm-rerun.1000-nodes.file-store',
    nodes: doc.nodes.length,
    n: warmRuns.length,
    median_ms: round(median(warmRuns)),
  });

  // The run history over real HTTP: the newest 20 of 10,000 stored runs must not cost a read of all of them.
  const historyDir = join(dir, 'history');
  const history = createFileStore({ dir: historyDir, durable: false });
  const emptyDoc: GraphDocument = { format: 'loraflow.graph', version: 1, nodes: [], edges: [] };
  const base = Date.now() - 10_000;
  for (let i = 0; i < 10_000; i++) {
    await history.putRun({
      runId: `run_${i.toString(36).padStart(4, '0')}`,
      doc: emptyDoc,
      status: 'succeeded',
      createdAt: base + i,
      startedAt: base + i,
      updatedAt: base + i,
      attempts: 1,
      nodes: {},
      lastSeq: 0,
    });
  }
  const served = createRuntime({ registry, store: createFileStore({ dir: historyDir }) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: createRuntimeHandler(served), port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s),
    );
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs?limit=20`;
  const list = () =>
    time(async () => {
      const body = (await (await fetch(url)).json()) as { runs: unknown[] };
      if (body.runs.length !== 20) throw new Error('the list is not 20 runs long');
    });
  // right after the writes, every list reads the index folder again (its mtime is too fresh to trust a kept one)
  const fresh: number[] = [];
  for (let i = 0; i < 40; i++) fresh.push(await list());
  await new Promise((resolve) => setTimeout(resolve, 2_600));
  const settled: number[] = [];
  for (let i = 0; i < 40; i++) settled.push(await list());
  server.close();
  emit({
    bench: 'http.GET-runs-limit-20.10000-runs.file-store',
    runs: 10_000,
    n: settled.length,
    median_ms: round(median(settled)),
    just_written_median_ms: round(median(fresh)),
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
