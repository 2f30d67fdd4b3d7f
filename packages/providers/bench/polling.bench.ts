// Polling benchmark: how many status requests the waiting helpers spend, and how late they notice
// completion, against the emulator on a manual clock (the helper's sleep advances it).
// Prints one JSON object per line: { case, requests, latePct, ... }; exits 1 if a case breaks its limits.
import { type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { ModelsLabClient, ScenarioClient, waitForModel, waitForModelsLabResult } from '../src/index';
import { TINY_PNG_DATA_URL } from '../src/test/assets';

const credentials = {
  scenario: [{ key: 'api_bench', secret: 'bench-secret' }],
  modelslab: ['bench-modelslab-key'],
};

interface Line {
  case: string;
  requests: number;
  latePct: number;
  lateMs: number;
  durationMs: number;
  limits: { requests: number; latePct?: number };
  [k: string]: unknown;
}

/** Runs `body` against a fresh emulator on a manual clock. */
async function withEmulator<T>(
  trainingMs: number,
  body: (server: RunningEmulator) => Promise<T>,
): Promise<T> {
  const server = await startEmulator({ port: 0, clock: 'manual', credentials, trainingMs });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** Counts the requests the emulator logged for one method and path pattern since a sequence number. */
function logged(server: RunningEmulator, method: string, path: RegExp, sinceSeq = 0): number {
  return server.emulator.log.entries({ method }).filter((e) => e.seq > sinceSeq && path.test(e.path)).length;
}

function lastSeq(server: RunningEmulator): number {
  return server.emulator.log.entries().at(-1)?.seq ?? 0;
}

async function trainingCase(name: string, trainingMs: number): Promise<Line> {
  return withEmulator(trainingMs, async (server) => {
    const clock = server.emulator.clock;
    const sleep = async (ms: number) => clock.advance(Math.max(0, Math.round(ms)));
    const scenario = new ScenarioClient({
      baseUrl: `${server.url}/scenario/v1`,
      apiKey: 'api_bench',
      apiSecret: 'bench-secret',
      retry: { sleep },
    });
    const model = await scenario.createModel({ name: 'bench lora', type: 'flux.1-lora' });
    for (let i = 0; i < 5; i++)
      await scenario.addTrainingImage(model.id, { name: `${i}.png`, data: TINY_PNG_DATA_URL });
    const trainAt = clock.now();
    await scenario.trainModel(model.id, { parameters: {} });
    const since = lastSeq(server);
    const done = await waitForModel({ client: scenario, modelId: model.id, sleep, now: () => clock.now() });
    const detectedAt = clock.now();
    const endedAtIso = done.trainingStats?.endedAt;
    const endedAt = endedAtIso ? Date.parse(endedAtIso) : trainAt + trainingMs;
    const duration = endedAt - trainAt;
    return {
      case: name,
      status: done.status,
      requests: logged(server, 'GET', new RegExp(`/models/${model.id}$`), since),
      durationMs: duration,
      lateMs: detectedAt - endedAt,
      latePct: round(((detectedAt - endedAt) / duration) * 100),
      limits: { requests: 12, latePct: 2 },
    };
  });
}

async function generationCase(name: string): Promise<Line> {
  return withEmulator(15 * 60_000, async (server) => {
    const clock = server.emulator.clock;
    const sleep = async (ms: number) => clock.advance(Math.max(0, Math.round(ms)));
    const ml = new ModelsLabClient({
      baseUrl: `${server.url}/modelslab/api`,
      apiKey: 'bench-modelslab-key',
      retry: { sleep },
    });
    const submittedAt = clock.now();
    const first = await ml.text2img({
      modelId: 'sdxl',
      prompt: 'a lighthouse at dusk',
      width: 512,
      height: 512,
    });
    if (first.status !== 'processing') throw new Error(`expected a processing answer, got ${first.status}`);
    const eta = first.etaMs ?? 13_000;
    const since = lastSeq(server);
    const result = await waitForModelsLabResult({
      client: ml,
      id: first.id,
      etaMs: first.etaMs,
      sleep,
      now: () => clock.now(),
    });
    const late = clock.now() - (submittedAt + eta);
    return {
      case: name,
      status: 'success',
      outputs: result.output.length,
      requests: logged(server, 'POST', /\/v6\/images\/fetch/, since),
      durationMs: eta,
      lateMs: late,
      latePct: round((late / eta) * 100),
      limits: { requests: 3 },
    };
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

async function main() {
  const lines = [
    await trainingCase('scenario.waitForModel.15min', 15 * 60_000),
    // A duration that does not line up with the 5-minute pause cap, so the estimate alone decides.
    await trainingCase('scenario.waitForModel.13min37s', 13 * 60_000 + 37_000),
    await generationCase('modelslab.waitForResult.eta13s'),
  ];
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
  for (const line of lines) {
    const over =
      line.requests > line.limits.requests ||
      (line.limits.latePct !== undefined && line.latePct > line.limits.latePct);
    if (over) {
      process.stderr.write(`${line.case} is over its limits ${JSON.stringify(line.limits)}\n`);
      process.exitCode = 1;
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
