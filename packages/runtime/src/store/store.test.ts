import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { describeStoreContract, sampleEntry } from '../test/store-contract';
import { tempDir } from '../test/temp-dir';
import { createFileStore } from './file';
import { createIndexedDbStore } from './indexeddb';
import { createMemoryStore } from './memory';
import type { RuntimeStore, StoreProblem } from './types';

let dbCount = 0;
const backends: Array<[string, () => Promise<RuntimeStore>]> = [
  ['memory', async () => createMemoryStore()],
  ['file', async () => createFileStore({ dir: await tempDir() })],
  ['indexeddb', async () => createIndexedDbStore({ name: `test-${++dbCount}` })],
];

for (const [name, open] of backends) describeStoreContract(name, open);

describe('indexeddb store', () => {
  it('reads a record that is not what it should be as absent, and reports it', async () => {
    const problems: StoreProblem[] = [];
    const name = `test-corrupt-${++dbCount}`;
    const store = createIndexedDbStore({ name, onProblem: (p) => problems.push(p) });
    await store.put('k', sampleEntry('k'));
    await store.close();
    // Another writer (an older version of the app, say) left a malformed value under the key.
    const raw = await openDB(name, 2);
    await raw.put('cache', { key: 'k', outputs: 'not a record' }, 'k');
    raw.close();
    const again = createIndexedDbStore({ name, onProblem: (p) => problems.push(p) });
    expect(await again.get('k')).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ code: 'store.corrupt_record', where: 'cache/k' })]);
    await again.close();
  });

  it('upgrades a version-1 database (before claims) in place: its entries stay, and claims work', async () => {
    const name = `test-v1-${++dbCount}`;
    const old = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore('cache');
        database.createObjectStore('blobs', { keyPath: 'hash' });
        database.createObjectStore('journal', { keyPath: 'key' }).createIndex('runId', 'runId');
        database.createObjectStore('runs', { keyPath: 'runId' }).createIndex('createdAt', 'createdAt');
        database.createObjectStore('events', { keyPath: ['runId', 'seq'] }).createIndex('runId', 'runId');
      },
    });
    await old.put('cache', sampleEntry('k'), 'k');
    old.close();
    const store = createIndexedDbStore({ name });
    expect(await store.get('k')).toEqual(sampleEntry('k'));
    expect(await store.claims?.acquire('effect', 'owner', 60_000)).toMatchObject({ acquired: true });
    await store.close();
  });
});
