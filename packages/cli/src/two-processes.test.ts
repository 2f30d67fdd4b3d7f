import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hits, POLL, proofEnvironment, trainingPolled } from './test/proof-env';
import { emulatorEnv, spawnCli, withPrompt } from './test/spawn-cli';

// Two real `loraflow run` processes on one store with the built-in emulator (no provider keys): each starts its own
// emulator on the store's provider-state.ndjson. Judged by that file, which holds every provider write of both.

const { dir, emulator } = proofEnvironment();

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
  });

  it('refuses --resume of a run the other process is executing (run.active) and leaves that run to finish', async () => {
    // an emulator server whose clock stands still: the training goes on until the test lets it end
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const env = emulatorEnv(server);
    const args = ['run', 'train-from-images.json', '--store', 'store', ...POLL];
    const first = spawnCli([...args, '--json', '--out', 'out1'], { cwd, env });
    await trainingPolled(server);
    const runId = first.records()[0]?.runId as string;
    const second = spawnCli([...args, '--resume', runId, '--out', 'out2'], { cwd, env });
    expect((await second.exited).code).toBe(1);
    // the executor's fenced record writes hold the same take-up claim for a moment: either refusal says another process has it
    expect(second.stderr()).toMatch(/run\.active.*being (executed|taken up) by another process/);
    // time runs again (fast): the training and the generation end
    server.emulator.clock.setSpeed(1000);
    expect((await first.exited).code, first.stderr()).toBe(0);
    expect(hits(server, 'scenario.models.create')).toHaveLength(1);
    expect(hits(server, 'scenario.models.train')).toHaveLength(1);
  });
});
