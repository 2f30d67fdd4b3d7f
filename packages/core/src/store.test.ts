import { describe, expect, it } from 'vitest';
import { sha256Hex } from './hash';
import { deepFreeze } from './json';
import { createMemoryStore } from './store';

describe('createMemoryStore', () => {
  it('hands out frozen copies so neither writer nor reader can change a cached value', async () => {
    const store = createMemoryStore();
    const outputs = { list: [1, 2] };
    await store.put('k', { key: 'k', nodeType: 't', typeVersion: 1, outputs, createdAt: 0 });
    outputs.list.push(3);
    const entry = await store.get('k');
    expect(entry?.outputs).toEqual({ list: [1, 2] });
    expect(Object.isFrozen(entry?.outputs.list)).toBe(true);
    expect(() => (entry!.outputs.list as number[]).push(4)).toThrow(TypeError);
    expect(await store.has('k')).toBe(true);
    await store.delete('k');
    expect(await store.has('k')).toBe(false);
  });

  it('offers the synchronous capabilities: getSync answers as get does, putFrozen keeps a frozen entry as it is', async () => {
    const store = createMemoryStore();
    const frozen = deepFreeze({ key: 'f', nodeType: 't', typeVersion: 1, outputs: { n: 1 }, createdAt: 0 });
    store.putFrozen('f', frozen);
    expect(store.getSync('f')).toBe(frozen);
    expect(await store.get('f')).toBe(frozen);
    expect(await store.has('f')).toBe(true);
    expect(store.getSync('missing')).toBeUndefined();
    // an entry that is not frozen, passed by mistake, is copied and frozen as put would
    const plain = { key: 'p', nodeType: 't', typeVersion: 1, outputs: { list: [1] }, createdAt: 0 };
    store.putFrozen('p', plain);
    plain.outputs.list.push(2);
    expect(store.getSync('p')?.outputs).toEqual({ list: [1] });
    expect(Object.isFrozen(store.getSync('p')?.outputs.list)).toBe(true);
  });

  it('keeps a `__proto__` key of an entry or a record as data', async () => {
    const store = createMemoryStore();
    const outputs = JSON.parse('{"__proto__":{"polluted":true},"ok":1}');
    await store.put('p', { key: 'p', nodeType: 't', typeVersion: 1, outputs, createdAt: 0 });
    const read = await store.get('p');
    expect(Object.keys(read?.outputs ?? {})).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(read?.outputs)).toBe(Object.prototype);
    await store.putRecord({ key: 'k/a', state: 'intent', intent: outputs, at: 1, runId: 'r' });
    expect((await store.getRecord('k/a'))?.intent).toEqual(outputs);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('addresses blobs by their SHA-256 and returns copies', async () => {
    const store = createMemoryStore();
    const bytes = new Uint8Array([97, 98, 99]);
    const ref = await store.putBlob(bytes, 'text/plain');
    expect(ref).toEqual({ $blob: sha256Hex('abc'), mime: 'text/plain', size: 3 });
    const back = await store.getBlob(ref.$blob);
    back![0] = 0;
    expect(await store.getBlob(ref.$blob)).toEqual(bytes);
    expect(await store.getBlob('0'.repeat(64))).toBeUndefined();
  });

  it('is also a journal whose records can be listed per run', async () => {
    const store = createMemoryStore();
    await store.putRecord({ key: 'k/a', state: 'intent', intent: { n: 1 }, at: 1, runId: 'r1' });
    await store.putRecord({ key: 'k/b', state: 'done', intent: null, result: 2, at: 2, runId: 'r2' });
    expect((await store.getRecord('k/a'))?.state).toBe('intent');
    expect((await store.listRecords('r2')).map((r) => r.key)).toEqual(['k/b']);
    expect(await store.listRecords()).toHaveLength(2);
    expect(store.size).toEqual({ entries: 0, blobs: 0, records: 2 });
  });
});
