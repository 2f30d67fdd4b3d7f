import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli';
import { testIo } from '../test/collect';
import { hits, POLL, proofEnvironment } from '../test/proof-env';
import { emulatorEnv } from '../test/spawn-cli';

// `loraflow run` in this process against an emulator server over HTTP, judged by the emulator's request log.

const { emulator, dir } = proofEnvironment();

interface Report {
  nodes: Record<string, { status: string; cached: boolean }>;
}

async function run(cwd: string, env: Record<string, string>, flags: string[] = []) {
  const io = testIo({ cwd, env });
  const code = await runCli(
    ['run', 'modelslab-multi-lora.json', '--store', 'store', '--out', 'out', ...POLL, ...flags],
    io,
  );
  const report = JSON.parse(await readFile(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
  const cached = Object.entries(report.nodes)
    .filter(([, n]) => n.cached)
    .map(([id]) => id)
    .sort();
  return { code, io, cached };
}

describe('loraflow run --refresh and --no-cache', () => {
  it('re-runs a refreshed node (and what depends on it) at the provider, and everything with --no-cache', async () => {
    const server = await emulator();
    const cwd = await dir();
    const env = emulatorEnv(server);
    const generations = () => hits(server, 'modelslab.text2img').length;

    expect((await run(cwd, env)).code).toBe(0);
    expect(generations()).toBe(1);
    const warm = await run(cwd, env);
    expect(warm.cached).toEqual(['details', 'lineart', 'portrait', 'prompt']);
    expect(generations()).toBe(1);

    const refreshed = await run(cwd, env, ['--refresh', 'prompt']);
    expect(refreshed.code, refreshed.io.stderr.text()).toBe(0);
    // the prompt and the generation downstream of it ran; the LoRA sources came from the cache
    expect(refreshed.cached).toEqual(['details', 'lineart']);
    expect(generations()).toBe(2);

    const everything = await run(cwd, env, ['--no-cache']);
    expect(everything.code).toBe(0);
    expect(everything.cached).toEqual([]);
    expect(generations()).toBe(3);
  });

  it('refuses --refresh of a node the graph does not have, and with --resume', async () => {
    const server = await emulator();
    const cwd = await dir();
    const io = testIo({ cwd, env: emulatorEnv(server) });
    expect(await runCli(['run', 'modelslab-multi-lora.json', '--refresh', 'nope'], io)).toBe(2);
    expect(io.stderr.lines().at(-1)).toBe(
      'loraflow: flag.invalid at --refresh: The graph has no node "nope" to refresh.',
    );
    const again = testIo({ cwd, env: emulatorEnv(server) });
    expect(await runCli(['run', '--resume', 'run_x', '--no-cache'], again)).toBe(2);
    expect(again.stderr.lines().at(-1)).toMatch(/^loraflow: flag\.conflict at --no-cache: /);
    expect(hits(server, 'modelslab.text2img')).toHaveLength(0);
  });
});

describe('loraflow run and a damaged store', () => {
  it('warns on stderr about each corrupt store file it met, and runs the node again', async () => {
    const server = await emulator();
    const cwd = await dir();
    const env = emulatorEnv(server);
    expect((await run(cwd, env)).code).toBe(0);
    const cacheDir = join(cwd, 'store', 'cache');
    const entries = (await readdir(cacheDir, { recursive: true })).filter((f) => f.endsWith('.json'));
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) await writeFile(join(cacheDir, entry), '{"torn');
    const damaged = await run(cwd, env);
    expect(damaged.code).toBe(0);
    const warnings = damaged.io.stderr.lines().filter((l) => l.startsWith('loraflow: warning '));
    expect(warnings).toHaveLength(entries.length);
    expect(warnings[0]).toMatch(
      /^loraflow: warning store\.corrupt_record The file is not whole JSON \(a torn write\?\); it is ignored\. \(cache\/[0-9a-f]{2}\/[0-9a-f]{64}\.json\)$/,
    );
    expect(damaged.cached).toEqual([]);
  });
});
