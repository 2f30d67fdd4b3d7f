import { startEmulator } from '@loraflow/emulator/node';
import { ModelsLabClient } from '../modelslab/client';
import type { RetryOptions } from '../retry';
import { ScenarioClient } from '../scenario/client';

/** Credentials the test emulator accepts; canary-like so a leak would be visible. */
export const TEST_CREDENTIALS = {
  scenario: [{ key: 'api_testKEY0123456789', secret: 'test-SECRET-abcdef0123' }],
  modelslab: ['modelslab-TESTKEY-9876543210'],
};

/**
 * Starts the emulator on 127.0.0.1 (port 0, manual clock) with clients wired to it. The clients'
 * retry sleep advances the emulator's clock, so waiting costs no wall time.
 */
export async function startHarness(options: { trainingMs?: number } = {}) {
  const server = await startEmulator({
    port: 0,
    clock: 'manual',
    credentials: TEST_CREDENTIALS,
    ...(options.trainingMs ? { trainingMs: options.trainingMs } : {}),
  });
  const { emulator } = server;
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    emulator.clock.advance(Math.max(0, Math.round(ms)));
  };
  const retry: RetryOptions = { sleep, random: () => 0.5 };
  const cred = TEST_CREDENTIALS.scenario[0] as { key: string; secret: string };
  const scenario = (extra: Partial<ConstructorParameters<typeof ScenarioClient>[0]> = {}) =>
    new ScenarioClient({
      baseUrl: `${server.url}/scenario/v1`,
      apiKey: cred.key,
      apiSecret: cred.secret,
      retry,
      ...extra,
    });
  const modelslab = (extra: Partial<ConstructorParameters<typeof ModelsLabClient>[0]> = {}) =>
    new ModelsLabClient({
      baseUrl: `${server.url}/modelslab/api`,
      apiKey: TEST_CREDENTIALS.modelslab[0] as string,
      retry,
      ...extra,
    });
  return {
    url: server.url,
    emulator,
    sleeps,
    sleep,
    now: () => emulator.clock.now(),
    scenario,
    modelslab,
    close: () => server.close(),
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
