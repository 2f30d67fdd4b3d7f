// Cancel across processes (decision 0032, "Cancel across processes"): `cancel` of a run another process executes
// records a request in the run record; the executor reads it with its next fenced write and cancels the run itself.
import type { EffectClaims } from '@loraflow/core';
import { RUNTIME_CODES, RuntimeError } from './errors';
import { executorAlive, whileTakingUp } from './run-lease';
import type { RunRecord, RuntimeStore } from './store/types';

/** How long a writer waits, at most, for the run's take-up claim before it gives up (it is held for milliseconds). */
const CLAIM_WAIT_MS = 2_000;
const CLAIM_RETRY_MS = 10;

const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });

/** {@link whileTakingUp}, waiting for the claim while another process holds it for a moment (a write, a resume). */
async function underRunClaim<T>(
  claims: EffectClaims,
  runId: string,
  owner: string,
  work: () => Promise<T>,
): Promise<{ value: T } | undefined> {
  for (let waited = 0; ; waited += CLAIM_RETRY_MS) {
    const taken = await whileTakingUp(claims, runId, owner, work);
    if (taken || waited >= CLAIM_WAIT_MS) return taken;
    await pause(CLAIM_RETRY_MS);
  }
}

/**
 * Between two beats of an idle run (a long training), the executor reads its record this often for a cancel request:
 * a press of Cancel elsewhere acts within this, not within a heartbeat (20 s by default).
 */
export const CANCEL_WATCH_MS = 5_000;

/** What the runtime gives the two halves of a cross-process cancel. */
export interface CancelContext {
  store: RuntimeStore;
  claims: EffectClaims;
  /** The runtime's lease owner id. */
  owner: string;
  now: () => number;
  leaseMs: number;
}

/**
 * Cancels a run this process does not execute: a run whose executor's lease is live gets a cancel request
 * (`cancelRequestedAt`) for that executor to act on; a queued run, or one whose executor is gone, is closed as
 * cancelled here. Read and written under the run's take-up claim, so it races neither a resume nor the executor's
 * writes. An orphaned run (an attempt started, its executor gone) is given to `close` under this runtime's lease
 * instead, which stops at the provider what the run started before it closes the run. Answers what it did:
 * `requested`, `cancelled`, or `ended` (the run had already finished).
 *
 * @example
 * const done = await requestCancel({ store, claims, owner, now: Date.now, leaseMs: 60_000 }, runId); // 'requested'
 */
export async function requestCancel(
  context: CancelContext,
  runId: string,
  close?: (record: RunRecord) => Promise<void>,
): Promise<'requested' | 'cancelled' | 'ended'> {
  const { store, now, leaseMs } = context;
  let orphan: RunRecord | undefined;
  const taken = await underRunClaim(context.claims, runId, context.owner, async () => {
    const record = await store.getRun(runId);
    if (!record)
      throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${runId}" in this store.`);
    if (record.status !== 'running') return 'ended' as const;
    const at = now();
    if (record.lease !== undefined && executorAlive(record, at, leaseMs)) {
      // a second press keeps the first request's time: the executor acts on either
      if (record.cancelRequestedAt === undefined) await store.putRun({ ...record, cancelRequestedAt: at });
      return 'requested' as const;
    }
    // its process died: what it started at the provider is stopped by `close` first, under this runtime's lease so
    // that no worker takes the run up meanwhile
    if (close && record.attempts > 0) {
      const { interrupted: _, ...kept } = record;
      orphan = {
        ...kept,
        lease: { owner: context.owner, expiresAt: at + leaseMs },
        updatedAt: at,
        cancelRequestedAt: at,
      };
      await store.putRun(orphan);
      return 'cancelled' as const;
    }
    // queued and not taken up yet: nobody will act on a request, and nothing was started, so it is closed here
    const { interrupted: _, lease: __, ...rest } = record;
    await store.putRun({ ...rest, status: 'cancelled', finishedAt: at, updatedAt: at });
    return 'cancelled' as const;
  });
  if (!taken) {
    throw new RuntimeError(
      RUNTIME_CODES.runActive,
      `The run "${runId}" is being taken up by another process right now; ask to cancel it again in a moment.`,
    );
  }
  if (orphan && close) await close(orphan);
  return taken.value;
}

/**
 * The executor's write of its record (decision 0032's fence, under the run's take-up claim so that a cancel request
 * written meanwhile is not overwritten; `claimed` false for a finished run's last write, which no request changes): `fenced` when the stored record names another lease owner (nothing is
 * written), otherwise the record is written carrying the stored cancel request, whose time is answered.
 *
 * @example
 * const { fenced, cancelRequestedAt } = await writeFenced(context, structuredClone(record));
 */
export async function writeFenced(
  context: CancelContext,
  copy: RunRecord,
  claimed = true,
): Promise<{ fenced: boolean; cancelRequestedAt?: number }> {
  const { store, owner } = context;
  const write = async () => {
    const stored = await store.getRun(copy.runId);
    if (stored?.lease !== undefined && stored.lease.owner !== owner) return { fenced: true };
    if (stored?.cancelRequestedAt !== undefined) copy.cancelRequestedAt ??= stored.cancelRequestedAt;
    await store.putRun(copy);
    return copy.cancelRequestedAt === undefined
      ? { fenced: false }
      : { fenced: false, cancelRequestedAt: copy.cancelRequestedAt };
  };
  if (!claimed) return write();
  const taken = await underRunClaim(context.claims, copy.runId, owner, write);
  // a claim held past the wait (a holder killed inside it) must not stop the run's record: written as before 0032's
  // cancel section, with the read-before-write fence only
  return taken ? taken.value : write();
}

/**
 * The cancel request on a run this runtime executes, read without writing (between beats); undefined when there is
 * none, or when the record names another lease owner (the next fenced write finds that out).
 *
 * @example
 * const asked = await pendingCancel(context, runId); // a time, or undefined
 */
export async function pendingCancel(context: CancelContext, runId: string): Promise<number | undefined> {
  const stored = await context.store.getRun(runId);
  if (stored?.lease !== undefined && stored.lease.owner !== context.owner) return undefined;
  return stored?.cancelRequestedAt;
}
