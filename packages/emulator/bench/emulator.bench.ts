// Emulator benchmark: prints one JSON object per line ({ case, iterations, medianMs, p95Ms, ... }).
// Run with `corepack pnpm --filter @loraflow/emulator bench`. Not a test: numbers depend on the machine
// and on what else runs on it (CPU time is reported beside wall time for that reason).
import { cpuUsage } from 'node:process';
import { createEmulator, decodeInputImage, EMULATOR_CREDENTIALS, renderPng } from '../src/index';
import { startEmulator } from '../src/node';

const ORIGIN = 'http://emulator.invalid';
const AUTH = `Basic ${btoa(`${EMULATOR_CREDENTIALS.scenario.key}:${EMULATOR_CREDENTIALS.scenario.secret}`)}`;

async function measure(name: string, iterations: number, run: (i: number) => unknown, extra: object = {}) {
  for (let i = 0; i < Math.min(5, iterations); i++) await run(-1 - i);
  const times: number[] = [];
  const cpuBefore = cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  const cpu = cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  const line = {
    case: name,
    iterations,
    medianMs: round(times[Math.floor(times.length / 2)] as number),
    p95Ms: round(times[Math.floor(times.length * 0.95)] as number),
    cpuMsPerIteration: round((cpu.user + cpu.system) / 1000 / iterations),
    ...extra,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const loras = [
  { id: 'model_flux1-watercolor', strength: 0.8 },
  { id: 'model_flux1-neon-noir', strength: 0.4 },
];
for (const size of [256, 512, 1024]) {
  let bytes = 0;
  await measure(`png-${size}`, 30, (i) => {
    bytes = renderPng({ prompt: `a fox ${i}`, seed: i, width: size, height: size, loras }).length;
  });
  process.stdout.write(`${JSON.stringify({ case: `png-${size}-size`, bytes })}\n`);
}

// Image-to-image: decoding a 1024² input (what a submit pays) and rendering from it (what a download pays).
const input = renderPng({ prompt: 'an input', seed: 1, width: 1024, height: 1024, loras });
await measure('img2img-decode-1024', 30, () => decodeInputImage(input, 'image'));
const init = { image: decodeInputImage(input, 'image'), strength: 0.6 };
await measure('img2img-png-512', 30, (i) =>
  renderPng({ prompt: `a fox ${i}`, seed: i, width: 512, height: 512, loras, init }),
);

const emulator = createEmulator({ clock: 'manual', timings: { generationMs: 0 } });
await measure('scenario-get-model', 500, () =>
  emulator
    .fetch(`${ORIGIN}/scenario/v1/models/model_bfl-flux-2-dev`, { headers: { authorization: AUTH } })
    .then((r) => r.text()),
);
await measure('scenario-generate-and-poll', 200, async (i) => {
  const res = await emulator.fetch(`${ORIGIN}/scenario/v1/generate/custom/model_zimage`, {
    method: 'POST',
    headers: { authorization: AUTH },
    body: JSON.stringify({ prompt: `p${i}`, width: 128, height: 128 }),
  });
  const { job } = (await res.json()) as { job: { jobId: string } };
  await (
    await emulator.fetch(`${ORIGIN}/scenario/v1/jobs/${job.jobId}`, { headers: { authorization: AUTH } })
  ).text();
});

// Requests per second over real HTTP on loopback: routing, logging and the node adapter together,
// eight requests in flight at a time (a client polling several jobs at once).
const served = await startEmulator({ clock: 'manual' });
const routes = [
  '/scenario/v1/models/model_bfl-flux-2-dev',
  '/scenario/v1/models?privacy=public&pageSize=5',
  '/scenario/v1/jobs',
];
const total = 4000;
const inFlight = 8;
let sent = 0;
const started = performance.now();
const cpuAtStart = cpuUsage();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (sent < total) {
      const path = routes[sent++ % routes.length] as string;
      await (await fetch(`${served.url}${path}`, { headers: { authorization: AUTH } })).text();
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = cpuUsage(cpuAtStart);
process.stdout.write(
  `${JSON.stringify({
    case: 'loopback-requests',
    requests: total,
    inFlight,
    requestsPerSecond: Math.round(total / seconds),
    cpuMsPerRequest: Math.round(((cpu.user + cpu.system) / 1000 / total) * 1000) / 1000,
  })}\n`,
);
await served.close();
