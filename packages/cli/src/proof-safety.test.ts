import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hits, POLL, proofEnvironment, trainingPolled } from './test/proof-env';
import { emulatorEnv, filesUnder, spawnCli } from './test/spawn-cli';

// Real processes over real HTTP: each test starts an emulator server, spawns `loraflow` against it through the
// SCENARIO_/MODELSLAB_ variables, and judges by the emulator's request log and state.

const { emulator, dir } = proofEnvironment();

describe('loraflow run against an emulator server: faults, cancel and secrets', () => {
  it('finishes the pipeline through 20 % injected faults (429, 5xx, resets) with no duplicate create or train', async () => {
    const server = await emulator({ seed: 11 });
    server.emulator.faults.set([
      // The worst cases, once each for certain: the first create and the first train happen, but the client sees a
      // reset / a 502 (502 marks "after the state changed" in the log).
      { route: 'POST /scenario/v1/models', rate: 1, kind: 'reset', phase: 'after', times: 1 },
      {
        route: 'PUT /scenario/v1/models/*/train',
        rate: 1,
        kind: '5xx',
        status: 502,
        phase: 'after',
        times: 1,
      },
      // Then 20 % of everything: 429s, 5xx before and after the route ran, and resets.
      { route: 'POST /scenario/v1/**', rate: 0.05, kind: '5xx', status: 502, phase: 'after' },
      { route: '**', rate: 0.06, kind: '429', retryAfterS: 0 },
      { route: '**', rate: 0.06, kind: '5xx', status: 503 },
      { route: '**', rate: 0.05, kind: 'reset' },
    ]);
    const before = server.emulator.state().counts.models;
    const cwd = await dir();
    const run = spawnCli(['run', 'compose-train-generate.json', '--out', 'out', ...POLL], {
      cwd,
      env: emulatorEnv(server),
    });
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    const log = server.emulator.log.entries();
    const faulted = log.filter((e) => e.fault !== undefined).length;
    expect(faulted / log.length).toBeGreaterThan(0.1);
    expect(log.some((e) => e.route === 'scenario.models.create' && e.status === 0)).toBe(true);
    expect(log.some((e) => e.route === 'scenario.models.train' && e.status === 502)).toBe(true);
    // Created models: exactly the trained LoRA and the composition.
    expect(server.emulator.state().counts.models - before).toBe(2);
    // Train calls that reached the route (2xx, or 502 after the fact): one per model.
    const trains = log.filter(
      (e) => e.route === 'scenario.models.train' && (e.status < 300 || e.status === 502),
    );
    expect(trains).toHaveLength(2);
    expect(new Set(trains.map((e) => e.modelId)).size).toBe(2);
    // And the trained LoRA learnt from the five images once each, despite uploads that failed after landing.
    // The test's own reads must not meet the injected faults.
    server.emulator.faults.set([]);
    const auth = `Basic ${btoa(`${emulatorEnv(server).SCENARIO_API_KEY}:${emulatorEnv(server).SCENARIO_API_SECRET}`)}`;
    const models = await Promise.all(
      trains.map(async (e) => {
        const res = await server.emulator.fetch(`${server.url}/scenario/v1/models/${e.modelId}`, {
          headers: { authorization: auth },
        });
        return ((await res.json()) as { model: { type: string; trainingImagesNumber: number } }).model;
      }),
    );
    expect(models.find((m) => m.type === 'flux.1-lora')?.trainingImagesNumber).toBe(5);
    expect((await filesUnder(join(cwd, 'out'))).map((f) => f.path.split('/').pop()).sort()).toEqual([
      'render-1.png',
      'render-2.png',
      'report.json',
    ]);
  });

  it('cancels the training at the provider on SIGINT during training and leaves no model training', async () => {
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const run = spawnCli(['run', 'train-from-images.json', '--store', 'store', ...POLL], {
      cwd,
      env: emulatorEnv(server),
    });
    await trainingPolled(server);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(hits(server, 'scenario.models.train.action')).toHaveLength(1);
    const modelId = hits(server, 'scenario.models.train')[0]!.modelId!;
    const res = await server.emulator.fetch(`${server.url}/scenario/v1/models/${modelId}`, {
      headers: {
        authorization: `Basic ${btoa(`${emulatorEnv(server).SCENARIO_API_KEY}:${emulatorEnv(server).SCENARIO_API_SECRET}`)}`,
      },
    });
    const body = (await res.json()) as { model: { status: string } };
    expect(body.model.status).toBe('training-canceled');
    expect(run.stderr()).toContain('cancelling the run');
    expect(hits(server, 'scenario.generate.txt2img')).toHaveLength(0);
  });

  it('keeps a canary secret out of the store, the outputs, the events, stdout, stderr and errors', async () => {
    const canary = 'CANARY-4f1c9e2a-do-not-leak';
    const modelslabCanary = 'CANARY-ml-77b3-do-not-leak';
    const server = await emulator({
      credentials: { scenario: [{ key: 'api_canary', secret: canary }], modelslab: [modelslabCanary] },
    });
    const cwd = await dir();
    // One graph: the Scenario pipeline, the ModelsLab generation (its key travels in request bodies) and a training
    // that fails, so error messages are covered too.
    const scenario = JSON.parse(await readFile(join(cwd, 'compose-train-generate.json'), 'utf8'));
    const modelslab = JSON.parse(await readFile(join(cwd, 'modelslab-multi-lora.json'), 'utf8'));
    const failing = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8'));
    const { FAIL_TRAINING_MARKER } = await import('@loraflow/emulator/node');
    for (const n of failing.nodes) {
      n.id = `bad-${n.id}`;
      if (n.type === 'lora.train') n.params.name = `doomed ${FAIL_TRAINING_MARKER}`;
      if (n.type === 'generate.multiLora') n.params.seed = 99;
    }
    for (const e of failing.edges) {
      e.id = `bad-${e.id}`;
      e.from.node = `bad-${e.from.node}`;
      e.to.node = `bad-${e.to.node}`;
    }
    for (const n of modelslab.nodes) n.id = `ml-${n.id}`;
    for (const e of modelslab.edges) {
      e.id = `ml-${e.id}`;
      e.from.node = `ml-${e.from.node}`;
      e.to.node = `ml-${e.to.node}`;
    }
    const doc = {
      ...scenario,
      name: 'everything',
      nodes: [...scenario.nodes, ...modelslab.nodes, ...failing.nodes],
      edges: [...scenario.edges, ...modelslab.edges, ...failing.edges],
    };
    await writeFile(join(cwd, 'everything.json'), JSON.stringify(doc));
    const env = emulatorEnv(server, { key: 'api_canary', secret: canary, modelslab: modelslabCanary });
    const run = spawnCli(['run', 'everything.json', '--store', 'store', '--out', 'out', '--json', ...POLL], {
      cwd,
      env,
    });
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(1);
    const report = JSON.parse(await readFile(join(cwd, 'out/report.json'), 'utf8')) as {
      nodes: Record<string, { status: string; error?: { code: string } }>;
    };
    expect(report.nodes.render?.status).toBe('succeeded');
    expect(report.nodes['ml-portrait']?.status).toBe('succeeded');
    expect(report.nodes['bad-wait']?.error?.code).toBe('training.failed');
    expect(hits(server, 'modelslab.text2img').length).toBeGreaterThan(0);

    const basic = Buffer.from(`api_canary:${canary}`).toString('base64');
    const leaks = (text: string) => [canary, modelslabCanary, basic].filter((s) => text.includes(s));
    expect(leaks(run.stdout())).toEqual([]);
    expect(leaks(run.stderr())).toEqual([]);
    const files = [...(await filesUnder(join(cwd, 'store'))), ...(await filesUnder(join(cwd, 'out')))];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(leaks(f.bytes.toString('latin1')), f.path).toEqual([]);
    expect(run.records().some((e) => e.type === 'node.failed')).toBe(true);
  });
});
