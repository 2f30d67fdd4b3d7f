import type { RunEvent } from '@loraflow/core';
import type { StoreProblem } from '@loraflow/runtime';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract, sampleEntry, sampleRun } from '../../runtime/src/test/store-contract';
import { POSTGRES_STORE_CODES } from './errors';
import { createPostgresStore, statements } from './store';
import { useTestCluster } from './test/use-cluster';

const cluster = useTestCluster();
let schemas = 0;
const freshSchema = () => `s_${++schemas}`;

// Each case gets a fresh, empty schema of one database: the contract's stores never see each other's rows.
// Claims live on the database's clock, which a test cannot move: their lapse is waited for (a few hundred ms).
describeStoreContract(
  'postgres',
  async () => createPostgresStore({ connectionString: cluster().url(), schema: freshSchema() }),
  { lapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
);

let admin: pg.Pool | undefined;
/** Raw SQL beside the store, as another writer (or a damaged disk) would change its rows. */
const sql = (text: string, values: unknown[] = []) => {
  admin ??= new pg.Pool({ connectionString: cluster().url(), max: 2 });
  return admin.query(text, values);
};
afterAll(async () => {
  await admin?.end();
});

async function openWithProblems() {
  const problems: StoreProblem[] = [];
  const schema = freshSchema();
  const store = await createPostgresStore({
    connectionString: cluster().url(),
    schema,
    onProblem: (p) => problems.push(p),
  });
  return { store, schema, problems };
}

const event = (runId: string, seq: number): RunEvent => ({
  seq,
  runId,
  at: seq,
  type: 'node.started',
  nodeId: `n${seq}`,
  key: 'k',
});

describe('postgres store: rows that are not what they should be', () => {
  it('reads a cache entry, journal record, run and event that another writer damaged as absent, and reports each', async () => {
    const { store, schema, problems } = await openWithProblems();
    await store.put('k', sampleEntry('k'));
    await store.putRecord({ key: 'j', state: 'intent', intent: null, at: 1, runId: 'r1' });
    await store.putRun(sampleRun('r1', 1));
    await store.appendEvents('r1', [event('r1', 1), event('r1', 2)]);
    await sql(`UPDATE ${schema}.cache SET entry = '{"key":"k","outputs":"not a record"}'`);
    await sql(`UPDATE ${schema}.journal SET record = '{"key":"j","state":"maybe"}'`);
    await sql(`UPDATE ${schema}.runs SET record = '{"runId":"r1"}'`);
    await sql(
      `UPDATE ${schema}.events SET event = '{"seq":1,"runId":"other","at":1,"type":"x"}' WHERE seq = 1`,
    );

    expect(await store.get('k')).toBeUndefined();
    expect(await store.has('k')).toBe(false);
    expect(await store.getRecord('j')).toBeUndefined();
    expect(await store.listRecords()).toEqual([]);
    expect(await store.getRun('r1')).toBeUndefined();
    expect(await store.listRuns()).toEqual([]);
    expect((await store.getEvents('r1')).map((e) => e.seq)).toEqual([2]);
    expect(problems.map((p) => `${p.code} ${p.where}`)).toEqual([
      'store.corrupt_record cache/k',
      'store.corrupt_record cache/k',
      'store.corrupt_record journal/j',
      'store.corrupt_record journal/j',
      'store.corrupt_record runs/r1',
      'store.corrupt_record runs/r1',
      'store.corrupt_record events/r1/1',
    ]);
    await store.close();
  });

  it('reads a blob whose bytes no longer match their hash as absent, reports it, and heals it on the next put', async () => {
    const { store, schema, problems } = await openWithProblems();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const ref = await store.putBlob(bytes, 'application/octet-stream');
    await sql(`UPDATE ${schema}.blobs SET bytes = '\\x010203'`);
    expect(await store.getBlob(ref.$blob)).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ code: 'store.corrupt_blob', where: `blobs/${ref.$blob}` }),
    ]);
    await store.putBlob(bytes, 'application/octet-stream');
    expect(await store.getBlob(ref.$blob)).toEqual(bytes);
    await store.close();
  });

  it('fills a listRuns limit past a damaged run instead of answering short', async () => {
    const { store, schema, problems } = await openWithProblems();
    for (let i = 1; i <= 5; i++) await store.putRun(sampleRun(`r${i}`, i));
    await sql(`UPDATE ${schema}.runs SET record = '{}' WHERE run_id IN ('r5', 'r3')`);
    expect((await store.listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(['r4', 'r2']);
    expect(problems.map((p) => p.where)).toEqual(['runs/r5', 'runs/r3']);
    await store.close();
  });

  it('keeps strings holding NUL, lone surrogates, quotes and backslashes exactly, in entries and events', async () => {
    const { store } = await openWithProblems();
    const odd = 'a\u0000b\ud800c "q" \\ {x,y} \u{1f600}';
    await store.put('odd', sampleEntry('odd', { text: odd }));
    expect((await store.get('odd'))?.outputs).toEqual({ text: odd });
    // Events travel as a text[] parameter, where quotes, backslashes and braces have meanings of their own.
    const logged: RunEvent = {
      seq: 1,
      runId: 'r1',
      at: 1,
      type: 'node.log',
      nodeId: 'n',
      level: 'info',
      message: odd,
    };
    await store.appendEvents('r1', [logged]);
    expect(await store.getEvents('r1')).toEqual([logged]);
    await store.close();
  });
});

