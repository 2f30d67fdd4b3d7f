// Polling benchmark: how many status requests the waiting helpers spend, and how late they notice
// completion, against the emulator on a manual clock (the helper's sleep advances it).
// Prints one JSON object per line: { case, requests, latePct, ... }.
import { startEmulator } from '@loraflow/emulator/node';
import {
  type FetchLike,
  ModelsLabClient,
  ScenarioClient,
  waitForModel,
  waitForModelsLabResult,
} from '../src/index';
import { TINY_PNG_DATA_URL } from '../src/test-assets';

const TRAINING_MS = 15 * 60_000;
const credentials = {
  scenario: [{ key: 'api_bench', secret: 'bench-secret' }],
  modelslab: ['bench-modelslab-key'],
};

async function main() {
  const server = await startEmulator({ port: 0, clock: 'manual', credentials, trainingMs: TRAINING_MS });
  const { emulator } = server;
  const clock = emulator.clock;
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.round(ms)));
  const counted = (match: RegExp) => {
    let n = 0;
    const fetch: FetchLike = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (match.test(`${init?.method ?? 'GET'} ${url.pathname}`)) n++;
      return globalThis.fetch(input, init);
    };
    return { fetch, count: () => n };
  };
  const lines: Record<string, unknown>[] = [];
  try {
    // Case 1: a 15-minute Scenario LoRA training.
    const polls = counted(/^GET \/scenario\/v1\/models\/[^/]+$/);
    const scenario = new ScenarioClient({
      baseUrl: `${server.url}/scenario/v1`,
      apiKey: 'api_bench',
      apiSecret: 'bench-secret',
      fetch: polls.fetch,
      retry: { sleep },
    });
    const model = await scenario.createModel({ name: 'bench lora', type: 'flux.1-lora' });
    for (let i = 0; i < 5; i++)
      await scenario.addTrainingImage(model.id, { name: `${i}.png`, data: TINY_PNG_DATA_URL });
    const trainAt = clock.now();
    await scenario.trainModel(model.id, { parameters: {} });
    const before = polls.count();
    const done = await waitForModel({ client: scenario, modelId: model.id, sleep, now: () => clock.now() });
    const detectedAt = clock.now();
    const endedAtIso = done.trainingStats?.endedAt;
    const endedAt = endedAtIso ? Date.parse(endedAtIso) : trainAt + TRAINING_MS;
    const duration = endedAt - trainAt;
    lines.push({
      case: 'scenario.waitForModel.15min',
      status: done.status,
      requests: polls.count() - before,
      durationMs: duration,
      lateMs: detectedAt - endedAt,
      latePct: round(((detectedAt - endedAt) / duration) * 100),
      limits: { requests: 12, latePct: 2 },
    });

    // Case 2: a ModelsLab generation announced with eta 13 s.
    const fetches = counted(/^POST \/modelslab\/api\/v6\/images\/fetch/);
    const ml = new ModelsLabClient({
      baseUrl: `${server.url}/modelslab/api`,
      apiKey: 'bench-modelslab-key',
      fetch: fetches.fetch,
      retry: { sleep },
    });
    const submittedAt = clock.now();
    const first = await ml.text2img({
      modelId: 'sdxl',
      prompt: 'a lighthouse at dusk',
      width: 512,
      height: 512,
    });
    if (first.status !== 'processing') throw new Error(`expected processing, got ${first.status}`);
    const eta = first.etaMs ?? 13_000;
    const result = await waitForModelsLabResult({
      client: ml,
      id: first.id,
      etaMs: first.etaMs,
      sleep,
      now: () => clock.now(),
    });
    const late = clock.now() - (submittedAt + eta);
    lines.push({
      case: 'modelslab.waitForResult.eta13s',
      status: 'success',
      outputs: result.output.length,
      requests: fetches.count(),
      durationMs: eta,
      lateMs: late,
      latePct: round((late / eta) * 100),
      limits: { requests: 3 },
    });
  } finally {
    await server.close();
  }
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
  // The figures are the point, but a regression past the limits should also fail the script.
  for (const line of lines) {
    const limits = line.limits as { requests: number; latePct?: number };
    const over =
      (line.requests as number) > limits.requests ||
      (limits.latePct !== undefined && (line.latePct as number) > limits.latePct);
    if (over) {
      process.stderr.write(`${String(line.case)} is over its limits ${JSON.stringify(limits)}\n`);
      process.exitCode = 1;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
