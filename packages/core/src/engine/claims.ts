// Single-flight side effects (decision 0031): a side-effect node's cache key is claimed in the store before the node
// runs; a run that finds it held waits for the holder's outcome, then takes the cached result or the claim.
import type { HostAbortSignal } from '../signal';
import { type CacheEntry, createMemoryClaims, type EffectClaims } from '../store';
import { timers } from './common';

/** How long a claim lives without renewal; the holder renews it every third of this. */
export const CLAIM_TTL_MS = 60_000;
/** A waiter looks again after this, doubling up to {@link MAX_POLL_MS} (never past the claim's expiry). */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 1_000;

/** What a waiting run is told, and what it asks, while another owner holds the key. */
export interface ClaimWait {
  signal: HostAbortSignal;
  /** The entry the holder left, once there is one a run may reuse. */
  reusable(): Promise<CacheEntry | undefined>;
  /** Called when the key is found held, and again each time its holder changes. */
  onWait(heldBy: string): void;
  /** Called when renewing fails: another owner took the key over (this process stalled past the claim's life). */
  onLost(): void;
  /** Called when a lapsed claim was taken over from `previous`. */
  onTakeover(previous: string): void;
}

/** One claim held by a run; released once the node's result is stored (or the node failed). */
export class ClaimLease {
  private timer: unknown;
  private released = false;
  private renewing = true;

  constructor(
    private readonly gate: ClaimGate,
    readonly key: string,
    private readonly owner: string,
    private readonly onLost: () => void,
  ) {
    this.schedule();
  }

  private schedule(): void {
    this.timer = timers.setTimeout(() => this.renew(), Math.max(1, Math.floor(this.gate.ttlMs / 3)));
    // Node's timers can be unref'd: a renewal must never keep a process alive on its own.
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private renew(): void {
    if (this.released) return;
    this.gate.claims.renew(this.key, this.owner, this.gate.ttlMs).then(
      (kept) => {
        if (this.released || !this.renewing) return;
        if (kept) this.schedule();
        else this.onLost();
      },
      // a store that fails once may answer the next time; the claim lives a whole ttl
      () => {
        if (!this.released && this.renewing) this.schedule();
      },
    );
  }

  /**
   * Stops renewing without releasing: the claim of a node still working when its cancelled run finished is kept until
   * that work settles (then `release`) or, should it never, until the claim lapses (decision 0031).
   */
  stopRenewing(): void {
    timers.clearTimeout(this.timer);
    this.renewing = false;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    timers.clearTimeout(this.timer);
    this.gate.released(this.key, this.owner);
  }
}

/**
 * One engine's door to the store's claims (or its own, in memory, when the store has none). Waiters of this engine
 * are woken as soon as a claim of this engine is released; those of other processes poll.
 */
export class ClaimGate {
  readonly claims: EffectClaims;
  readonly ttlMs: number;
  private readonly engineId: string;
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(claims: EffectClaims | undefined, ttlMs: number, now: () => number) {
    // claims live on the wall clock (a store's), whatever clock the engine's events use
    this.claims = claims ?? createMemoryClaims();
    this.ttlMs = ttlMs;
    this.engineId = `${now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  }

  /** The owner name of a run of this engine: the run id first, so a waiter's message names the run it waits for. */
  owner(runId: string): string {
    return `${runId}@${this.engineId}`;
  }

  /**
   * Claims `key` for the run, or waits until the holder is done: answers a lease (perform the node, then release) or
   * the entry the holder stored. Rejects with the signal's reason when the run is cancelled while waiting.
   */
  async take(
    key: string,
    runId: string,
    wait: ClaimWait,
  ): Promise<{ lease: ClaimLease } | { entry: CacheEntry }> {
    const owner = this.owner(runId);
    let delay = FIRST_POLL_MS;
    let lastHolder: string | undefined;
    for (;;) {
      if (wait.signal.aborted) throw wait.signal.reason;
      const answer = await this.claims.acquire(key, owner, this.ttlMs);
      if (answer.acquired) {
        const lease = new ClaimLease(this, key, owner, wait.onLost);
        if (answer.tookOver !== undefined) wait.onTakeover(answer.tookOver);
        // the holder may have stored its result between our last look and its release
        const entry = await wait.reusable().catch(() => undefined);
        if (entry) {
          lease.release();
          return { entry };
        }
        return { lease };
      }
      if (answer.heldBy !== lastHolder) {
        lastHolder = answer.heldBy;
        wait.onWait(answer.heldBy);
      }
      const untilExpiry = Math.max(1, answer.expiresAt - Date.now() + 1);
      await this.pause(key, Math.min(delay, untilExpiry), wait.signal);
      delay = Math.min(delay * 2, MAX_POLL_MS);
      if (wait.signal.aborted) throw wait.signal.reason;
      const entry = await wait.reusable().catch(() => undefined);
      if (entry) return { entry };
    }
  }

  /** Frees a claim of this engine and wakes its local waiters at once. */
  released(key: string, owner: string): void {
    this.claims.release(key, owner).then(
      () => this.wake(key),
      // a claim that could not be freed lapses after its ttl; waiters find it then
      () => this.wake(key),
    );
  }

  private wake(key: string): void {
    const set = this.waiting.get(key);
    if (!set) return;
    this.waiting.delete(key);
    for (const resume of set) resume();
  }

  private pause(key: string, ms: number, signal: HostAbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiting.get(key) ?? new Set<() => void>();
      this.waiting.set(key, waiters);
      const done = () => {
        timers.clearTimeout(timer);
        waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = timers.setTimeout(done, ms);
      waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
