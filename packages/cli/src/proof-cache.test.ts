import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '@loraflow/emulator/node';
import { INTERRUPTED_AFTER_MS } from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { describe, expect, it } from 'vitest';
import { lapseLeases } from '../../runtime/src/test/lapse';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { eventually } from './test/eventually';
import { FAST, hits, POLL, proofEnvironment, trainingPolled } from './test/proof-env';
import { emulatorEnv, spawnCli, withPrompt } from './test/spawn-cli';

// Real processes over real HTTP: each test starts an emulator server, spawns `loraflow` against it through the
// SCENARIO_/MODELSLAB_ variables, and judges by the emulator's request log and state.

const { emulator, dir } = proofEnvironment();

const sideEffects = (server: RunningEmulator) => ({
  creates: hits(server, 'scenario.models.create').length,
  uploads: hits(server, 'scenario.models.trainingImages.add').length,
  trains: hits(server, 'scenario.models.train').length,
});

describe('loraflow run against an emulator server: cache and resume', () => {
  it('re-runs only the generation when only the prompt changes after a finished pipeline', async () => {
    const server = await emulator();
    const cwd = await dir();
    const env = emulatorEnv(server);
    const first = spawnCli(['run', 'compose-train-generate.json', '--out', 'out1', ...POLL], { cwd, env });
    expect((await first.exited).code, first.stderr()).toBe(0);
    const before = sideEffects(server);
    expect(before).toEqual({ creates: 2, uploads: 5, trains: 2 });
    expect(hits(server, 'scenario.generate.txt2img')).toHaveLength(1);

    const file = await withPrompt(cwd, 'night.json', 'a paper lantern drifting over a frozen lake');
    const second = spawnCli(['run', file, '--out', 'out2', '--json', ...POLL], { cwd, env });
    expect((await second.exited).code, second.stderr()).toBe(0);
    expect(sideEffects(server)).toEqual(before);
    expect(hits(server, 'scenario.generate.txt2img')).toHaveLength(2);
    const report = JSON.parse(await readFile(join(cwd, 'out2/report.json'), 'utf8')) as {
      nodes: Record<string, { cached: boolean }>;
    };
    const ran = Object.entries(report.nodes)
      .filter(([, n]) => !n.cached)
      .map(([id]) => id)
      .sort();
    expect(ran).toEqual(['prompt', 'render']);
    const events = second.records();
    expect(events.filter((e) => e.type === 'node.started').map((e) => e.nodeId)).toEqual(
      expect.arrayContaining(['prompt', 'render']),
    );
  });

  it('finishes a run killed with SIGKILL during training on --resume, with one create and one train and the same images', async () => {
    const server = await emulator({ clock: 'manual' });
    const cwd = await dir();
    const env = emulatorEnv(server);
    const args = ['run', 'train-from-images.json', '--store', 'store', ...POLL];
    const first = spawnCli([...args, '--json'], { cwd, env });
    // The training has started and the wait node is polling it; the frozen clock keeps it training.
    await trainingPolled(server);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const runId = first.records()[0]?.runId as string;
    expect(runId).toMatch(/^run_/);
    // A minute later nothing has written the dead process's record: `loraflow runs` says it was
    // interrupted and how to resume it (the record's clock is moved back instead of waiting).
    const store = createFileStore({ dir: join(cwd, 'store') });
    const record = (await store.getRun(runId))!;
    await store.putRun({ ...record, updatedAt: record.updatedAt - INTERRUPTED_AFTER_MS - 1_000 });
    const listing = testIo({ cwd, env });
    expect(await runCli(['runs', '--store', 'store'], listing)).toBe(0);
    expect(listing.stdout.lines().find((l) => l.startsWith(runId))).toMatch(
      new RegExp(`^${runId}\\s+interrupted .* — resume: loraflow run --resume ${runId}$`),
    );

    server.emulator.clock.setSpeed(FAST.speed);
    const resumed = spawnCli([...args, '--resume', runId, '--out', 'out'], { cwd, env });
    expect((await resumed.exited).code, resumed.stderr()).toBe(0);
    expect(resumed.stderr()).toContain(`run ${runId} resumed`);
    expect(resumed.stderr()).not.toContain('differs from the graph');
    expect(sideEffects(server)).toEqual({ creates: 1, uploads: 5, trains: 1 });

    // The same graph, uninterrupted, on a fresh emulator with the same seed and a fresh store.
    const clean = await emulator();
    const cleanDir = await dir();
    const straight = spawnCli(
      ['run', 'train-from-images.json', '--store', 'store', '--out', 'out', ...POLL],
      {
        cwd: cleanDir,
        env: emulatorEnv(clean),
      },
    );
    expect((await straight.exited).code, straight.stderr()).toBe(0);
    const a = await readFile(join(cwd, 'out/try-1.png'));
    const b = await readFile(join(cleanDir, 'out/try-1.png'));
    expect(a.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
    expect(a.equals(b)).toBe(true);
  });

  it('resumes on the built-in emulator after SIGKILL during training: its persisted writes hold one create and one train', async () => {
    const cwd = await dir();
    const args = ['run', 'train-from-images.json', '--store', 'store'];
    // No provider keys: the CLI starts its own emulator, keeping its state under store/emulator/.
    const first = spawnCli([...args, '--json'], { cwd, env: {} });
    await eventually(() => {
      const waiting = first.records().some((e) => e.type === 'node.progress' && e.nodeId === 'wait');
      expect(waiting).toBe(true);
    }, 5);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const runId = first.records()[0]?.runId as string;
    // the killed process's run lease and claims lapse (a minute later) before another process may take the run up
    await lapseLeases(createFileStore({ dir: join(cwd, 'store/emulator') }), join(cwd, 'store/emulator'));

    const resumed = spawnCli([...args, '--resume', runId, '--out', 'out'], { cwd, env: {} });
    expect((await resumed.exited).code, resumed.stderr()).toBe(0);
    const writes = (await readFile(join(cwd, 'store/emulator/provider-state.ndjson'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { method: string; path: string });
    const creates = writes.filter((w) => w.method === 'POST' && /^\/scenario\/v1\/models(\?|$)/.test(w.path));
    const trains = writes.filter((w) => w.method === 'PUT' && /\/train(\?|$)/.test(w.path));
    expect({ creates: creates.length, trains: trains.length }).toEqual({ creates: 1, trains: 1 });
    const png = await readFile(join(cwd, 'out/try-1.png'));
    expect(png.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
  });
});
