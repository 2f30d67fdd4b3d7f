import { type NodeContext, NodeRunError } from '@loraflow/core';
import type { DownloadLimits, ModelsLabClient, ScenarioClient, Sleep } from '@loraflow/providers';
import type { WebhookService } from './webhooks';

/**
 * Reads and writes files for the pack (training images from disk, saved images). The host
 * provides it, so the pack itself never imports `node:fs` and also runs in a browser.
 *
 * @example
 * const files: FilesService = {
 *   read: (path) => fs.readFile(resolve(root, path)).then((b) => new Uint8Array(b)),
 *   write: async (path, bytes) => { await fs.writeFile(resolve(root, path), bytes); return resolve(root, path); },
 * };
 */
export interface FilesService {
  /** The bytes of a file the graph names (a path relative to wherever the host decides). */
  read(path: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** Writes bytes; answers where they went (a path or URL to show the person). */
  write?(path: string, bytes: Uint8Array, mime: string): Promise<string | undefined>;
}

/**
 * How the waiting nodes poll: injected so tests and emulators with a fast clock need not sleep
 * for real minutes. Every field is optional.
 *
 * @example
 * const polling: PollingService = { sleep: (ms) => clock.advance(ms), maxIntervalMs: 50 };
 */
export interface PollingService {
  sleep?: Sleep;
  now?: () => number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
}

/**
 * Every service the pack asks the host for, by name: pass them as `services` to the engine or
 * runtime. Credentials live inside the clients; they never pass through node params.
 *
 * | name | type | used by |
 * | --- | --- | --- |
 * | `scenario` | `ScenarioClient` | every Scenario node |
 * | `modelslab` | `ModelsLabClient` | `lora.source` (no call), `generate.multiLora` |
 * | `files` | {@link FilesService} | `training.set` (`file` sources), `image.save` |
 * | `fetch` | WHATWG `fetch` | `training.set` (`url` sources; default: the providers' pinned transport, public addresses only) |
 * | `downloads` | `DownloadLimits` | `training.set` (`url` sources: size, time, `allowOrigins`, `addresses`) |
 * | `polling` | {@link PollingService} | `lora.wait`, `lora.compose`, `generate.multiLora` |
 * | `webhooks` | `WebhookService` (optional) | `lora.trainModelsLab`, `lora.wait` (ModelsLab): callbacks instead of polling |
 *
 * @example
 * createEngine({ registry, services: { scenario: new ScenarioClient({ apiKey, apiSecret }), files } });
 */
export interface LoraServices {
  scenario: ScenarioClient;
  modelslab: ModelsLabClient;
  files: FilesService;
  fetch: typeof fetch;
  downloads: DownloadLimits;
  polling: PollingService;
  webhooks: WebhookService;
}

/**
 * The service names, with what a person is told when one is missing.
 *
 * @example
 * SERVICE_DOCS.files; // what to pass as the files service
 */
export const SERVICE_DOCS: Readonly<Record<keyof LoraServices, string>> = {
  scenario:
    'a Scenario client (new ScenarioClient({ apiKey, apiSecret })); the runtime and the CLI configure it from SCENARIO_API_KEY and SCENARIO_API_SECRET, or use the emulator',
  modelslab:
    'a ModelsLab client (new ModelsLabClient({ apiKey })); the runtime and the CLI configure it from MODELSLAB_API_KEY, or use the emulator',
  files:
    'a files service ({ read(path), write?(path, bytes, mime) }) that the host provides to reach its disk',
  fetch: 'a fetch function',
  downloads: 'download limits ({ maxBytes?, timeoutMs?, allowOrigins?, addresses? })',
  polling: 'polling settings',
  webhooks:
    "a webhooks service ({ url(kind, hook), ended(kind, job, signal), safetyNetMs }), such as the runtime's createWebhookReceiver",
};

/**
 * The stable codes the pack's nodes fail with, beside the providers' own codes.
 *
 * @example
 * if (result.nodes.gen?.error?.code === NODE_ERROR_CODES.strengthRange) showStrengthHelp();
 */
export const NODE_ERROR_CODES = {
  serviceMissing: 'service.missing',
  inputInvalid: 'input.invalid',
  inputMissing: 'input.missing',
  blobMissing: 'blob.missing',
  loraNotFound: 'lora.not-found',
  loraTypeMismatch: 'lora.type-mismatch',
  loraNotTrained: 'lora.not-trained',
  loraUnknownType: 'lora.unknown-type',
  loraNotALora: 'lora.not-a-lora',
  mixedFamilies: 'lora.mixed-families',
  mixedProviders: 'lora.mixed-providers',
  notComposable: 'lora.not-composable',
  noPrompt: 'generate.no-prompt',
  noRoute: 'generate.no-route',
  oneComposition: 'generate.one-composition',
  strengthRange: 'generate.strength-out-of-range',
  sizeRange: 'generate.size-out-of-range',
  samplesRange: 'generate.samples-out-of-range',
  stepsRange: 'generate.steps-out-of-range',
  guidanceRange: 'generate.guidance-out-of-range',
  generationFailed: 'generate.failed',
  providerAmbiguous: 'provider.ambiguous',
  trainingFailed: 'training.failed',
  trainingCancelled: 'training.cancelled',
  trainingTimeout: 'training.timeout',
  setEmpty: 'training-set.empty',
  setTooFewPairs: 'training-set.too-few-pairs',
  imageUnreadable: 'training-set.image-unreadable',
  imageUndecodable: 'training-set.image-undecodable',
  urlForbidden: 'url.forbidden',
  nothingToSave: 'image.nothing-to-save',
  definitionOnly: 'node.definition-only',
} as const;

/**
 * Fetches a service the pack needs, failing the node with `service.missing` and a sentence
 * that says what to provide, instead of crashing on `undefined`.
 *
 * @example
 * const scenario = need(ctx, 'scenario');
 */
export function need<K extends keyof LoraServices>(
  ctx: Pick<NodeContext, 'services'>,
  name: K,
): LoraServices[K] {
  if (!ctx.services.has(name)) {
    throw new NodeRunError(
      NODE_ERROR_CODES.serviceMissing,
      `This node needs the "${name}" service, which the host did not provide: pass ${SERVICE_DOCS[name]}.`,
    );
  }
  return ctx.services.get<LoraServices[K]>(name);
}

/** The optional polling service, or an empty one. */
export function polling(ctx: Pick<NodeContext, 'services'>): PollingService {
  return ctx.services.has('polling') ? ctx.services.get<PollingService>('polling') : {};
}

/** Polling options without keys whose value is undefined (the helpers use exact optional types). */
export function pollOptions(p: PollingService): PollingService {
  const out: PollingService = {};
  if (p.sleep) out.sleep = p.sleep;
  if (p.now) out.now = p.now;
  if (p.minIntervalMs !== undefined) out.minIntervalMs = p.minIntervalMs;
  if (p.maxIntervalMs !== undefined) out.maxIntervalMs = p.maxIntervalMs;
  return out;
}

/**
 * A short deterministic tag derived from a node's cache key: it names what the node creates
 * remotely, so a resumed run can find it again instead of creating it twice.
 *
 * @example
 * remoteTag('3fa9c0…'); // 'lf-3fa9c0d2e1b4a7f6'
 */
export function remoteTag(key: string): string {
  return `lf-${key.replace(/[^0-9a-z]/gi, '').slice(0, 16)}`;
}

/** The run's signal as the providers' clients type it (DOM `AbortSignal`). */
export function signalOf(ctx: Pick<NodeContext, 'signal'>): AbortSignal {
  return ctx.signal as AbortSignal;
}
