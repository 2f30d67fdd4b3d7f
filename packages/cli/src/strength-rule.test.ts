import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { examplesDir } from './test/spawn-cli';

it('refuses, before anything runs, a Scenario composition used at a strength other than 1', async () => {
  const graph = JSON.parse(await readFile(join(examplesDir, 'compose-train-generate.json'), 'utf8'));
  graph.edges.find((e: { id: string }) => e.id === 'e-style').settings.strength = 0.6;
  const dir = await mkdtemp(join(tmpdir(), 'loraflow-strength-'));
  await writeFile(join(dir, 'g.json'), JSON.stringify(graph));
  const io = testIo({ cwd: dir });
  expect(await runCli(['validate', '--json', 'g.json'], io)).toBe(1);
  expect(io.stdout.text()).toContain('generate.strength-out-of-range');
});
