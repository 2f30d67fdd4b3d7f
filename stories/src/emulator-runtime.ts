import { createRegistry } from '@loraflow/core';
import { createEmulator, EMULATOR_CREDENTIALS, type Emulator } from '@loraflow/emulator';
import { loraPack } from '@loraflow/nodes';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
import { createMemoryStore, createRuntime, type Runtime } from '@loraflow/runtime';

const BASE = 'http://emulator.invalid';

/**
 * The whole stack in the page: the emulator's Request → Response handler stands in for the providers,
 * the real LoRA pack runs on the real runtime with a memory store. `speed` makes emulated minutes pass fast.
 */
export function createEmulatorRuntime(o: { speed?: number } = {}): { runtime: Runtime; emulator: Emulator } {
  const speed = o.speed ?? 600;
  const emulator = createEmulator({ clock: { speed }, publicUrl: BASE, seed: 7 });
  const routed: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(BASE) ? emulator.fetch(request) : fetch(request);
  };
  const scenario = new ScenarioClient({
    baseUrl: `${BASE}/scenario/v1`,
    apiKey: EMULATOR_CREDENTIALS.scenario.key,
    apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
    fetch: routed,
  });
  const modelslab = new ModelsLabClient({
    baseUrl: `${BASE}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
    fetch: routed,
  });
  // Polls wait in emulated time, so a 30 s vendor hint is a few real milliseconds.
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, Math.max(1, ms / speed));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  const files = {
    async read(path: string) {
      const response = await fetch(`/examples/${path.replace(/^\/+/, '')}`);
      if (!response.ok) throw new Error(`${path} is not in the examples folder (${response.status})`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store: createMemoryStore(),
    services: {
      scenario,
      modelslab,
      files,
      fetch: routed,
      polling: { sleep, now: () => emulator.clock.now() },
    },
    secrets: [EMULATOR_CREDENTIALS.scenario.secret, EMULATOR_CREDENTIALS.modelslab.key],
  });
  return { runtime, emulator };
}
