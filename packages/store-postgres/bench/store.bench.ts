// PostgreSQL store figures as JSON lines: `corepack pnpm --filter @loraflow/store-postgres bench`.
// A throwaway cluster with PostgreSQL's default durability (fsync and synchronous commit on), on loopback TCP.
import type { RunEvent } from '@loraflow/core';
import type { RunRecord } from '@loraflow/runtime';
import { createPostgresStore } from '../src/index';
import { startTestCluster } from '../src/test/cluster';

const SAMPLES = 200;
const RUNS = 10_000;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (x: number) => Math.round(x * 1000) / 1000;
const emit = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ bench: 'postgres-store', ...line })}\n`);

async function sample(fn: (i: number) => Promise<unknown>, n = SAMPLES): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  return round(median(times));
}

const run = (i: number): RunRecord => ({
  runId: `run-${i}`,
  doc: { format: 'loraflow.graph', version: 1, nodes: [], edges: [] },
  status: 'succeeded',
  createdAt: 1_700_000_000_000 + i,
  startedAt: 1_700_000_000_000 + i,
  updatedAt: 1_700_000_000_000 + i,
  finishedAt: 1_700_000_000_000 + i,
  attempts: 1,
  nodes: { generate: { status: 'succeeded', key: `k${i}`, outputs: { text: `image ${i}` } } },
  lastSeq: 12,
});

const cluster = await startTestCluster({ durable: true });
try {
  const store = await createPostgresStore({ connectionString: await cluster.createDatabase('bench') });
  // A generation's entry as the runtime keeps it: blob refs to its images, and where it came from.
  const entry = (i: number) => ({
    key: `k${i}`,
    nodeType: 'lora.generate',
    typeVersion: 1,
    outputs: { images: [{ $blob: 'ab'.repeat(32), mime: 'image/png', size: 912_345 }], seed: i },
    createdAt: Date.now(),
    provenance: {
      nodeId: 'generate',
      params: { prompt: `a fox, take ${i}`, steps: 30 },
      inputKeys: ['k-lora'],
    },
  });
  emit({ op: 'put', samples: SAMPLES, medianMs: await sample((i) => store.put(`k${i}`, entry(i))) });
  emit({ op: 'get', samples: SAMPLES, medianMs: await sample((i) => store.get(`k${i}`)) });

  const batch = 10;
  const events = (i: number): RunEvent[] =>
    Array.from({ length: batch }, (_, j) => ({
      seq: i * batch + j + 1,
      runId: 'events',
      at: Date.now(),
      type: 'node.progress',
      nodeId: 'train',
      fraction: j / batch,
    }));
  emit({
    op: 'appendEvents',
    events: batch,
    samples: SAMPLES,
    medianMs: await sample((i) => store.appendEvents('events', events(i))),
  });
  emit({
    op: 'getEvents',
    events: SAMPLES * batch,
    samples: SAMPLES,
    medianMs: await sample(() => store.getEvents('events', { after: SAMPLES * batch - 20 })),
  });

  // 10,000 runs through putRun, eight at a time as a busy server would write them.
  const filled = performance.now();
  for (let i = 0; i < RUNS; i += 8)
    await Promise.all(Array.from({ length: Math.min(8, RUNS - i) }, (_, j) => store.putRun(run(i + j))));
  emit({ op: 'putRun', runs: RUNS, concurrency: 8, totalMs: round(performance.now() - filled) });
  emit({
    op: 'listRuns',
    limit: 20,
    runs: RUNS,
    samples: SAMPLES,
    medianMs: await sample(() => store.listRuns({ limit: 20 })),
  });

  const image = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
  const ref = await store.putBlob(image, 'image/png');
  emit({
    op: 'getBlob',
    bytes: image.byteLength,
    samples: 20,
    medianMs: await sample(() => store.getBlob(ref.$blob), 20),
  });
  await store.close();
} finally {
  await cluster.stop();
}