describe('postgres store: what it refuses', () => {
  it('refuses an event numbered twice in a run and keeps none of that batch', async () => {
    const { store } = await openWithProblems();
    await store.appendEvents('r1', [event('r1', 1), event('r1', 2)]);
    await expect(store.appendEvents('r1', [event('r1', 3), event('r1', 2)])).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.eventSeqTaken,
      path: 'seq',
    });
    expect((await store.getEvents('r1')).map((e) => e.seq)).toEqual([1, 2]);
    await store.close();
  });

  it('refuses an event appended under another run, and a run id that could name something else', async () => {
    const { store } = await openWithProblems();
    await expect(store.appendEvents('r1', [event('r2', 1)])).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.recordInvalid,
      path: 'runId',
    });
    await expect(store.putRun(sampleRun('../etc', 1))).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.recordInvalid,
    });
    expect(await store.getRun('../etc')).toBeUndefined();
    await store.close();
  });

  it('refuses options that do not fit, naming the option', async () => {
    const url = cluster().url();
    await expect(createPostgresStore({})).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.optionsInvalid,
      path: 'connectionString',
    });
    await expect(
      createPostgresStore({ connectionString: url, schema: 'Robert"; DROP' }),
    ).rejects.toMatchObject({
      code: POSTGRES_STORE_CODES.optionsInvalid,
      path: 'schema',
      message: expect.stringContaining('lowercase letters'),
    });
  });

  it('leaves a pool the host gave it open on close, and ends one it opened itself', async () => {
    const pool = new pg.Pool({ connectionString: cluster().url(), max: 2 });
    const store = await createPostgresStore({ pool, schema: freshSchema() });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();

    const own = await createPostgresStore({ connectionString: cluster().url(), schema: freshSchema() });
    await own.close();
    await expect(own.get('k')).rejects.toThrow(/pool/i);
  });
});

describe('postgres store: listRuns at 10,000 runs', () => {
  it('answers the newest 20 from the index, reading 20 rows, not 10,000', async () => {
    const { store, schema } = await openWithProblems();
    const records = Array.from({ length: 10_000 }, (_, i) => sampleRun(`run-${i}`, 1_000_000 + i));
    // One statement for the 10,000 rows; putRun writes the same three columns.
    await sql(
      `INSERT INTO ${schema}.runs (run_id, created_at, record)
       SELECT * FROM unnest($1::text[], $2::float8[], $3::json[])`,
      [records.map((r) => r.runId), records.map((r) => r.createdAt), records.map((r) => JSON.stringify(r))],
    );
    await sql(`ANALYZE ${schema}.runs`);

    const newest = await store.listRuns({ limit: 20 });
    expect(newest.map((r) => r.runId)).toEqual(Array.from({ length: 20 }, (_, i) => `run-${9_999 - i}`));

    // The very statement listRuns sends, as PostgreSQL runs it.
    const explained = await sql(`EXPLAIN (ANALYZE, FORMAT JSON) ${statements(schema).listRuns}`, [20]);
    const plan = explained.rows[0]['QUERY PLAN'][0].Plan;
    expect(plan['Node Type']).toBe('Limit');
    expect(plan.Plans[0]).toMatchObject({
      'Node Type': 'Index Scan',
      'Index Name': 'runs_newest_first',
      'Actual Rows': 20,
    });
    await store.close();
  });
});

describe('postgres store: effect claims across pools', () => {
  it('lets exactly one of twenty acquirers from two stores on one schema (two processes) claim a key', async () => {
    const schema = freshSchema();
    const a = await createPostgresStore({ connectionString: cluster().url(), schema });
    const b = await createPostgresStore({ connectionString: cluster().url(), schema });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => (n % 2 ? a : b).claims.acquire('k', `owner-${n}`, 60_000)),
    );
    expect(answers.filter((x) => x.acquired)).toHaveLength(1);
    const { rows } = await sql(`SELECT count(*)::int AS n FROM ${schema}.effect_claims`);
    expect(rows[0]).toEqual({ n: 1 });
    await Promise.all([a.close(), b.close()]);
  });
});
