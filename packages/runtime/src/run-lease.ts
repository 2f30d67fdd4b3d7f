// Run leases (decision 0032): the process executing a run names itself in the run record with an expiry that its
// heartbeat pushes on; taking a run up elsewhere is serialised by a short claim on the run, in the store's claims.
import type { EffectClaims } from '@loraflow/core';
import { RUNTIME_CODES, RuntimeError } from './errors';
import type { RunRecord } from './store/types';

/** How long the claim that serialises taking a run up (resume, cancel, a heartbeat's check) may be held. */
const TAKE_UP_MS = 10_000;

/**
 * True when a process may still be executing the run: recorded running, written within `staleAfterMs`, and its lease
 * (when it has one) not lapsed. Its negation on a running record is what `interrupted` reports.
 */
export function executorAlive(record: RunRecord, at: number, staleAfterMs: number): boolean {
  if (record.status !== 'running' || at - record.updatedAt > staleAfterMs) return false;
  return record.lease === undefined || record.lease.expiresAt > at;
}

/** The refusal of a run another process executes: `run.active` (409), naming until when its lease runs. */
export function activeElsewhere(runId: string, record: RunRecord): RuntimeError {
  const until = record.lease
    ? ` (its lease runs until ${new Date(record.lease.expiresAt).toISOString()})`
    : '';
  return new RuntimeError(
    RUNTIME_CODES.runActive,
    `The run "${runId}" is being executed by another process${until}; it cannot be taken up here until that process stops and its lease lapses.`,
  );
}

/**
 * Runs `work` while holding the run's take-up claim (`run:<id>`), so two processes cannot both find a run free and
 * both take it up. Answers undefined without running `work` when another process holds the claim.
 */
export async function whileTakingUp<T>(
  claims: EffectClaims,
  runId: string,
  owner: string,
  work: () => Promise<T>,
): Promise<{ value: T } | undefined> {
  const key = `run:${runId}`;
  const answer = await claims.acquire(key, owner, TAKE_UP_MS);
  if (!answer.acquired) return undefined;
  try {
    return { value: await work() };
  } finally {
    // a release that fails lets the claim lapse after TAKE_UP_MS
    await claims.release(key, owner).catch(() => {});
  }
}
