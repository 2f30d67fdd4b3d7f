// Cancel of a run whose executor died (decision 0032, "Cancel of a run nobody executes"): nobody will act on a cancel
// request, and a training it started may go on being billed, so the canceller reads the run's journal and asks each
// node type's stopper to end at the provider what the run started, before it closes the run.
import {
  createRunStateFold,
  type EffectClaims,
  initialRunState,
  type JournalRecord,
  type JsonValue,
  type NodeStatus,
  type RunEvent,
} from '@loraflow/core';
import type { NodeRecord, RunRecord } from './store/types';

/**
 * One side-effect step of a run nobody executes any more, as a {@link WorkStopper} is given it: what the run's
 * journal recorded of the node (its effects by name: `create`, `train`, `upload-0`…), the node's last status and
 * outputs in the run record, and the services of the run's account.
 *
 * @example
 * const modelId = (step.effects.create?.result as { modelId?: string } | undefined)?.modelId;
 */
export interface StopStep {
  runId: string;
  nodeId: string;
  nodeType: string;
  status: NodeRecord['status'];
  /** This run's journal records of the node, by effect name; an `intent` record is a call that may have been received. */
  effects: Readonly<Record<string, JournalRecord>>;
  outputs?: Readonly<Record<string, JsonValue>>;
  /** The services the run's nodes had (a tenant's run: its own clients); undefined for a name that is not there. */
  services: { get<T>(name: string): T | undefined };
  signal: AbortSignal;
}

/**
 * What a stopper found: `cancelled` (the provider was asked to stop the work), `ended` (the provider says it had
 * ended, or it never started) or `unknown` (it could not tell: the run's events carry a warning). `message` is one
 * sentence for the run's events.
 *
 * @example
 * const answer: StopAnswer = { outcome: 'cancelled', message: 'Asked Scenario to cancel the training of model m1.' };
 */
export interface StopAnswer {
  outcome: 'cancelled' | 'ended' | 'unknown';
  message: string;
}

/**
 * Ends, at the provider, what one node type started, for a run whose executor died: reads the step's journal
 * records, asks the provider where the work stands (never repeating a call blindly) and cancels it when it is going.
 * Given to `createRuntime({ stoppers: { 'lora.train': … } })`; a node type without one is reported as a warning.
 *
 * @example
 * const stopTraining: WorkStopper = async ({ effects, services }) => {
 *   const id = (effects.train?.result as { jobId?: string } | undefined)?.jobId;
 *   if (!id) return { outcome: 'ended', message: 'No training was started.' };
 *   await services.get<{ cancel(id: string): Promise<void> }>('fake')!.cancel(id);
 *   return { outcome: 'cancelled', message: `Asked the provider to cancel job ${id}.` };
 * };
 */
export type WorkStopper = (step: StopStep) => Promise<StopAnswer>;

/** What closing an orphaned run needs from the runtime. */
export interface OrphanContext {
  listRecords(runId: string): Promise<JournalRecord[]>;
  /** The node types that may call providers (their definition has `sideEffects`). */
  sideEffects(nodeType: string): boolean;
  stoppers: Readonly<Record<string, WorkStopper>>;
  /** The run's services, or a sentence saying why there are none (a tenant whose keys are not at hand). */
  services(record: RunRecord): Promise<{ get<T>(name: string): T | undefined } | string>;
  redact(text: string): string;
  now(): number;
  /**
   * The effect claims runs share (decision 0031): a step's work another run now waits on or has taken over (its claim
   * held by that run) is left running for it, and a step being stopped is held so no run starts relying on it meanwhile.
   */
  claims: EffectClaims;
}

/** How long one stopper may take before its step is reported unknown: a provider that hangs must not hold the cancel. */
export const STOP_STEP_MS = 30_000;

// outputs that are final: a node so ended without a stopper has nothing going on at the provider
const FINAL: ReadonlySet<string> = new Set(['succeeded', 'cached']);

/**
 * The events that close an orphaned run, numbered after `lastSeq`: one `node.log` per side-effect step the run's
 * journal shows started (info when stopped or found ended, warn when it could not be), `node.cancelled` for every
 * node left unfinished, and `run.finished` cancelled; plus the node records to store with them.
 *
 * @example
 * const { events, nodes } = await orphanClosing(context, record, lastSeq);
 */
