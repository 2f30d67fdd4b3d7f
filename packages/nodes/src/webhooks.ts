import type { AnySchema, NodeContext } from '@loraflow/core';
import { defaultSleep, type Sleep } from '@loraflow/providers';
import { z } from 'zod/mini';
import { type PollingService, polling, pollOptions } from './services';

/**
 * The optional `webhooks` service: where a server is reachable by the providers (`loraflow serve --public-url`), it
 * hands out callback URLs and wakes a waiting node when a verified callback says its job ended. The runtime's
 * `createWebhookReceiver` is one. Without it the nodes poll exactly as before.
 *
 * @example
 * const webhooks: WebhookService = createWebhookReceiver({ publicUrl, secret, kinds: loraWebhookKinds, journal: store });
 */
export interface WebhookService {
  /** The callback URL for a job about to start; `hook` is known before the provider answers (a cache-key tag). */
  url(kind: string, hook: string): Promise<string>;
  /** Binds the URL's hook to the job the provider answered: only callbacks about that job are taken from that URL. */
  bind?(kind: string, hook: string, job: string): Promise<void>;
  /** Resolves once a verified callback says `job` ended; rejects when `signal` aborts. */
  ended(kind: string, job: string, signal: AbortSignal): Promise<void>;
  /** Calls `listener` with each callback about `job` (a stage, for progress only), until the returned function is called. */
  notices?(kind: string, job: string, listener: (notice: { stage?: string | undefined }) => void): () => void;
  /** The poll interval while a webhook is registered (ms): polling stays as a safety net. */
  readonly safetyNetMs: number;
}

/**
 * The callback kinds the pack registers, by the URL segment they arrive under.
 *
 * @example
 * WEBHOOK_KINDS.modelslabTraining; // 'modelslab-training'
 */
export const WEBHOOK_KINDS = {
  modelslabTraining: 'modelslab-training',
  modelslabImage: 'modelslab-image',
} as const;

// Longest pause once a callback said the job ended but the status read did not show it yet.
const AFTER_WAKE_MS = 30_000;

const id = z.pipe(
  z.union([z.string().check(z.minLength(1), z.maxLength(128)), z.number().check(z.int(), z.gte(0))]),
  z.transform(String),
);
const failed = (status: string) => status === 'error' || status === 'failed';

/**
 * How each kind's body is read (zod, loose: the vendor adds fields). ModelsLab's training webhook is
 * `{ status, training_status, logs, model_id }` once per stage (the train-model spec's WebhookPayload); its text2img
 * webhook is the finished result with `id` and the caller's `track_id` (the text2img page). Neither is signed.
 *
 * @example
 * createWebhookReceiver({ publicUrl, secret, kinds: loraWebhookKinds });
 */
export const loraWebhookKinds = {
  [WEBHOOK_KINDS.modelslabTraining]: z.pipe(
    z.looseObject({
      status: z.string().check(z.maxLength(64)),
      training_status: z.optional(z.string().check(z.maxLength(64))),
      model_id: id,
    }),
    z.transform((b) => ({
      job: b.model_id,
      ended: b.training_status === 'model_ready' || failed(b.status),
      stage: b.training_status ?? b.status,
    })),
  ),
  [WEBHOOK_KINDS.modelslabImage]: z.pipe(
    z.looseObject({ status: z.string().check(z.maxLength(64)), id }),
    z.transform((b) => ({
      job: b.id,
      ended: b.status === 'success' || failed(b.status),
      stage: b.status,
    })),
  ),
} satisfies Record<string, AnySchema<{ job: string; ended: boolean; stage?: string }>>;

/** The webhooks service when the host gave one. */
export function webhooks(ctx: Pick<NodeContext, 'services'>): WebhookService | undefined {
  return ctx.services.has('webhooks') ? ctx.services.get<WebhookService>('webhooks') : undefined;
}

/**
 * The callback URL to hand a provider for a job about to start, or undefined without a webhooks service.
 *
 * @example
 * const webhook = await hookUrl(ctx, WEBHOOK_KINDS.modelslabTraining, remoteTag(ctx.key));
 */
export async function hookUrl(
  ctx: Pick<NodeContext, 'services'>,
  kind: string,
  hook: string,
): Promise<string | undefined> {
  return webhooks(ctx)?.url(kind, hook);
}

/**
 * Tells the webhooks service which job a callback URL was handed out for, once the provider answered its id. Never
 * throws: should the bind fail, the job's callbacks are not recorded and its wait finds the end by polling.
 *
 * @example
 * await bindHook(ctx, WEBHOOK_KINDS.modelslabTraining, remoteTag(ctx.key), started.trainingId);
 */
export async function bindHook(
  ctx: Pick<NodeContext, 'services'>,
  kind: string,
  hook: string,
  job: string,
): Promise<void> {
  // a callback only wakes a wait that polls anyway: a bind that fails must not fail a job already started (and billed)
  await webhooks(ctx)
    ?.bind?.(kind, hook, job)
    .catch(() => undefined);
}

/**
 * The polling options for a job: as configured when no webhook announces it; else the safety-net interval, and a
 * sleep that a callback saying the job ended cuts short, so the next status read comes at once.
 *
 * @example
 * await waitForModelsLabTraining({ ...hookPolling(ctx, hooked ? { kind, job } : undefined), client, trainingId });
 */
export function hookPolling(
  ctx: Pick<NodeContext, 'services'>,
  hook: { kind: string; job: string } | undefined,
): PollingService {
  const base = pollOptions(polling(ctx));
  const service = hook ? webhooks(ctx) : undefined;
  if (!hook || !service) return base;
  const sleep = base.sleep ?? defaultSleep;
  let woken = false;
  const wakeable: Sleep = async (ms, signal) => {
    // After one wake the end is known: a vendor slow to show it is read again soon, never in a loop of wakes.
    if (woken) return sleep(Math.min(ms, AFTER_WAKE_MS), signal);
    const cut = new AbortController();
    const forward = () => cut.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    service.ended(hook.kind, hook.job, cut.signal).then(
      () => {
        woken = true;
        cut.abort();
      },
      () => undefined,
    );
    try {
      await sleep(ms, cut.signal);
    } catch (error) {
      if (!woken || signal?.aborted) throw error;
    } finally {
      signal?.removeEventListener('abort', forward);
      cut.abort();
    }
  };
  return {
    ...base,
    sleep: wakeable,
    minIntervalMs: service.safetyNetMs,
    maxIntervalMs: Math.max(service.safetyNetMs, base.maxIntervalMs ?? 0),
  };
}
