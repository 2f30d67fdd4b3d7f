// 100 concurrent runs of the example pipeline sharing one training, through one runtime HTTP handler over a file
// store, on an emulator server with a fast clock: one JSON line with the wall time, the p95 of a run (POST to end)
// and the provider calls by route. Run: corepack pnpm --filter @loraflow/cli bench:many-runs
import { rm } from 'node:fs/promises';
import { startEmulator } from '@loraflow/emulator/node';
import { runMany } from '../src/test/many-runs';
import { workspace } from '../src/test/spawn-cli';

const runs = Number(process.argv[2] ?? 100);
const server = await startEmulator({ port: 0, clock: { speed: 1000 } });
const cwd = await workspace();
try {
  const { statuses, perRunMs, wallMs } = await runMany(server, cwd, runs);
  const sorted = [...perRunMs].sort((a, b) => a - b);
  const calls: Record<string, number> = {};
  const refused: Record<string, number> = {};
  for (const entry of server.emulator.log.entries({})) {
    const tally = entry.status >= 200 && entry.status < 300 ? calls : refused;
    const name = tally === calls ? entry.route : `${entry.route} ${entry.status}`;
    tally[name] = (tally[name] ?? 0) + 1;
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'many-runs-one-training',
      store: 'file',
      runs,
      succeeded: statuses.filter((s) => s === 'succeeded').length,
      wallMs: Math.round(wallMs),
      p50RunMs: sorted[Math.floor(sorted.length * 0.5)],
      p95RunMs: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)],
      calls,
      refused,
    })}\n`,
  );
} finally {
  await server.close();
  await rm(cwd, { recursive: true, force: true });
}