export async function orphanClosing(
  context: OrphanContext,
  record: RunRecord,
  lastSeq: number,
): Promise<{ events: RunEvent[]; nodes: Record<string, NodeRecord> }> {
  const at = context.now();
  let seq = lastSeq;
  const events: RunEvent[] = [];
  const emit = (event: Record<string, unknown>) => {
    events.push({ ...event, seq: ++seq, runId: record.runId, at } as unknown as RunEvent);
  };
  const records = await context.listRecords(record.runId);
  const services = await context.services(record);
  const types = new Map(record.doc.nodes.map((n) => [n.id, n.type]));
  for (const [nodeId, node] of Object.entries(record.nodes)) {
    const nodeType = types.get(nodeId);
    // a cached node may be this run's own work from an earlier attempt: its journal records say so, not its status
    if (nodeType === undefined || node.key === '') continue;
    if (!context.sideEffects(nodeType)) continue;
    const effects: Record<string, JournalRecord> = {};
    for (const r of records)
      if (r.runId === record.runId && r.key.startsWith(`${node.key}/`))
        effects[r.key.slice(node.key.length + 1)] = r;
    // nothing journaled: this run asked the provider for nothing on the node's behalf
    if (Object.keys(effects).length === 0) continue;
    // held while this step is stopped, so no run starts relying on the work meanwhile
    const claimOwner = `${record.runId}@orphan-cancel`;
    const claim = await context.claims.acquire(node.key, claimOwner, STOP_STEP_MS + 5_000);
    // the dead executor's own claim (owner "<runId>@…") may not have lapsed yet; any other holder relies on the work
    if (!claim.acquired && !claim.heldBy.startsWith(`${record.runId}@`)) {
      emit({
        type: 'node.log',
        nodeId,
        level: 'info',
        message: `Run ${claim.heldBy.split('@')[0]} relies on what this step started, so it was left running for that run.`,
      });
      continue;
    }
    const stopper = context.stoppers[nodeType];
    const answer: StopAnswer = !stopper
      ? FINAL.has(node.status)
        ? { outcome: 'ended', message: '' }
        : {
            outcome: 'unknown',
            message: `${nodeType} has no way to stop what it started at the provider; it may go on (and be billed) until it ends.`,
          }
      : typeof services === 'string'
        ? { outcome: 'unknown', message: services }
        : await stopOne(stopper, {
            runId: record.runId,
            nodeId,
            nodeType,
            status: node.status,
            effects,
            ...(node.outputs ? { outputs: node.outputs } : {}),
            services,
          });
    if (claim.acquired) await context.claims.release(node.key, claimOwner).catch(() => {});
    if (answer.message === '') continue;
    emit({
      type: 'node.log',
      nodeId,
      level: answer.outcome === 'unknown' ? 'warn' : 'info',
      message: context.redact(answer.message),
    });
  }
  const nodes = structuredClone(record.nodes);
  for (const [nodeId, node] of Object.entries(nodes)) {
    if (!['pending', 'queued', 'running'].includes(node.status)) continue;
    node.status = 'cancelled';
    delete node.outputs;
    emit({ type: 'node.cancelled', nodeId });
  }
  // every status at zero, as the core's fold counts an empty run
  const counts: Record<NodeStatus, number> = {
    ...createRunStateFold(initialRunState(record.runId, at)).counts(),
  };
  for (const node of Object.values(nodes)) counts[node.status]++;
  emit({ type: 'run.finished', status: 'cancelled', counts });
  return { events, nodes };
}

async function stopOne(stopper: WorkStopper, step: Omit<StopStep, 'signal'>): Promise<StopAnswer> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // raced, not only signalled: a stopper that ignores its signal must not hold the cancel (nor the run's lease) forever
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new DOMException(`no answer within ${STOP_STEP_MS / 1000} s`, 'TimeoutError');
      controller.abort(reason);
      reject(reason);
    }, STOP_STEP_MS);
  });
  try {
    return await Promise.race([stopper({ ...step, signal: controller.signal }), late]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      outcome: 'unknown',
      message: `Stopping what ${step.nodeType} started at the provider failed (${reason.replace(/\.$/, '')}); it may go on until it ends.`,
    };
  } finally {
    clearTimeout(timer);
  }
}
