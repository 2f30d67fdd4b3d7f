import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CacheEntry, JournalRecord, RunEvent } from '../contract';
import type { RunRecord, RuntimeStore } from '../store/types';

// The behaviour every RuntimeStore backend shares, as one suite: each backend's tests call it with a way to open a fresh, empty store.

/** A cache entry with the given key and outputs, as the contract suite stores it. */
export const sampleEntry = (key: string, outputs: CacheEntry['outputs'] = { text: 'hi' }): CacheEntry => ({
  key,
  nodeType: 'text.concat',
  typeVersion: 1,
  outputs,
  createdAt: 1,
});

/** A running run record created at `createdAt`, as the contract suite stores it. */
export const sampleRun = (runId: string, createdAt: number): RunRecord => ({
  runId,
  doc: { format: 'loraflow.graph', version: 1, nodes: [], edges: [] },
  status: 'running',
  createdAt,
  startedAt: createdAt,
  updatedAt: createdAt,
  attempts: 1,
  nodes: { a: { status: 'succeeded', key: 'k', outputs: { text: 'hi' } } },
  lastSeq: 0,
});

// JSON as it survives a JSON round trip (no -0, no undefined), since every durable store keeps JSON text.
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)));

/** Moves the clock of stores that read this process's `Date.now()` (memory, file, IndexedDB): Date alone is faked. */
const moveDateOn = async (ms: number) => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  vi.setSystemTime(Date.now() + ms);
};

