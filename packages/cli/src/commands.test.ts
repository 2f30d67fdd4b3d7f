import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphDocument } from '@loraflow/core';
import { createRemoteRuntime } from '@loraflow/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { EMULATOR_NOTICE } from './setup';
import { testIo } from './test/collect';
import { eventually } from './test/eventually';
import { examplesDir } from './test/spawn-cli';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-commands-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const PNG = [0x89, 0x50, 0x4e, 0x47];

describe('loraflow run on the built-in emulator', () => {
  it('says it uses the emulator, writes the PNGs and a report, and exits 0', async () => {
    const io = testIo({ cwd: examplesDir });
    const out = join(tmp, 'run-out');
    const code = await runCli(
      ['run', 'modelslab-multi-lora.json', '--out', out, '--store', join(tmp, 's-run')],
      io,
    );
    expect(code, io.stderr.text()).toBe(0);
    expect(io.stderr.lines()[0]).toBe(EMULATOR_NOTICE);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      status: string;
      provider: string;
      images: string[];
      nodes: Record<string, { status: string; cached: boolean; ms?: number }>;
    };
    expect(report).toMatchObject({ status: 'succeeded', provider: 'emulator' });
    expect(report.images).toEqual(['portrait-1.png', 'portrait-2.png']);
    expect(report.nodes.portrait).toMatchObject({ status: 'succeeded', cached: false });
    expect(report.nodes.portrait?.ms).toBeGreaterThanOrEqual(0);
    for (const name of report.images)
      expect([...(await readFile(join(out, name))).subarray(0, 4)]).toEqual(PNG);
    // Not a TTY: plain lines, one per change, ending with the run's outcome.
    expect(io.stdout.lines().at(-1)).toMatch(/^run run_\w+ succeeded \(4 succeeded\)$/);
    expect(io.stdout.text()).not.toContain('\u001b[');
  });

  it('says the outputs could not be written, with exit 1, when --out is a file', async () => {
    const blocked = join(tmp, 'a-file');
    await writeFile(blocked, 'not a folder');
    const io = testIo({ cwd: examplesDir });
    expect(
      await runCli(['run', 'modelslab-multi-lora.json', '--out', blocked, '--store', join(tmp, 's-out')], io),
    ).toBe(1);
    expect(io.stderr.lines().at(-1)).toMatch(
      /^loraflow: out\.unwritable at --out: The outputs cannot be written/,
    );
  });

  it('says the store cannot be used, naming --store, when it is a file', async () => {
    const blocked = join(tmp, 'store-file');
    await writeFile(blocked, 'not a folder');
    const io = { ...testIo({ cwd: examplesDir }) };
    expect(await runCli(['run', 'train-from-images.json', '--store', blocked], io)).toBe(1);
    expect(io.stderr.lines().at(-1)).toMatch(
      /^loraflow: store\.unusable at --store: The store .+ \(ENOTDIR\)/,
    );
  });

  it('fails the first node that needs a provider whose key is not set, naming the variable', async () => {
    const io = testIo({ cwd: examplesDir, env: { MODELSLAB_API_KEY: 'ml-key-only' } });
    const store = join(tmp, 'one-provider');
    expect(await runCli(['run', 'train-from-images.json', '--store', store], io)).toBe(1);
    expect(io.stderr.text()).not.toContain(EMULATOR_NOTICE);
    expect(io.stderr.lines()).toContain(
      "loraflow: train: env.invalid: SCENARIO_API_KEY is not set; this graph's provider needs it (the other provider's key alone is not enough).",
    );
  });

  it('runs only what --target needs', async () => {
    const io = testIo({ cwd: examplesDir });
    const code = await runCli(
      ['run', 'compose-train-generate.json', '--target', 'train', '--json', '--store', join(tmp, 's-target')],
      io,
    );
    expect(code, io.stderr.text()).toBe(0);
    const events = io.stdout.lines().map((l) => JSON.parse(l) as { type: string; nodeIds?: string[] });
    expect(events[0]?.nodeIds?.sort()).toEqual(['photos', 'train']);
  });

  it('refuses an unknown --target with the graph problem and exit 1', async () => {
    const io = testIo({ cwd: examplesDir });
    expect(
      await runCli(['run', 'train-from-images.json', '--target', 'nope', '--store', join(tmp, 's-nope')], io),
    ).toBe(1);
    expect(io.stderr.text()).toContain('plan.unknown-target');
  });

  it('keeps the built-in emulator and its cache in the store: a second run trains nothing', async () => {
    const store = join(tmp, 's-twice');
    const args = ['run', 'train-from-images.json', '--json', '--store', store];
    const first = testIo({ cwd: examplesDir });
    expect(await runCli(args, first), first.stderr.text()).toBe(0);
    const second = testIo({ cwd: examplesDir });
    expect(await runCli(args, second), second.stderr.text()).toBe(0);
    const events = second.stdout.lines().map((l) => JSON.parse(l) as { type: string; nodeId?: string });
    const started = events.filter((e) => e.type === 'node.started').map((e) => e.nodeId);
    const cached = events.filter((e) => e.type === 'node.cached').map((e) => e.nodeId);
    expect(started).toEqual([]);
    expect(cached.sort()).toEqual(['photos', 'train', 'try', 'wait']);
  });

  it('resumes a run on the built-in emulator, whose models outlive the process', async () => {
    const store = join(tmp, 's-resume');
    const first = testIo({ cwd: examplesDir });
    expect(await runCli(['run', 'train-from-images.json', '--json', '--store', store], first)).toBe(0);
    const runId = (first.stdout.lines().map((l) => JSON.parse(l) as { runId?: string })[0]?.runId ??
      '') as string;
    expect(runId).toMatch(/^run_/);
    const again = testIo({ cwd: examplesDir });
    expect(await runCli(['run', '--resume', runId, '--store', store], again), again.stderr.text()).toBe(0);
  });
});

