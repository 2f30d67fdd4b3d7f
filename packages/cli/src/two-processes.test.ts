import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proofEnvironment } from './test/proof-env';
import { spawnCli, withPrompt } from './test/spawn-cli';

// Two real `loraflow run` processes on one store with the built-in emulator (no provider keys): each starts its own
// emulator on the store's provider-state.ndjson. Judged by that file, which holds every provider write of both.

const { dir } = proofEnvironment();

async function providerWrites(cwd: string) {
  const writes = (await readFile(join(cwd, 'store/emulator/provider-state.ndjson'), 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { method: string; path: string });
  const count = (method: string, path: RegExp) =>
    // dry runs (the cost estimate before a run) change nothing at the provider
    writes.filter((w) => w.method === method && path.test(w.path) && !w.path.includes('dryRun=true')).length;
  return {
    modelCreates: count('POST', /^\/scenario\/v1\/models(\?|$)/),
    trains: count('PUT', /\/train(\?|$)/),
    uploads: count('POST', /\/training-images(\?|$)/),
    generations: count('POST', /\/generate\//),
  };
}

describe('two loraflow run processes on one store', () => {
  it('train once between them, and leave a provider state that later runs of the store still work on', async () => {
    const cwd = await dir();
    const files = await Promise.all([
      withPrompt(cwd, 'one.json', 'a paper lantern over a harbour'),
      withPrompt(cwd, 'two.json', 'a paper lantern in the snow'),
    ]);
    const runs = files.map((file, n) =>
      spawnCli(['run', file, '--store', 'store', '--out', `out${n}`, '--json'], { cwd, env: {} }),
    );
    for (const run of runs)
      expect((await run.exited).code, `${run.stderr()}\n${run.stdout().slice(-3000)}`).toBe(0);
    // one of them trained; the other waited for it and took the cached training
    const trainOutcomes = runs
      .map(
        (run) =>
          run.records().find((e) => e.nodeId === 'train' && /^node\.(succeeded|cached)$/.test(String(e.type)))
            ?.type,
      )
      .sort();
    expect(trainOutcomes).toEqual(['node.cached', 'node.succeeded']);
    expect(await providerWrites(cwd)).toEqual({ modelCreates: 2, trains: 2, uploads: 5, generations: 2 });

    const later = spawnCli(
      [
        'run',
        await withPrompt(cwd, 'three.json', 'a paper lantern at dawn'),
        '--store',
        'store',
        '--out',
        'out3',
      ],
      { cwd, env: {} },
    );
    expect((await later.exited).code, later.stderr()).toBe(0);
    expect(await providerWrites(cwd)).toEqual({ modelCreates: 2, trains: 2, uploads: 5, generations: 3 });
  }, 120_000);
});
