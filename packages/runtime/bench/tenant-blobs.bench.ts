// A tenant with many runs asking for blob hashes it does not own (decision 0034): `GET /blobs/<hash>` request time,
// as JSON lines. `corepack pnpm --filter @loraflow/runtime exec tsx --conditions=source bench/tenant-blobs.bench.ts`.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '@loraflow/core';
// the core's example pack is for its own examples, tests and benches, not part of its public API
import { examplePack } from '../../core/src/example-pack';
import { createMemoryStore, createRuntime, createRuntimeHandler } from '../src/index';
import { createFileStore } from '../src/node';
import type { RunRecord, RuntimeStore } from '../src/store/types';
import { emit, median, round } from './stats';

const RUNS = Number(process.env.RUNS ?? 2_000);
const ASKS = 20;
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
const alice = { tenant: 'alice', providers: { modelslab: { apiKey: 'alice-key-1234' } } };

async function bench(name: string, store: RuntimeStore) {
  const at = Date.now() - RUNS;
  for (let i = 0; i < RUNS; i++) {
    const record: RunRecord = {
      runId: `run_${String(i).padStart(6, '0')}`,
      doc: { format: 'loraflow.graph', version: 1, nodes: [], edges: [] } as unknown as RunRecord['doc'],
      status: 'succeeded',
      createdAt: at + i,
      startedAt: at + i,
      updatedAt: at + i,
      finishedAt: at + i,
      attempts: 1,
      nodes: {
        render: {
          status: 'succeeded',
          key: `k${i}`,
          outputs: { image: { $blob: hashOf(`own ${i}`), mime: 'image/png', size: 1 } },
        },
      },
      lastSeq: 0,
      tenant: 'alice',
    };
    await store.putRun(record);
  }
  const runtime = createRuntime({
    registry: createRegistry(examplePack),
    store,
    tenants: { services: () => ({}) },
  });
  const handler = createRuntimeHandler(runtime, { credentials: () => alice });
  const ask = async (hash: string) => {
    const start = performance.now();
    const response = await handler(new Request(`http://127.0.0.1/blobs/${hash}`));
    await response.arrayBuffer();
    if (response.status !== 404) throw new Error(`expected 404, got ${response.status}`);
    return performance.now() - start;
  };
  const first = await ask(hashOf('foreign first'));
  const times: number[] = [];
  for (let i = 0; i < ASKS; i++) times.push(await ask(hashOf(`foreign ${i}`)));
  emit({
    bench: `tenant-blobs.foreign-hash.${name}`,
    runs: RUNS,
    first_ms: round(first),
    median_ms: round(median(times)),
    asks: ASKS,
  });
}

await bench('memory', createMemoryStore());
const dir = await mkdtemp(join(tmpdir(), 'loraflow-bench-'));
try {
  await bench('file', createFileStore({ dir }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