describe('loraflow estimate', () => {
  it('lists every node as will-run on an empty store, with totals', async () => {
    const io = testIo({ cwd: examplesDir });
    expect(
      await runCli(['estimate', 'train-from-images.json', '--json', '--store', join(tmp, 's-estimate')], io),
    ).toBe(0);
    const estimate = JSON.parse(io.stdout.text()) as {
      nodes: Array<{ nodeId: string; willRun: boolean }>;
      willRun: number;
      fromCache: number;
    };
    expect(estimate.nodes.map((n) => n.nodeId)).toEqual(['photos', 'train', 'wait', 'try']);
    expect(estimate).toMatchObject({ willRun: 4, fromCache: 0 });
  });

  it('prices the first run’s generation before its LoRA exists, and calls the first training unknown, not free', async () => {
    const io = testIo({ cwd: examplesDir });
    expect(
      await runCli(['estimate', 'compose-train-generate.json', '--store', join(tmp, 's-estimate-first')], io),
    ).toBe(0);
    const lines = io.stdout.lines();
    expect(lines.find((l) => l.startsWith('train '))).toContain('cost unknown before it runs');
    expect(lines.find((l) => l.startsWith('render '))).toMatch(/\d+(\.\d+)? creative-units$/);
    expect(lines.at(-1)).toMatch(
      /^8 will run, 0 from cache; cost at least \d+(\.\d+)? creative-units \(\+ 2 unknown\)$/,
    );
  });
});

describe('loraflow runs', () => {
  it('lists a store’s runs from the store alone, says so when there are none, and refuses a bad --limit', async () => {
    const store = join(tmp, 's-runs');
    const empty = testIo({ cwd: examplesDir });
    expect(await runCli(['runs', '--store', store], empty)).toBe(0);
    expect(empty.stdout.text()).toContain('no runs in this store yet');
    const run = testIo({ cwd: examplesDir });
    expect(await runCli(['run', 'train-from-images.json', '--target', 'photos', '--store', store], run)).toBe(
      0,
    );
    const io = testIo({ cwd: examplesDir });
    expect(await runCli(['runs', '--store', store, '--json'], io)).toBe(0);
    const runs = io.stdout.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    expect(runs[0]).not.toHaveProperty('doc');
    // listing starts no emulator, so it does not announce one
    expect(io.stderr.text()).not.toContain(EMULATOR_NOTICE);
    const bad = testIo({ cwd: examplesDir });
    expect(await runCli(['runs', '--store', store, '--limit', 'lots'], bad)).toBe(2);
    expect(bad.stderr.text()).toContain('--limit');
  });
});

describe('loraflow serve', () => {
  it('serves the runtime HTTP API that a remote runtime drives to a finished run', async () => {
    let stop = () => {};
    const io = {
      ...testIo({ cwd: examplesDir }),
      untilStopped: () =>
        new Promise<void>((resolve) => {
          stop = resolve;
        }),
    };
    const served = runCli(['serve', '--port', '0', '--store', join(tmp, 's-serve')], io);
    const url = await eventually(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.stdout.text());
      if (!match) throw new Error('not listening yet');
      return match[1]!;
    });
    try {
      const token = /^loraflow: token (\S+)$/m.exec(io.stderr.text())?.[1];
      expect(token).toMatch(/^[\w-]{32}$/);
      // without the token, and from a page of another origin, nothing is answered
      expect((await fetch(`${url}/nodes`)).status).toBe(401);
      const cross = await fetch(`${url}/nodes`, {
        headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
      });
      expect(cross.status).toBe(403);
      const remote = createRemoteRuntime({ baseUrl: url, headers: { authorization: `Bearer ${token}` } });
      const catalogue = await remote.catalogue();
      expect(catalogue.nodes.map((n) => n.type)).toContain('lora.train');
      const doc = JSON.parse(
        await readFile(join(examplesDir, 'modelslab-multi-lora.json'), 'utf8'),
      ) as GraphDocument;
      const handle = await remote.run(doc);
      const result = await handle.result;
      expect(result.status).toBe('succeeded');
      const images = result.nodes.portrait?.outputs?.images as Array<{ blob: { $blob: string } }>;
      const bytes = await remote.getBlob(images[0]!.blob.$blob);
      expect([...(bytes ?? new Uint8Array()).subarray(0, 4)]).toEqual(PNG);
    } finally {
      stop();
    }
    expect(await served).toBe(0);
    expect(io.stderr.lines()).toEqual([expect.stringMatching(/^loraflow: token /), EMULATOR_NOTICE]);
  });
});

describe('loraflow emulator', () => {
  it('serves the emulator on a loopback port until stopped', async () => {
    let stop = () => {};
    const io = {
      ...testIo({ cwd: tmp }),
      untilStopped: () =>
        new Promise<void>((resolve) => {
          stop = resolve;
        }),
    };
    const served = runCli(['emulator', '--port', '0', '--speed', '60'], io);
    const url = await eventually(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.stdout.text());
      if (!match) throw new Error('not listening yet');
      return match[1]!;
    });
    try {
      const state = (await (await fetch(`${url}/_emulator/state`)).json()) as { clock: unknown };
      expect(JSON.stringify(state.clock)).toContain('60');
    } finally {
      stop();
    }
    expect(await served).toBe(0);
  });
});
