import { createRegistry } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { createRuntimeHandler } from './http/handler';
import { createRemoteRuntime } from './remote';
import { createRuntime } from './runtime';
import { createFileStore } from './store/file';
import { createFakeService, graph, testPack } from './test/pack';
import { listen } from './test/serve';
import { tempDir } from './test/temp-dir';

const IDS = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];

describe('node ids that are also Object.prototype names', () => {
  it('appear in the run result, the stored run record and across HTTP like any other id', async () => {
    const dir = await tempDir();
    const runtime = createRuntime({
      registry: createRegistry(testPack),
      store: createFileStore({ dir }),
      services: { fake: createFakeService() },
    });
    const doc = graph(
      IDS.map((id) => ({ id, type: 'test.text', params: { text: id } })),
      [],
    );
    const result = await (await runtime.run(doc)).result;
    expect(result.status).toBe('succeeded');
    for (const id of IDS) {
      expect(Object.hasOwn(result.nodes, id), id).toBe(true);
      expect(result.nodes[id]?.outputs, id).toEqual({ text: id });
    }
    // A fresh runtime on the same folder reads the record back from disk.
    const again = createRuntime({ registry: createRegistry(testPack), store: createFileStore({ dir }) });
    const record = await again.getRun(result.runId);
    expect(Object.keys(record?.nodes ?? {}).sort()).toEqual([...IDS].sort());
    const { url } = await listen(createRuntimeHandler(again));
    const remote = await createRemoteRuntime({ baseUrl: url }).getRun(result.runId);
    expect(Object.keys(remote?.nodes ?? {}).sort()).toEqual([...IDS].sort());
    expect(Object.hasOwn(remote?.nodes ?? {}, '__proto__')).toBe(true);
  });
});
