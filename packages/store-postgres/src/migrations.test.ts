import { describe, expect, it } from 'vitest';
import { POSTGRES_STORE_CODES } from './errors';
import { MIGRATIONS, type Migration, migrate } from './migrations';
import { createPostgresStore } from './store';
import { useTestCluster } from './test/use-cluster';
import { withPool } from './test/with-pool';

const cluster = useTestCluster();

const versions = (url: string) =>
  withPool(url, async (pool) => {
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM loraflow.migrations ORDER BY version',
    );
    return rows.map((r) => r.version);
  });

describe('postgres store migrations', () => {
  it('applies each migration once when several stores open the same empty database at once', async () => {
    const url = await cluster().createDatabase();
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => createPostgresStore({ connectionString: url })),
    );
    expect(await versions(url)).toEqual(MIGRATIONS.map((m) => m.version));
    // Every one of them works on the one set of tables.
    await stores[0]!.put('k', { key: 'k', nodeType: 't', typeVersion: 1, outputs: {}, createdAt: 1 });
    for (const store of stores) expect(await store.has('k')).toBe(true);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('opens a database it migrated before without applying anything again', async () => {
    const url = await cluster().createDatabase();
    await (await createPostgresStore({ connectionString: url })).close();
    const again = await withPool(url, (pool) => migrate(pool, 'loraflow'));
    expect(again).toEqual({ from: MIGRATIONS.at(-1)!.version, applied: [] });
  });

  it('refuses a database a newer loraflow migrated, saying so, and leaves it untouched', async () => {
    const url = await cluster().createDatabase();
    await (await createPostgresStore({ connectionString: url })).close();
    const newer = MIGRATIONS.at(-1)!.version + 1;
    await withPool(url, (pool) =>
      pool.query("INSERT INTO loraflow.migrations (version, name) VALUES ($1, 'from the future')", [newer]),
    );
    await expect(createPostgresStore({ connectionString: url })).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.schemaTooNew,
      path: 'schema',
      message: expect.stringContaining(`is at version ${newer}, newer than`),
    });
    expect(await versions(url)).toEqual([...MIGRATIONS.map((m) => m.version), newer]);
    // The refused store ended the pool it opened: only this query's connection is left on the database (a server
    // backend leaves pg_stat_activity a moment after its client hung up, hence the poll).
    const connections = () =>
      withPool(url, async (pool) => {
        const { rows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()',
        );
        return rows[0]?.n;
      });
    await expect.poll(connections).toBe(1);
  });

  it('brings an older schema up by applying only the steps it lacks', async () => {
    const url = await cluster().createDatabase();
    await (await createPostgresStore({ connectionString: url })).close();
    const next: Migration = {
      version: MIGRATIONS.at(-1)!.version + 1,
      name: 'a later step',
      up: (s) => `ALTER TABLE ${s}.runs ADD COLUMN later text`,
    };
    const result = await withPool(url, (pool) => migrate(pool, 'loraflow', [...MIGRATIONS, next]));
    expect(result).toEqual({ from: MIGRATIONS.at(-1)!.version, applied: [next.version] });
    expect(await versions(url)).toEqual([...MIGRATIONS.map((m) => m.version), next.version]);
  });

  it('keeps nothing of a migration run that fails part-way: no tables, no recorded version', async () => {
    const url = await cluster().createDatabase();
    const broken: Migration = {
      version: MIGRATIONS.at(-1)!.version + 1,
      name: 'broken',
      up: () => 'SELECT no_such_column FROM nowhere',
    };
    await expect(withPool(url, (pool) => migrate(pool, 'loraflow', [...MIGRATIONS, broken]))).rejects.toThrow(
      /nowhere/,
    );
    const left = await withPool(url, async (pool) => {
      const { rows } = await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = 'loraflow'");
      return rows.length;
    });
    expect(left).toBe(0);
  });
});
