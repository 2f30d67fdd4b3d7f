import type { StoreProblem } from '@loraflow/runtime';
import { describe, expect, it } from 'vitest';
import { sampleRun } from '../../runtime/src/test/store-contract';
import { MIGRATIONS, migrate } from './migrations';
import { createPostgresStore } from './store';
import { useTestCluster } from './test/use-cluster';
import { withPool } from './test/with-pool';

// Decision 0034: a run's tenant is a column of its own, so one tenant's history is read by index, never by scanning.

const cluster = useTestCluster();

describe('postgres store: run tenants', () => {
  it('keeps a run’s tenant in its column, and fills the column for records written before the migration', async () => {
    const url = await cluster().createDatabase();
    // a database at the step before tenants, holding a record that names one
    await withPool(url, async (pool) => {
      await migrate(
        pool,
        'loraflow',
        MIGRATIONS.filter((m) => m.version < 3),
      );
      const record = { ...sampleRun('old', 1), tenant: 'alice' };
      await pool.query('INSERT INTO loraflow.runs (run_id, created_at, record) VALUES ($1, $2, $3)', [
        'old',
        1,
        JSON.stringify(record),
      ]);
    });
    const store = await createPostgresStore({ connectionString: url });
    await store.putRun({ ...sampleRun('new', 2), tenant: 'bob' });
    await store.putRun(sampleRun('host', 3));
    const columns = await withPool(url, async (pool) => {
      const { rows } = await pool.query<{ run_id: string; tenant: string | null }>(
        'SELECT run_id, tenant FROM loraflow.runs ORDER BY run_id',
      );
      return rows;
    });
    expect(columns).toEqual([
      { run_id: 'host', tenant: null },
      { run_id: 'new', tenant: 'bob' },
      { run_id: 'old', tenant: 'alice' },
    ]);
    expect((await store.listRuns({ tenant: 'alice' })).map((r) => r.runId)).toEqual(['old']);
    await store.close();
  });

  it('lists no row whose record names another tenant than its column, and reports it', async () => {
    const url = await cluster().createDatabase();
    const problems: StoreProblem[] = [];
    const store = await createPostgresStore({ connectionString: url, onProblem: (p) => problems.push(p) });
    await store.putRun({ ...sampleRun('r1', 1), tenant: 'bob' });
    // a row changed behind the store's back: the column says alice, the record still says bob
    await withPool(url, (pool) =>
      pool.query("UPDATE loraflow.runs SET tenant = 'alice' WHERE run_id = 'r1'"),
    );
    expect(await store.listRuns({ tenant: 'alice' })).toEqual([]);
    expect(problems.map((p) => [p.code, p.where])).toEqual([['store.corrupt_record', 'runs/r1']]);
    await store.close();
  });
});
