import { type NodeContext, NodeRunError } from '@loraflow/core';
import {
  defaultSleep,
  type Model,
  type ModelProgress,
  modelPhase,
  ProviderError,
  RateLimitError,
  type ScenarioClient,
  waitForModel,
} from '@loraflow/providers';
import { NODE_ERROR_CODES, polling, pollOptions, signalOf } from './services';

/**
 * Finds the model a previous attempt created, by the deterministic tag it put in the model's
 * name and description: how a resumed run avoids creating a second model. A model whose training
 * was cancelled or failed is never found: its work cannot be used, so it is made again.
 *
 * @example
 * const existing = await findModelByTag(scenario, 'flux.1-lora', 'lf-3fa9c0d2e1b4a7f6', signal);
 */
export async function findModelByTag(
  scenario: ScenarioClient,
  type: string,
  tag: string,
  signal?: AbortSignal,
): Promise<Model | undefined> {
  const call = signal ? { signal } : {};
  for await (const m of scenario.iterateModels({ type }, call)) {
    const tagged = (m.shortDescription ?? '').includes(tag) || (m.name ?? '').includes(tag);
    if (tagged && !DEAD_PHASES.has(modelPhase(m.status))) return m;
  }
  return undefined;
}

const DEAD_PHASES: ReadonlySet<string> = new Set(['canceled', 'failed']);

/**
 * False when a model's training was cancelled or failed (or the model is gone): what a cache
 * lookup or a recorded result pointing at it must not be reused for. Decision 0027.
 *
 * @example
 * reusable: ({ outputs, services }) => modelUsable(services.get('scenario'), outputs.training.modelId)
 */
export async function modelUsable(
  scenario: ScenarioClient,
  modelId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const model = await scenario.getModel(modelId, signal ? { signal } : {});
    return !DEAD_PHASES.has(modelPhase(model.status));
  } catch (error) {
    if (error instanceof ProviderError && error.status === 404) return false;
    throw error;
  }
}

/**
 * One line a person reads about a training's state.
 *
 * @example
 * describeTraining({ status: 'training', stage: 'queued-for-train', position: 2 }); // 'queued-for-train, 2 ahead in the queue'
 */
export function describeTraining(
  p: Pick<ModelProgress, 'status' | 'stage' | 'position' | 'progress' | 'remainingTimeMs'>,
): string {
  const parts = [p.stage ?? p.status];
  if (p.position !== undefined && p.position > 0) parts.push(`${p.position} ahead in the queue`);
  if (p.progress !== undefined && p.progress > 0) parts.push(`${Math.round(p.progress * 100)}%`);
  if (p.remainingTimeMs !== undefined && p.remainingTimeMs > 0) {
    const s = Math.round(p.remainingTimeMs / 1000);
    parts.push(s >= 120 ? `about ${Math.round(s / 60)} min left` : `about ${s} s left`);
  }
  return parts.join(', ');
}

/**
 * Waits for a Scenario model to finish training with the providers' polling helper, reporting
 * stage, queue position, progress and remaining time as node progress; a cancelled run asks
 * Scenario to cancel the training. A failed or cancelled training fails the node with the
 * provider's reason.
 *
 * @example
 * const model = await waitForTrained(ctx, scenario, { modelId, jobId, timeoutMs: 3_600_000 });
 */
