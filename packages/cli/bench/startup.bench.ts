// Start-up of the built `loraflow` bin as JSON lines: `corepack pnpm --filter @loraflow/cli bench` (builds first;
// `-- --no-build` measures the dist/ as it is). Each command's median is set against plain `node -e 0`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 20;
const WARMUP = 3;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/loraflow.js', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number) => Math.round(x * 10) / 10;
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

if (!process.argv.includes('--no-build')) {
  // The bin and every package it loads, built as a registry install would have them; the log goes to stderr.
  execFileSync('corepack', ['pnpm', '--filter', '@loraflow/cli...', 'run', 'build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
}

/** Wall time of one plain-node process, start to exit, as a shell would see it. */
function once(args: string[]): number {
  const env = { ...process.env };
  // Nothing (tsx, --conditions=source) may slip into the measured process.
  delete env.NODE_OPTIONS;
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - start;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return ms;
}

const emptyStore = mkdtempSync(join(tmpdir(), 'loraflow-bench-'));
const commands = [
  ['--help'],
  ['--version'],
  ['validate', 'examples/compose-train-generate.json'],
  ['runs', '--store', emptyStore],
  ['schema'],
];
try {
  const baseline: number[] = [];
  const times = commands.map((): number[] => []);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Interleaved, so a machine that slows down mid-bench slows the baseline and the commands alike.
    const b = once(['-e', '0']);
    const t = commands.map((args) => once([bin, ...args]));
    if (i < WARMUP) continue;
    baseline.push(b);
    for (const [j, ms] of t.entries()) times[j]!.push(ms);
  }
  const nodeBaselineMs = median(baseline);
  for (const [j, args] of commands.entries()) {
    const medianMs = median(times[j]!);
    emit({
      bench: 'cli-startup',
      command: args[0] === 'runs' ? 'runs --store <empty>' : args.join(' '),
      runs: RUNS,
      medianMs: round(medianMs),
      nodeBaselineMs: round(nodeBaselineMs),
      ratio: Math.round((medianMs / nodeBaselineMs) * 100) / 100,
    });
  }
} finally {
  rmSync(emptyStore, { recursive: true, force: true });
}