/**
 * Declares the store contract suite for one backend: `open` must answer a fresh, empty store each time it is called
 * (every case opens its own and closes it). `lapse(ms)` lets the store's clock pass `ms` (by default this process's
 * Date is moved on; a store on another clock, a database's, waits for real).
 *
 * @example
 * describeStoreContract('memory', async () => createMemoryStore());
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<RuntimeStore>,
  o: { lapse?: (ms: number) => Promise<void> } = {},
): void {
  const lapse = o.lapse ?? moveDateOn;
  describe(`${name} store: effect claims`, () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    const claimsOf = (store: RuntimeStore) => {
      expect(store.claims, 'every runtime store offers claims').toBeDefined();
      return store.claims!;
    };

    it('lets exactly one of twenty racing acquirers claim a free key; the others are told who holds it', async () => {
      const store = await open();
      const claims = claimsOf(store);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) => claims.acquire('effect/k', `owner-${n}`, 60_000)),
      );
      const winners = answers.flatMap((a, n) => (a.acquired ? [`owner-${n}`] : []));
      expect(winners).toHaveLength(1);
      for (const answer of answers)
        if (!answer.acquired)
          expect(answer).toMatchObject({ heldBy: winners[0], expiresAt: expect.any(Number) });
      // another key is another claim
      expect((await claims.acquire('effect/other', 'owner-x', 60_000)).acquired).toBe(true);
      await store.close();
    });

    it('renews and releases only for the owner; a released key is free again', async () => {
      const store = await open();
      const claims = claimsOf(store);
      expect((await claims.acquire('k', 'a', 60_000)).acquired).toBe(true);
      // the owner acquiring again keeps it (a renewal)
      expect((await claims.acquire('k', 'a', 60_000)).acquired).toBe(true);
      expect(await claims.renew('k', 'b', 60_000)).toBe(false);
      expect(await claims.renew('k', 'a', 60_000)).toBe(true);
      await claims.release('k', 'b');
      expect(await claims.acquire('k', 'b', 60_000)).toMatchObject({ acquired: false, heldBy: 'a' });
      await claims.release('k', 'a');
      expect(await claims.renew('k', 'a', 60_000)).toBe(false);
      expect((await claims.acquire('k', 'b', 60_000)).acquired).toBe(true);
      await store.close();
    });

    it('lets a lapsed claim be taken over by exactly one of several racers, naming the owner it replaced', async () => {
      const store = await open();
      const claims = claimsOf(store);
      expect((await claims.acquire('k', 'dead', 300)).acquired).toBe(true);
      expect((await claims.acquire('k', 'early', 60_000)).acquired).toBe(false);
      await lapse(600);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, n) => claims.acquire('k', `heir-${n}`, 60_000)),
      );
      const won = answers.filter((a) => a.acquired);
      expect(won).toEqual([{ acquired: true, expiresAt: expect.any(Number), tookOver: 'dead' }]);
      // the dead owner cannot renew what another took over
      expect(await claims.renew('k', 'dead', 60_000)).toBe(false);
      await store.close();
    });
  });

  describe(`${name} store`, () => {
    it('returns an entry as it was put, and nothing for a key never put', async () => {
      const store = await open();
      await store.put('k1', sampleEntry('k1'));
      expect(await store.get('k1')).toEqual(sampleEntry('k1'));
      expect(await store.has('k1')).toBe(true);
      expect(await store.get('k2')).toBeUndefined();
      expect(await store.has('k2')).toBe(false);
      await store.close();
    });

    it('forgets a deleted entry', async () => {
      const store = await open();
      await store.put('k1', sampleEntry('k1'));
      await store.delete('k1');
      expect(await store.get('k1')).toBeUndefined();
      await store.close();
    });

    it('keeps a `__proto__` key of an output as data', async () => {
      const store = await open();
      const outputs = JSON.parse('{"__proto__":{"polluted":true},"ok":1}');
      await store.put('p', sampleEntry('p', outputs));
      const read = await store.get('p');
      expect(Object.keys(read?.outputs ?? {})).toEqual(['__proto__', 'ok']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await store.close();
    });

    it('round-trips any JSON outputs and any key', async () => {
      const store = await open();
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1 }),
          fc.dictionary(fc.string(), jsonValue),
          async (key, outputs) => {
            await store.put(key, sampleEntry(key, outputs));
            expect(await store.get(key)).toEqual(sampleEntry(key, outputs));
          },
        ),
        { numRuns: 30 },
      );
      await store.close();
    });

    it('addresses blobs by content: the same bytes give the same ref and read back whole', async () => {
      const store = await open();
      const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
      const a = await store.putBlob(bytes, 'image/png');
      const b = await store.putBlob(bytes.slice(), 'image/png');
      expect(a).toEqual(b);
      expect(a).toMatchObject({ mime: 'image/png', size: 7 });
      expect(a.$blob).toMatch(/^[0-9a-f]{64}$/);
      expect(await store.getBlob(a.$blob)).toEqual(bytes);
      expect(await store.getBlob('0'.repeat(64))).toBeUndefined();
      await store.close();
    });

    it('keeps journal records by key and lists them per run', async () => {
      const store = await open();
      const intent: JournalRecord = {
        key: 'n1/create',
        state: 'intent',
        intent: { name: 'x' },
        at: 1,
        runId: 'r1',
      };
      await store.putRecord(intent);
      await store.putRecord({ key: 'n2/create', state: 'intent', intent: null, at: 2, runId: 'r2' });
      await store.putRecord({ ...intent, state: 'done', result: { id: 'm1' }, at: 3 });
      expect(await store.getRecord('n1/create')).toEqual({
        ...intent,
        state: 'done',
        result: { id: 'm1' },
        at: 3,
      });
      expect((await store.listRecords('r1')).map((r) => r.key)).toEqual(['n1/create']);
      expect(await store.listRecords()).toHaveLength(2);
      await store.close();
    });

    it('lists runs newest first, up to a limit', async () => {
      const store = await open();
      await store.putRun(sampleRun('old', 1));
      await store.putRun(sampleRun('new', 3));
      await store.putRun(sampleRun('mid', 2));
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(['new', 'mid', 'old']);
      expect((await store.listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(['new', 'mid']);
      expect(await store.getRun('mid')).toEqual(sampleRun('mid', 2));
      expect(await store.getRun('none')).toBeUndefined();
      await store.close();
    });

    it('keeps a run record’s cancel request and queued refresh as written (decision 0032, 0033)', async () => {
      const store = await open();
      const record: RunRecord = { ...sampleRun('asked', 1), cancelRequestedAt: 7, refresh: ['train'] };
      await store.putRun(record);
      expect(await store.getRun('asked')).toEqual(record);
      await store.putRun({ ...record, runId: 'all', refresh: 'all' });
      expect((await store.getRun('all'))?.refresh).toBe('all');
      await store.close();
    });

    it('lists only the runs of the tenant asked for, newest first, the limit counting that tenant’s runs', async () => {
      const store = await open();
      const of = (runId: string, createdAt: number, tenant?: string): RunRecord => ({
        ...sampleRun(runId, createdAt),
        ...(tenant !== undefined ? { tenant } : {}),
      });
      await store.putRun(of('a1', 1, 'alice'));
      await store.putRun(of('b1', 2, 'bob'));
      await store.putRun(of('a2', 3, 'alice'));
      await store.putRun(of('none', 4));
      await store.putRun(of('b2', 5, 'bob'));
      expect((await store.listRuns({ tenant: 'alice' })).map((r) => r.runId)).toEqual(['a2', 'a1']);
      expect((await store.listRuns({ tenant: 'bob', limit: 1 })).map((r) => r.runId)).toEqual(['b2']);
      expect(await store.listRuns({ tenant: 'carol' })).toEqual([]);
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(['b2', 'none', 'a2', 'b1', 'a1']);
      expect((await store.getRun('a1'))?.tenant).toBe('alice');
      // a run rewritten keeps its tenant in the listing
      await store.putRun({ ...of('a1', 1, 'alice'), status: 'succeeded' });
      expect((await store.listRuns({ tenant: 'alice' })).map((r) => r.status)).toEqual([
        'running',
        'succeeded',
      ]);
      await store.close();
    });

    it('replays a run’s events in order from after a given sequence number', async () => {
      const store = await open();
      const ev = (seq: number): RunEvent => ({
        seq,
        runId: 'r1',
        at: seq,
        type: 'node.started',
        nodeId: `n${seq}`,
        key: 'k',
      });
      await store.appendEvents('r1', [ev(1), ev(2)]);
      await store.appendEvents('r1', [ev(3)]);
      await store.appendEvents('r2', [{ ...ev(1), runId: 'r2' }]);
      expect((await store.getEvents('r1')).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await store.getEvents('r1', { after: 1 })).map((e) => e.seq)).toEqual([2, 3]);
      expect(await store.getEvents('r1', { after: 1 })).toContainEqual(ev(2));
      expect(await store.getEvents('unknown')).toEqual([]);
      await store.close();
    });

    it('hands out copies, so changing what was read changes nothing stored', async () => {
      const store = await open();
      await store.put('k', sampleEntry('k', { list: [1, 2] }));
      const read = await store.get('k');
      if (read && Array.isArray(read.outputs.list) && !Object.isFrozen(read.outputs.list))
        read.outputs.list.push(3);
      expect((await store.get('k'))?.outputs).toEqual({ list: [1, 2] });
      await store.close();
    });
  });
}