export async function waitForTrained(
  ctx: Pick<NodeContext, 'services' | 'signal' | 'progress'>,
  scenario: ScenarioClient,
  o: { modelId: string; jobId?: string | undefined; timeoutMs: number },
): Promise<Model> {
  let model: Model;
  try {
    model = await waitForModel({
      ...pollOptions(polling(ctx)),
      client: scenario,
      modelId: o.modelId,
      timeoutMs: o.timeoutMs,
      signal: signalOf(ctx),
      cancelOnAbort: true,
      onProgress: (p) => {
        const detail: Record<string, number> = {};
        if (p.position !== undefined) detail.position = p.position;
        if (p.progress !== undefined) detail.progress = p.progress;
        if (p.remainingTimeMs !== undefined) detail.remainingTimeMs = p.remainingTimeMs;
        ctx.progress(Math.min(1, Math.max(0, p.progress ?? 0)), describeTraining(p), detail);
      },
    });
  } catch (error) {
    if (error instanceof Error && (error as { code?: unknown }).code === 'wait_timeout') {
      throw new NodeRunError(
        NODE_ERROR_CODES.trainingTimeout,
        `Model ${o.modelId} was still training after ${Math.round(o.timeoutMs / 60_000)} min; run again to keep waiting (the training is not restarted).`,
      );
    }
    throw error;
  }
  const phase = modelPhase(model.status);
  if (phase === 'trained') return model;
  const reason = await failureReason(scenario, o.jobId, signalOf(ctx));
  if (phase === 'canceled') {
    throw new NodeRunError(
      NODE_ERROR_CODES.trainingCancelled,
      `The training of model ${o.modelId} was cancelled at Scenario${reason ? `: ${reason}` : ''}.`,
    );
  }
  throw new NodeRunError(
    NODE_ERROR_CODES.trainingFailed,
    `The training of model ${o.modelId} failed at Scenario: ${reason ?? `the model ended "${model.status}" and Scenario gave no reason`}.`,
  );
}

async function failureReason(
  scenario: ScenarioClient,
  jobId: string | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!jobId) return undefined;
  try {
    const job = await scenario.getJob(jobId, { signal });
    return job.metadata?.error;
  } catch {
    // the reason is a courtesy; the failure itself is already known
    return undefined;
  }
}

/**
 * Performs a remote create at most once in effect, through flaky networks (decision 0027): when
 * the attempt fails in a way that leaves it unknown whether the provider acted (a reset, a 5xx, a
 * timeout after sending), `find` looks for what it would have created before trying again. A
 * create that cannot be found (`find` absent) is never sent again after such a failure unless it is
 * `idempotent`: the node fails with `provider.ambiguous` rather than pay twice. A request the
 * provider surely did not act on (refused before sending, 429) is tried again. Errors that are not
 * retryable, and cancellation, go straight through.
 *
 * @example
 * const model = await createOnce(ctx, { attempt: () => scenario.createModel(body), find: () => findModelByTag(scenario, type, tag) });
 */
export async function createOnce<T>(
  ctx: Pick<NodeContext, 'services' | 'signal'>,
  o: {
    attempt: () => Promise<T>;
    find?: (() => Promise<T | undefined>) | undefined;
    idempotent?: boolean;
    tries?: number;
  },
): Promise<T> {
  const tries = o.tries ?? 5;
  const sleep = polling(ctx).sleep ?? defaultSleep;
  for (let i = 0; ; i++) {
    try {
      return await o.attempt();
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || error.code === 'aborted') throw error;
      if (i + 1 >= tries || signalOf(ctx).aborted) throw error;
      if (!o.idempotent && mayHaveActed(error)) {
        if (!o.find) throw ambiguous(error);
        const found = await o.find();
        if (found !== undefined) return found;
      }
      await sleep(error.retryAfterMs ?? Math.min(30_000, 1000 * 2 ** i), signalOf(ctx));
    }
  }
}

// Only a request refused before it was sent, or a rate limit, surely left nothing behind.
const mayHaveActed = (e: ProviderError) => e.requestSent && !(e instanceof RateLimitError);

function ambiguous(error: ProviderError): NodeRunError {
  return new NodeRunError(
    NODE_ERROR_CODES.providerAmbiguous,
    `${error.message.replace(/\.$/, '')}; the request may have reached the provider, and it has no way to look it up, so it was not sent again (that could charge twice). Run again to send it once more.`,
  );
}

/**
 * `{ jobId: null }` when a model's training has started (or ended) already, else `undefined`:
 * how a repeated or resumed train call learns it must not train again.
 *
 * @example
 * const started = await startedAlready(scenario, 'model_abc');
 */
export async function startedAlready(
  scenario: ScenarioClient,
  modelId: string,
  signal?: AbortSignal,
): Promise<{ jobId: string | null } | undefined> {
  const model = await scenario.getModel(modelId, signal ? { signal } : {});
  return modelPhase(model.status) === 'not-trained' ? undefined : { jobId: null };
}
