import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../contract';
import { startReadyChild } from '../test/child';
import { tempDir } from '../test/temp-dir';
import { createFileStore } from './file';
import type { StoreProblem } from './types';

const entry = (key: string): CacheEntry => ({
  key,
  nodeType: 'n',
  typeVersion: 1,
  outputs: { v: key },
  createdAt: 1,
});
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function allFiles(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true });
  return found.filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

describe('file store', () => {
  it('reads a torn entry file as absent and reports it instead of throwing', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    await store.put('k', entry('k'));
    const [file] = (await allFiles(join(dir, 'cache'))).filter((f) => f.endsWith('.json'));
    const text = await readFile(file!, 'utf8');
    await writeFile(file!, text.slice(0, text.length >> 1));
    expect(await store.get('k')).toBeUndefined();
    expect(await store.has('k')).toBe(false);
    expect(problems[0]).toMatchObject({
      code: 'store.corrupt_record',
      where: expect.stringMatching(/^cache\//),
    });
    await store.put('k', entry('k'));
    expect(await store.get('k')).toEqual(entry('k'));
  });

  it('reads a file holding another key’s entry, or zeros, as absent', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    await store.put('a', entry('a'));
    await store.put('b', entry('b'));
    const fileOf = (key: string) => join(dir, 'cache', sha256(key).slice(0, 2), `${sha256(key)}.json`);
    // A store must never answer one key with another's value, whatever a file says.
    await writeFile(fileOf('b'), await readFile(fileOf('a')));
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toEqual(entry('a'));
    await writeFile(fileOf('a'), new Uint8Array(64));
    expect(await store.get('a')).toBeUndefined();
    expect(problems.map((p) => p.code)).toEqual(['store.corrupt_record', 'store.corrupt_record']);
  });

  it('reads an entry whose outputs were changed on disk as absent, even with its own key, and reports it', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    await store.put('a', { ...entry('a'), outputs: { lora: 'model_of_a' } });
    await store.put('b', { ...entry('b'), outputs: { lora: 'model_of_b' } });
    const fileOf = (key: string) => join(dir, 'cache', sha256(key).slice(0, 2), `${sha256(key)}.json`);
    // two entries' results swapped by hand, each keeping its own key: the wrong LoRA must not be served
    const a = JSON.parse(await readFile(fileOf('a'), 'utf8'));
    const b = JSON.parse(await readFile(fileOf('b'), 'utf8'));
    await writeFile(fileOf('a'), JSON.stringify({ ...a, outputs: b.outputs }));
    await writeFile(fileOf('b'), JSON.stringify({ ...b, outputs: a.outputs }));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.has('b')).toBe(false);
    expect(problems.map((p) => p.code)).toEqual(['store.corrupt_record', 'store.corrupt_record']);
    // what get returns is the entry as it was put, without the digest the file carries
    await store.put('a', entry('a'));
    expect(await store.get('a')).toEqual(entry('a'));
  });

  it('says whether a blob is stored from a stat, and no for a missing or malformed hash', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir });
    const ref = await store.putBlob(new Uint8Array([1, 2, 3]), 'image/png');
    expect(await store.hasBlob?.(ref.$blob)).toBe(true);
    expect(await store.hasBlob?.('0'.repeat(64))).toBe(false);
    expect(await store.hasBlob?.('../../etc/passwd')).toBe(false);
    await rm(join(dir, 'blobs'), { recursive: true, force: true });
    expect(await store.hasBlob?.(ref.$blob)).toBe(false);
  });

  it('still reads an entry written before entries carried a digest', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir });
    await store.put('old', entry('old'));
    const file = join(dir, 'cache', sha256('old').slice(0, 2), `${sha256('old')}.json`);
    await writeFile(file, JSON.stringify(entry('old')));
    expect(await store.get('old')).toEqual(entry('old'));
  });

  it('never throws on reading whatever bytes or JSON a record or event file holds', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir, onProblem: () => {} });
    await store.put('k', entry('k'));
    await store.putRecord({ key: 'j', state: 'intent', intent: null, at: 0, runId: 'r' });
    await store.appendEvents('r', [{ seq: 1, runId: 'r', at: 1, type: 'node.cancelled', nodeId: 'n' }]);
    const fileOf = (kind: string, key: string) =>
      join(dir, kind, sha256(key).slice(0, 2), `${sha256(key)}.json`);
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
      fc
        .record({ key: fc.constantFrom('k', 'j', 'x'), outputs: fc.jsonValue() })
        .map((v) => new TextEncoder().encode(JSON.stringify(v))),
    );
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        await writeFile(fileOf('cache', 'k'), bytes);
        await writeFile(fileOf('journal', 'j'), bytes);
        await writeFile(join(dir, 'events', 'r.ndjson'), bytes);
        const got = await store.get('k');
        if (got !== undefined) expect(got.key).toBe('k');
        const record = await store.getRecord('j');
        if (record !== undefined) expect(record.key).toBe('j');
        for (const event of await store.getEvents('r')) expect(event.runId).toBe('r');
        await store.listRecords();
      }),
      { numRuns: 100 },
    );
  });

  it('reads a record nested too deep to check, or a directory in its place, as absent', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    await store.put('deep', entry('deep'));
    await store.put('dir', entry('dir'));
    const fileOf = (key: string) => join(dir, 'cache', sha256(key).slice(0, 2), `${sha256(key)}.json`);
    const nested = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    await writeFile(
      fileOf('deep'),
      `{"key":"deep","nodeType":"n","typeVersion":1,"createdAt":1,"outputs":${nested}}`,
    );
    await rm(fileOf('dir'));
    await mkdir(fileOf('dir'));
    expect(await store.get('deep')).toBeUndefined();
    expect(await store.get('dir')).toBeUndefined();
    expect(problems.map((p) => p.code)).toEqual(['store.corrupt_record']);
  });

  it('reads a blob whose bytes no longer match their hash as absent', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    const ref = await store.putBlob(new Uint8Array([1, 2, 3, 4]), 'application/octet-stream');
    const [file] = await allFiles(join(dir, 'blobs'));
    await writeFile(file!, new Uint8Array([1, 2, 3, 5]));
    expect(await store.getBlob(ref.$blob)).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ code: 'store.corrupt_blob' })]);
    // Writing the same bytes again repairs it, since the file on disk is not what its name promises.
    await writeFile(file!, new Uint8Array([1, 2]));
    await store.putBlob(new Uint8Array([1, 2, 3, 4]), 'application/octet-stream');
    expect(await store.getBlob(ref.$blob)).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it('answers nothing for a blob name that is not a hash, so no path can be smuggled in', async () => {
    const store = createFileStore({ dir: await tempDir() });
    expect(await store.getBlob('../../etc/passwd')).toBeUndefined();
    expect(await store.getRun('../x')).toBeUndefined();
    await expect(
      store.putRun({
        runId: '../x',
        doc: { format: 'loraflow.graph', version: 1, nodes: [], edges: [] },
        status: 'running',
        createdAt: 0,
        startedAt: 0,
        updatedAt: 0,
        attempts: 1,
        nodes: {},
        lastSeq: 0,
      }),
    ).rejects.toThrow(/run id/);
  });

  it('skips a torn event line and still reads the events appended after it', async () => {
    const dir = await tempDir();
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    await store.appendEvents('r1', [{ seq: 1, runId: 'r1', at: 1, type: 'run.started', nodeIds: [] }]);
    await appendFile(join(dir, 'events', 'r1.ndjson'), '\n{"seq":2,"runId":"r1","at');
    await store.appendEvents('r1', [{ seq: 3, runId: 'r1', at: 3, type: 'node.cancelled', nodeId: 'n' }]);
    expect((await store.getEvents('r1')).map((e) => e.seq)).toEqual([1, 3]);
    expect(problems).toEqual([expect.objectContaining({ code: 'store.corrupt_event' })]);
  });

  it('throws one sentence when it is given no directory', () => {
    expect(() => createFileStore({ dir: '' })).toThrow(/^createFileStore: dir must be/);
  });

  it('leaves no temporary file behind after writing', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir });
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, entry(`k${i}`));
    await store.putBlob(new Uint8Array([9]), 'x/y');
    await store.putRecord({ key: 'j', state: 'intent', intent: 1, at: 0, runId: 'r' });
    expect((await allFiles(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps every entry absent or whole when its writer is killed with SIGKILL at random moments', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const writer = new URL('../test/fixtures/crash-writer.ts', import.meta.url);
    const kills = 12;
    for (let round = 0; round < kills; round++) {
      const child = await startReadyChild(writer, [dir]);
      // A random moment within the first ~80 ms of writing: entries, records and blobs are all mid-flight then.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 80)));
      expect(await child.killHard()).toBe(null);
    }
    const problems: StoreProblem[] = [];
    const store = createFileStore({ dir, onProblem: (p) => problems.push(p) });
    let whole = 0;
    for (let slot = 0; slot < 16; slot++) {
      const found = await store.get(`key-${slot}`);
      const record = await store.getRecord(`key-${slot}/effect`);
      for (const value of [found?.outputs, record?.result as Record<string, unknown> | undefined]) {
        if (value === undefined) continue;
        expect(sha256(String(value.payload))).toBe(value.sum);
        const blob = await store.getBlob(sha256(String(value.payload)));
        if (blob) expect(new TextDecoder().decode(blob)).toBe(value.payload);
        whole++;
      }
    }
    for (const file of await allFiles(join(dir, 'blobs'))) {
      if (file.endsWith('.tmp')) continue;
      const name = file.split('/').pop()!;
      expect(sha256(await readFile(file))).toBe(name);
    }
    expect(problems).toEqual([]);
    expect(whole).toBeGreaterThan(0);
    // What the kills left mid-write is swept once it is old enough, and nothing else is.
    const temps = (await allFiles(dir)).filter((f) => f.endsWith('.tmp'));
    const kept = (await allFiles(dir)).length - temps.length;
    expect(await store.sweep({ olderThanMs: 60_000 })).toBe(0);
    expect(await store.sweep({ olderThanMs: -1 })).toBe(temps.length);
    expect(await allFiles(dir)).toHaveLength(kept);
  });
});
