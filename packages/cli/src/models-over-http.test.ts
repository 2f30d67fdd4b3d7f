import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createRegistry, sniffImageType } from '@loraflow/core';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { createLoraModelSources, loraPack } from '@loraflow/nodes';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
import { createRemoteRuntime, createRuntime, createRuntimeHandler, type Runtime } from '@loraflow/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let emulator: RunningEmulator;
let server: Server;
let remote: Runtime;

beforeEach(async () => {
  emulator = await startEmulator({ clock: 'manual', port: 0 });
  const scenario = new ScenarioClient({
    baseUrl: `${emulator.url}/scenario/v1`,
    apiKey: EMULATOR_CREDENTIALS.scenario.key,
    apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
  });
  const modelslab = new ModelsLabClient({
    baseUrl: `${emulator.url}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
  });
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    services: { scenario, modelslab },
    models: createLoraModelSources({ scenario, modelslab }),
    secrets: [EMULATOR_CREDENTIALS.scenario.secret, EMULATOR_CREDENTIALS.modelslab.key],
  });
  const port = await new Promise<number>((resolve) => {
    server = serve(
      { fetch: createRuntimeHandler(runtime), port: 0, hostname: '127.0.0.1' },
      (info: AddressInfo) => resolve(info.port),
    ) as Server;
  });
  remote = createRemoteRuntime({ baseUrl: `http://127.0.0.1:${port}` });
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await emulator.close();
});

describe('the model picker over HTTP (remote client → runtime handler → emulator)', () => {
  it('finds a public LoRA by name with its family, and its picture arrives as PNG bytes, not a URL', async () => {
    const { models } = await remote.models({ search: 'watercolor', kind: 'lora', family: 'flux.1' });
    expect(models).toEqual([
      expect.objectContaining({
        id: 'model_flux1-watercolor',
        provider: 'scenario',
        family: 'flux.1',
        familyLabel: 'FLUX.1',
        modelType: 'flux.1-lora',
        thumbnail: 'scenario:model_flux1-watercolor',
      }),
    ]);
    expect(JSON.stringify(models)).not.toMatch(/https?:|Signature/);
    const bytes = await remote.modelThumbnail(models[0]!.thumbnail!);
    expect(bytes && sniffImageType(bytes)).toBe('image/png');
  });

  it('pages across both providers with the cursor, ModelsLab checkpoints after Scenario models', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await remote.models({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.models.map((m) => `${m.provider}:${m.id}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('scenario:model_flux1-neon-noir');
    expect(seen.at(-1)).toMatch(/^modelslab:/);
    const firstModelsLab = seen.findIndex((s) => s.startsWith('modelslab:'));
    expect(seen.slice(firstModelsLab).every((s) => s.startsWith('modelslab:'))).toBe(true);
  });
});
