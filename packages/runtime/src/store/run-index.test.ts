import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/temp-dir';
import { createFileStore } from './file';
import type { RunRecord, StoreProblem } from './types';

const run = (runId: string, createdAt: number): RunRecord => ({
  runId,
  doc: { format: 'loraflow.graph', version: 1, nodes: [], edges: [] },
  status: 'succeeded',
  createdAt,
  startedAt: createdAt,
  updatedAt: createdAt,
  attempts: 1,
  nodes: {},
  lastSeq: 0,
});

describe('file store run index', () => {
  it('lists the newest N runs by reading N records, never the older ones', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, durable: false, onProblem: (p) => problems.push(p) });
    for (let i = 0; i < 40; i++) await store.putRun(run(`run_${i}`, 1_000 + i));
    // an old record gone bad: a scan of every record would meet it (and report it)
    await writeFile(join(dir, 'runs', 'run_3.json'), '{"torn');
    const reader = createFileStore({ dir, durable: false, onProblem: (p) => problems.push(p) });
    expect((await reader.listRuns({ limit: 3 })).map((r) => r.runId)).toEqual(['run_39', 'run_38', 'run_37']);
    expect(problems).toEqual([]);
    // the whole history still reads everything, and says what it could not
    expect(await reader.listRuns()).toHaveLength(39);
    expect(problems.map((p) => p.where)).toEqual(['runs/run_3.json']);
  });

  it('indexes, once, the runs of a store written before the index existed', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir, durable: false });
    for (const [id, at] of [
      ['old', 1],
      ['new', 3],
      ['mid', 2],
    ] as const)
      await store.putRun(run(id, at));
    await rm(join(dir, 'run-index'), { recursive: true });
    const later = createFileStore({ dir, durable: false });
    expect((await later.listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(['new', 'mid']);
    expect((await readdir(join(dir, 'run-index'))).sort()).toEqual([
      '.complete',
      '0000000000000001-old',
      '0000000000000002-mid',
      '0000000000000003-new',
    ]);
  });

  it('skips a run whose marker was written but whose record never came (a crash in between)', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir, durable: false });
    await store.putRun(run('kept', 5));
    await writeFile(join(dir, 'run-index', '0000000000000009-lost'), '');
    expect((await store.listRuns({ limit: 1 })).map((r) => r.runId)).toEqual(['kept']);
  });

  it('sees a run another process added after a listing it kept', async () => {
    const dir = await tempDir();
    const here = createFileStore({ dir, durable: false });
    await here.putRun(run('first', 1));
    // the index folder last changed long ago: its listing is kept
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'run-index'), past, past);
    expect((await here.listRuns()).map((r) => r.runId)).toEqual(['first']);
    await createFileStore({ dir, durable: false }).putRun(run('second', 2));
    expect((await here.listRuns()).map((r) => r.runId)).toEqual(['second', 'first']);
  });

  it('answers the same as sorting every record, for any creation times, rewrites and limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 ** 42 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 14 }),
        async (times, limit) => {
          const dir = await tempDir();
          const store = createFileStore({ dir, durable: false });
          const records = times.map((at, i) => run(`r${i}`, at));
          for (const r of records) await store.putRun(r);
          // checkpoints rewrite a record; its place in the history stays
          for (const r of records.slice(0, 3)) await store.putRun({ ...r, updatedAt: r.updatedAt + 7 });
          const listed = await createFileStore({ dir, durable: false }).listRuns({ limit });
          const expected = [...records].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
          expect(listed.map((r) => r.createdAt)).toEqual(expected.map((r) => r.createdAt));
          expect(new Set(listed.map((r) => r.runId)).size).toBe(listed.length);
        },
      ),
      { numRuns: 25 },
    );
  });
});
