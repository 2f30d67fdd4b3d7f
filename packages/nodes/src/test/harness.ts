import {
  createEngine,
  createMemoryStore,
  createRegistry,
  type Engine,
  type GraphDocument,
  type MemoryStore,
  type RunEvent,
} from '@loraflow/core';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { type DownloadLimits, ModelsLabClient, ScenarioClient, type Sleep } from '@loraflow/providers';
import { encode } from 'fast-png';
import { toDataUrl } from '../image-check';
import { loraPack } from '../pack';
import type { FilesService, PollingService } from '../services';
import type { WebhookService } from '../webhooks';

/** A small PNG whose colour depends on `seed`, as a data URL. */
export function pngDataUrl(seed: number, size = 16): string {
  const data = new Uint8Array(size * size * 3).map((_, i) => (seed * 37 + i * 11) % 256);
  return toDataUrl(encode({ width: size, height: size, data, channels: 3 }), 'image/png');
}

/** An in-memory files service that records what was written. */
export function memoryFiles(
  initial: Record<string, Uint8Array> = {},
): FilesService & { written: Map<string, Uint8Array> } {
  const files = new Map(Object.entries(initial));
  const written = new Map<string, Uint8Array>();
  return {
    written,
    read: async (path) => {
      const bytes = files.get(path);
      if (!bytes) throw new Error(`no such file: ${path}`);
      return bytes;
    },
    write: async (path, bytes) => {
      written.set(path, bytes);
      return path;
    },
  };
}

export interface Harness {
  server: RunningEmulator;
  engine: Engine;
  store: MemoryStore;
  scenario: ScenarioClient;
  /** Runs a document to the end, collecting its events. */
  run(
    doc: GraphDocument,
    o?: { signal?: AbortSignal; onEvent?: (e: RunEvent) => void },
  ): Promise<{
    result: Awaited<ReturnType<Engine['run']>['result']>;
    events: RunEvent[];
  }>;
  /** Another engine on the same emulator and store whose Scenario client works in `projectId` (another account). */
  inProject(projectId: string): Engine;
  /** How many requests of exactly this route (not its sub-routes) the emulator answered with a 2xx. */
  count(route: string): number;
  close(): Promise<void>;
}

/**
 * An emulator on 127.0.0.1 with a manual clock, real clients against it, and an engine with the
 * pack. Polling sleeps advance the emulator's clock instead of waiting, so a 15-minute training
 * takes no wall time; pass `sleep` to steer waiting differently.
 */
export async function startHarness(
  o: {
    sleep?: Sleep;
    files?: FilesService;
    scenarioSecret?: string;
    downloads?: DownloadLimits;
    webhooks?: WebhookService;
  } = {},
): Promise<Harness> {
  const secret = o.scenarioSecret ?? EMULATOR_CREDENTIALS.scenario.secret;
  const server = await startEmulator({
    clock: 'manual',
    port: 0,
    credentials: {
      scenario: [{ key: EMULATOR_CREDENTIALS.scenario.key, secret }],
      modelslab: [EMULATOR_CREDENTIALS.modelslab.key],
    },
  });
  const clock = server.emulator.clock;
  // Client retries wait on the emulator's clock too, so faults cost no wall time.
  const retry = {
    maxRetries: 6,
    sleep: async (ms: number) => {
      clock.advance(ms);
    },
  };
  const scenario = new ScenarioClient({
    baseUrl: `${server.url}/scenario/v1`,
    apiKey: EMULATOR_CREDENTIALS.scenario.key,
    apiSecret: secret,
    retry,
  });
  const modelslab = new ModelsLabClient({
    baseUrl: `${server.url}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
    retry,
  });
  const polling: PollingService = {
    sleep:
      o.sleep ??
      (async (ms) => {
        clock.advance(ms);
      }),
    now: () => clock.now(),
    minIntervalMs: 1000,
  };
  const store = createMemoryStore();
  const engineWith = (client: ScenarioClient) => {
    const services: Record<string, unknown> = { scenario: client, modelslab, polling };
    if (o.files) services.files = o.files;
    if (o.downloads) services.downloads = o.downloads;
    if (o.webhooks) services.webhooks = o.webhooks;
    return createEngine({
      registry: createRegistry(loraPack),
      cache: store,
      journal: store,
      services,
      secrets: [secret, EMULATOR_CREDENTIALS.modelslab.key],
    });
  };
  const engine = engineWith(scenario);
  return {
    server,
    engine,
    store,
    scenario,
    async run(doc, ro = {}) {
      const handle = engine.run(doc, ro.signal ? { signal: ro.signal } : {});
      const events: RunEvent[] = [];
      handle.subscribe((e) => {
        events.push(e);
        ro.onEvent?.(e);
      });
      return { result: await handle.result, events };
    },
    inProject: (projectId) =>
      engineWith(
        new ScenarioClient({
          baseUrl: `${server.url}/scenario/v1`,
          apiKey: EMULATOR_CREDENTIALS.scenario.key,
          apiSecret: secret,
          projectId,
          retry,
        }),
      ),
    count: (route) =>
      server.emulator.log
        .entries({ route })
        .filter((e) => e.route === route && e.status >= 200 && e.status < 300).length,
    close: () => server.close(),
  };
}
