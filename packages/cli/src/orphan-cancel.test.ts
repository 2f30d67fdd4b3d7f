import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileStore } from '@loraflow/runtime/node';
import { describe, expect, it } from 'vitest';
import { openRuntime } from './setup';
import { testIo } from './test/collect';
import { eventually } from './test/eventually';
import { hits, POLL, proofEnvironment, trainingPolled } from './test/proof-env';
import { type CliProcess, emulatorEnv, spawnCli } from './test/spawn-cli';

// A real `loraflow run` process killed with SIGKILL mid-training, over real HTTP to an emulator server; its run is
// then cancelled from another runtime on the same store, as `serve` would on `POST /runs/:id/cancel`.

const { emulator, dir } = proofEnvironment();

/** Kills the `loraflow run` with SIGKILL, moves its lease a lease period into the past, and opens another runtime. */
async function orphan(run: CliProcess, cwd: string, env: Record<string, string>) {
  const runId = run.records()[0]?.runId as string;
  run.child.kill('SIGKILL');
  await run.exited;
  const files = createFileStore({ dir: join(cwd, 'store') });
  const stored = (await files.getRun(runId))!;
  const past = Date.now() - 120_000;
  await files.putRun({ ...stored, updatedAt: past, lease: { ...stored.lease!, expiresAt: past } });
  const cli = await openRuntime(testIo({ cwd, env }), { store: 'store', filesRoot: cwd, outDir: cwd });
  return { runId, cli };
}

describe('cancel of a run whose executor was killed', () => {
  it('asks the provider to cancel the training the run started, from the journal, then closes the run', async () => {
    // a clock that stands still: the training goes on until someone cancels it
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const env = emulatorEnv(server);
    const run = spawnCli(['run', 'train-from-images.json', '--store', 'store', '--json', ...POLL], {
      cwd,
      env,
    });
    await trainingPolled(server);
    const { runId, cli } = await orphan(run, cwd, env);
    try {
      await cli.runtime.cancel(runId);
      expect(hits(server, 'scenario.models.train.action')).toHaveLength(1);
      const modelId = hits(server, 'scenario.models.train')[0]!.modelId!;
      const res = await server.emulator.fetch(`${server.url}/scenario/v1/models/${modelId}`, {
        headers: { authorization: `Basic ${btoa(`${env.SCENARIO_API_KEY}:${env.SCENARIO_API_SECRET}`)}` },
      });
      expect(((await res.json()) as { model: { status: string } }).model.status).toBe('training-canceled');
      expect(await cli.runtime.getRun(runId)).toMatchObject({ status: 'cancelled' });
      const events = await cli.store.getEvents(runId);
      expect(events.find((e) => e.type === 'node.log' && e.level === 'info')).toMatchObject({
        nodeId: 'train',
        message: `Asked Scenario to cancel the training of model ${modelId}.`,
      });
      expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    } finally {
      await cli.close();
    }
  });

  it('cancels a ModelsLab training the same way, by the training id its journal recorded', async () => {
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const env = emulatorEnv(server);
    const example = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8')) as {
      nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>;
      edges: Array<{ to: { node: string } }>;
    };
    const train = example.nodes.find((n) => n.id === 'train')!;
    train.type = 'lora.trainModelsLab';
    train.params = {
      family: 'sd-xl',
      instancePrompt: 'photo of lnt0 lantern',
      classPrompt: 'photo of a lantern',
    };
    example.nodes = example.nodes.filter((n) => n.id !== 'try');
    example.edges = example.edges.filter((e) => e.to.node !== 'try');
    await writeFile(join(cwd, 'modelslab-train.json'), JSON.stringify(example));
    const run = spawnCli(['run', 'modelslab-train.json', '--store', 'store', '--json', ...POLL], {
      cwd,
      env,
    });
    await eventually(() => {
      const started = hits(server, 'modelslab.training.create')[0];
      expect(started).toBeDefined();
      expect(
        server.emulator.log.entries({ route: 'modelslab.training.status', sinceSeq: started!.seq }).length,
      ).toBeGreaterThan(0);
    });
    const { runId, cli } = await orphan(run, cwd, env);
    try {
      await cli.runtime.cancel(runId);
      expect(hits(server, 'modelslab.training.cancel')).toHaveLength(1);
      const events = await cli.store.getEvents(runId);
      expect(events.find((e) => e.type === 'node.log' && e.level === 'info')).toMatchObject({
        nodeId: 'train',
        message: expect.stringMatching(/^Asked ModelsLab to cancel training \S+\.$/),
      });
      expect(await cli.runtime.getRun(runId)).toMatchObject({ status: 'cancelled' });
    } finally {
      await cli.close();
    }
  });
});
