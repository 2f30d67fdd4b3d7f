import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createRegistry, type GraphDocument } from '@loraflow/core';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { loraPack, loraWebhookKinds } from '@loraflow/nodes';
import { ModelsLabClient, type Sleep } from '@loraflow/providers';
import {
  createMemoryStore,
  createRuntime,
  createRuntimeHandler,
  createWebhookReceiver,
  type LocalRuntime,
  type WebhookReceiver,
} from '@loraflow/runtime';
import { encode } from 'fast-png';
import { examplesDir } from './spawn-cli';

/**
 * How the rig's polls wait: `stepped` advances the emulator's clock a second at a time (letting its webhooks reach the
 * server between steps) until the pause is over or a callback cuts it; `held` never ends a pause by itself, so only a
 * callback can end it.
 */
export type RigSleep = 'stepped' | 'held';

/** A ModelsLab training behind a runtime HTTP handler on loopback, on an emulator whose clock the rig drives. */
export interface WebhookRig {
  emulator: RunningEmulator;
  runtime: LocalRuntime;
  webhooks: WebhookReceiver | undefined;
  /** The pauses the polls asked for (ms), in order. */
  sleeps: number[];
  /** Status reads of the training the emulator answered. */
  statusReads(): number;
  /** Answered requests of one emulator route, e.g. `modelslab.images.fetch`. */
  count(route: string): number;
  close(): Promise<void>;
}

/**
 * Starts the rig: the emulator with a manual clock and a `trainingMs` ModelsLab training, the runtime with the pack
 * and a memory store, its handler served on 127.0.0.1 — with a webhook receiver at that address when `webhooks`.
 */
export async function startWebhookRig(o: {
  webhooks: boolean;
  sleep: RigSleep;
  trainingMs?: number;
}): Promise<WebhookRig> {
  const emulator = await startEmulator({
    clock: 'manual',
    port: 0,
    timings: { modelslabTrainingMs: o.trainingMs ?? 15 * 60_000 },
  });
  const clock = emulator.emulator.clock;
  const sleeps: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    sleeps.push(ms);
    if (o.sleep === 'held') {
      await new Promise<never>((_, reject) =>
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    }
    for (let left = ms; left > 0; left -= 1000) {
      signal?.throwIfAborted();
      clock.advance(Math.min(1000, left));
      // a webhook due in this second has reached the server (and woken its waiter) before the next step
      await emulator.emulator.webhooks.settle();
    }
  };
  const store = createMemoryStore();
  let handler: ((request: Request) => Promise<Response>) | undefined;
  const http = serve({
    fetch: (request) => handler?.(request) ?? Promise.resolve(new Response(null, { status: 503 })),
    port: 0,
    hostname: '127.0.0.1',
  }) as Server;
  await new Promise<void>((resolve) => http.once('listening', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const webhooks = o.webhooks
    ? createWebhookReceiver({
        publicUrl: url,
        secret: 'a-test-server-secret-that-is-32-bytes-long',
        kinds: loraWebhookKinds,
        journal: store,
      })
    : undefined;
  const modelslab = new ModelsLabClient({
    baseUrl: `${emulator.url}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
    retry: { sleep: async (ms) => void clock.advance(ms) },
  });
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store,
    services: {
      modelslab,
      polling: { sleep, now: () => clock.now() },
      ...(webhooks ? { webhooks } : {}),
    },
    secrets: [EMULATOR_CREDENTIALS.modelslab.key],
  });
  const count = (route: string) =>
    emulator.emulator.log.entries({ route }).filter((e) => e.status >= 200 && e.status < 300).length;
  handler = createRuntimeHandler(runtime, {
    token: 'a-bearer-token-the-provider-never-has',
    ...(webhooks ? { webhooks } : {}),
  });
  return {
    emulator,
    runtime,
    webhooks,
    sleeps,
    statusReads: () => count('modelslab.training.status'),
    count,
    async close() {
      await runtime.interrupt();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await emulator.close();
    },
  };
}

/** Three small PNGs, a ModelsLab SDXL training on them, and its wait. */
export function trainingGraph(): GraphDocument {
  const png = (seed: number) => {
    const data = new Uint8Array(16 * 16 * 3).map((_, i) => (seed * 37 + i * 11) % 256);
    const bytes = encode({ width: 16, height: 16, data, channels: 3 });
    return `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
  };
  return {
    format: 'loraflow.graph',
    version: 1,
    nodes: [
      { id: 'set', type: 'training.set', params: { images: [1, 2, 3].map((i) => ({ dataUrl: png(i) })) } },
      {
        id: 'train',
        type: 'lora.trainModelsLab',
        params: {
          family: 'sd-xl',
          instancePrompt: 'photo of lnt0 lantern',
          classPrompt: 'photo of a lantern',
        },
      },
      { id: 'wait', type: 'lora.wait', params: {} },
    ],
    edges: [
      { id: 'a', from: { node: 'set', port: 'set' }, to: { node: 'train', port: 'set' } },
      { id: 'b', from: { node: 'train', port: 'training' }, to: { node: 'wait', port: 'training' } },
    ],
  };
}

/** The README's ModelsLab example: a text-to-image with two public LoRAs. */
export async function generationGraph(): Promise<GraphDocument> {
  return JSON.parse(await readFile(join(examplesDir, 'modelslab-multi-lora.json'), 'utf8')) as GraphDocument;
}
