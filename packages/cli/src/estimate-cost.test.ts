import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@loraflow/emulator/node';
import { expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { emulatorEnv, examplesDir } from './test/spawn-cli';

it('quotes the dry-run cost of a generation whose inputs are all cached', async () => {
  const server = await startEmulator({ port: 0, clock: { speed: 1000 } });
  const dir = await mkdtemp(join(tmpdir(), 'loraflow-estimate-'));
  try {
    const env = emulatorEnv(server);
    const graph = JSON.parse(await readFile(join(examplesDir, 'train-from-images.json'), 'utf8'));
    // Training images are read only inside the graph file's folder: the graph brings its images along.
    await cp(join(examplesDir, 'images'), join(dir, 'images'), { recursive: true });
    await writeFile(join(dir, 'g.json'), JSON.stringify(graph));
    expect(
      await runCli(['run', 'g.json', '--store', 'store', '--max-poll', '20'], testIo({ cwd: dir, env })),
    ).toBe(0);
    graph.nodes.find((n: { id: string }) => n.id === 'try').params.seed = 8;
    await writeFile(join(dir, 'g.json'), JSON.stringify(graph));
    const io = testIo({ cwd: dir, env });
    expect(await runCli(['estimate', 'g.json', '--store', 'store', '--json'], io)).toBe(0);
    const estimate = JSON.parse(io.stdout.text()) as {
      nodes: Array<{ nodeId: string; willRun: boolean; cost?: { unit: string } }>;
    };
    const gen = estimate.nodes.find((n) => n.nodeId === 'try');
    expect(gen?.willRun).toBe(true);
    expect(server.emulator.log.entries({ route: 'scenario.generate.txt2img.dryRun' }).length).toBeGreaterThan(
      0,
    );
    expect(gen?.cost?.unit).toBe('creative-units');
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
