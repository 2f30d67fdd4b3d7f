// One run of a plan: the scheduler (enqueue, pump, start, hit, finish, cancel), the node states and
// the events. Everything a run holds is a named field here; what outlives it is in RunParts.
import { NodeRunError } from '../errors';
import type {
  NodeError,
  NodeOutcome,
  NodeRunState,
  NodeStatus,
  RunEvent,
  RunHandle,
  RunResult,
  RunState,
  RunStatus,
} from '../events';
import { canonicalJson } from '../hash';
import { deepFreeze, isJsonValue, type JsonValue, setOwn } from '../json';
import type { NodeContext } from '../node';
import { containsSecret } from '../redact';
import { CANCELLED_ERROR, createRunStateFold, initialRunState, type RunStateFold } from '../run-state';
import {
  CancelledError,
  createAbortController,
  type HostAbortController,
  type HostAbortSignal,
} from '../signal';
import type { CacheEntry } from '../store';
import type { TypeRegistry } from '../types';
import type { RunOptions } from './api';
import type { CacheAccess } from './cache-access';
import type { ClaimGate, ClaimLease } from './claims';
import { type DistributiveOmit, errorMessage, timers } from './common';
import { type ContextHost, RunContext, Services } from './context';
import { EventLog, LOGGED } from './event-log';
import type { LastSeen } from './explain';
import type { EffectSite } from './journal';
import type { NodeKeys } from './keys';
import { type InternalPlan, NO_LINKS, type Step } from './plan';
import { checkWire, wireChecksOf } from './wire-check';

/** What every run of one engine shares: its store, keys, memory for explain, services and settings. */
export interface RunParts {
  access: CacheAccess;
  /** Claims of side-effect nodes' keys, shared with other runs through the store (decision 0031). */
  claims: ClaimGate;
  keys: NodeKeys;
  seen: LastSeen;
  /** The registry's port types, whose schemas outputs are checked against on the wire. */
  types: TypeRegistry;
  services: Map<string, unknown>;
  blobs: NodeContext['blobs'];
  secrets: readonly string[];
  redact: (text: string) => string;
  now: () => number;
  concurrency: number;
  limits: Record<string, number>;
  cancelGraceMs: number;
  createRunId: () => string;
}

type Emitted = DistributiveOmit<RunEvent, 'seq' | 'runId' | 'at'>;

/**
 * A run of a plan. Steps are indices into the plan; per-step state lives in parallel arrays. A node
 * is queued when its last dependency settles, started when a global slot and a slot of each of its
 * resources are free, and settles as cached, succeeded, failed, skipped or cancelled.
 */
export class Run implements ContextHost {
  readonly runId: string;
  readonly handle: RunHandle;
  readonly services: Map<string, unknown>;
  readonly blobs: NodeContext['blobs'];
  readonly outputs: Array<Readonly<Record<string, unknown>> | undefined>;

  private readonly parts: RunParts;
  private readonly steps: Step[];
  private readonly n: number;
  // a plan with no steps has no links object; empty rows stand in
  private readonly outStart: Int32Array;
  private readonly outs: Int32Array;
  private readonly depStart: Int32Array;
  /** The plan's pure keys, when a plan call computed them. */
  private readonly planKeys: Array<string | undefined> | undefined;
  /** Pure keys this run computes for the next run of the same plan (when planKeys is not there). */
  private readonly runKeys: Array<string | undefined> | undefined;
  private readonly writesAtStart: number;
  private readonly controller: HostAbortController;
  private readonly listeners = new Set<(e: RunEvent) => void>();
  private startedAt: number;
  private readonly onAbort = () => this.cancel();
  private readonly identity = (i: number) => this.identities[i]!;
  private resolveResult!: (r: RunResult) => void;

  // per step
  private readonly status: NodeStatus[];
  private readonly keys: Array<string | undefined>;
  private readonly identities: string[];
  private readonly errors: Array<NodeError | undefined>;
  private readonly because: Array<string | undefined>;
  /** Upstream steps not settled yet. */
  private readonly waiting: Int32Array;
  /** Steps refreshed in this run (`RunOptions.refresh` and their downstream), or undefined: none. */
  private readonly fresh: Uint8Array | undefined;

  // scheduling
  private readonly queue: number[] = [];
  private queueHead = 0;
  /** Queued steps waiting for a resource slot. */
  private readonly blocked: number[] = [];
  private readonly held = new Map<string, number>();
  private running = 0;
  private settled = 0;
  private graceTimer: unknown;
  /** Claims this run holds, by step: created by the first side-effect node that runs. */
  private leases: Map<number, ClaimLease> | undefined;

  // the run as a whole
  private seq = 0;
  private runStatus: RunStatus = 'running';
  private finishedAt: number | undefined;
  /** The one fold from events to run state (run-state.ts): every event goes through it, listened to or not. */
  private readonly fold: RunStateFold;
  /**
   * Events not folded yet, logged as ints: they are folded when someone reads the snapshot, so a run
   * nobody looks at (a batch, the bench) pays for no state it never shows.
   */
  private readonly unfolded = new EventLog();

  constructor(plan: InternalPlan, options: RunOptions, parts: RunParts) {
    const steps = plan.steps;
    const n = steps.length;
    this.parts = parts;
    this.steps = steps;
    this.n = n;
    this.services = parts.services;
    this.blobs = parts.blobs;
    this.writesAtStart = parts.seen.writes;
    const links = steps[0]?.links ?? NO_LINKS;
    this.outStart = links.outStart;
    this.outs = links.outs;
    this.depStart = links.depStart;
    this.planKeys = plan.keys;
    // a kept plan (an unchanged document) is run again as is: pure keys computed here serve the next run
    if (!plan.keys && !plan.runKeys) plan.runKeys = new Array(n);
    this.runKeys = plan.keys ? undefined : plan.runKeys;
    this.runId = options.runId ?? parts.createRunId();
    this.controller = createAbortController();
    this.status = new Array(n).fill('pending');
    this.keys = new Array(n);
    this.identities = new Array(n);
    this.outputs = new Array(n);
    this.errors = new Array(n);
    this.because = new Array(n);
    this.waiting = new Int32Array(n);
    this.fresh = options.refresh ? this.refreshed(options.refresh) : undefined;
    this.startedAt = parts.now();
    this.fold = createRunStateFold(initialRunState(this.runId, this.startedAt));
    const result = new Promise<RunResult>((resolve) => {
      this.resolveResult = resolve;
    });
    this.handle = {
      runId: this.runId,
      result,
      cancel: this.onAbort,
      subscribe: (listener) => this.subscribe(listener),
      getSnapshot: () => this.getSnapshot(),
    };
    // Start on a microtask so a caller can subscribe before the first event.
    Promise.resolve().then(() => this.begin(options.signal));
  }

  get signal(): HostAbortSignal {
    return this.controller.signal;
  }

  private begin(signal: HostAbortSignal | undefined): void {
    if (this.runStatus !== 'running') return;
    if (signal) {
      if (signal.aborted) {
        this.cancel();
        return;
      }
      signal.addEventListener('abort', this.onAbort, { once: true });
      this.handle.result.then(() => signal.removeEventListener('abort', this.onAbort));
    }
    const { steps, n, waiting, depStart } = this;
    // the run starts when it is told: the result's startedAt is the event's, as the fold's is
    this.startedAt = this.parts.now();
    this.note(LOGGED.runStarted, -1);
    if (this.listeners.size > 0)
      this.dispatch({ type: 'run.started', nodeIds: steps.map((s) => s.nodeId) }, this.startedAt);
    for (let i = 0; i < n; i++) waiting[i] = depStart[i + 1]! - depStart[i]!;
    for (let i = 0; i < n; i++) if (waiting[i] === 0 && this.status[i] === 'pending') this.enqueue(i);
    this.pump();
    this.maybeFinish();
  }

  private subscribe(listener: (e: RunEvent) => void): () => void {
    if (this.finishedAt !== undefined) return () => {};
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Logs an event for the fold (see EventLog); every event counts in `seq`, listened to or not. */
  private note(code: (typeof LOGGED)[keyof typeof LOGGED], i: number): void {
    this.seq++;
    this.unfolded.add(code, i);
  }

  /** Hands the event just noted to the listeners; `at` is given for run-level events. */
  private dispatch(event: Emitted, at?: number): void {
    const full = { ...event, seq: this.seq, runId: this.runId, at: at ?? this.parts.now() } as RunEvent;
    for (const listener of this.listeners) {
      try {
        listener(full);
      } catch {
        // a throwing subscriber must not break the run or the other subscribers
      }
    }
  }

  private foldPending(): void {
    this.unfolded.replay(
      {
        runId: this.runId,
        steps: this.steps,
        keys: this.keys,
        outputs: this.outputs,
        errors: this.errors,
        because: this.because,
        startedAt: this.startedAt,
        finishedAt: this.finishedAt,
        status: this.runStatus,
      },
      this.fold,
    );
  }

  /** The run's state, immutable; the same object until something changes (useSyncExternalStore's contract). */
  private getSnapshot(): RunState {
    if (this.unfolded.size > 0) this.foldPending();
    return this.fold.getSnapshot();
  }

  /** Computes a ready step's key and puts it in the queue. */
  private enqueue(i: number): void {
    this.status[i] = 'queued';
    const step = this.steps[i]!;
    // a pure key is salted only by the accounts it is scoped to; the others by the run
    const salt = step.policy === 'pure' ? step.scope : this.runId;
    let key: string;
    try {
      // a kept plan already knows the keys of its pure steps
      key = this.planKeys?.[i] ?? this.runKeys?.[i] ?? this.parts.keys.keyOf(step, this.identity, salt);
    } catch (error) {
      this.fail(i, {
        code: 'node.key',
        message: this.parts.redact(
          `The cache key of "${step.nodeId}" could not be computed: ${errorMessage(error)}`,
        ),
      });
      return;
    }
    this.keys[i] = key;
    if (this.runKeys && step.policy === 'pure' && !step.late) this.runKeys[i] = key;
    this.note(LOGGED.queued, i);
    if (this.listeners.size > 0) this.dispatch({ type: 'node.queued', nodeId: step.nodeId, key });
    this.queue.push(i);
  }

  // index loops over resource lists: most are the one shared frozen empty list, and for-of over a
  // frozen array leaves V8's fast iteration path (a frozen warm re-run of 10k was ~1 ms slower)
  private canTake(step: Step): boolean {
    const resources = step.resources;
    const limits = this.parts.limits;
    for (let k = 0; k < resources.length; k++) {
      const r = resources[k]!;
      const limit = limits[r];
      if (limit !== undefined && (this.held.get(r) ?? 0) >= limit) return false;
    }
    return true;
  }

  /** Starts queued steps while there are free slots: blocked ones first, in the order they were queued. */
  private pump(): void {
    const { steps, queue, blocked } = this;
    const concurrency = this.parts.concurrency;
    while (this.running < concurrency && this.runStatus === 'running') {
      let next = -1;
      if (blocked.length > 0) {
        for (let b = 0; b < blocked.length; b++) {
          if (this.canTake(steps[blocked[b]!]!)) {
            next = blocked[b]!;
            blocked.splice(b, 1);
            break;
          }
        }
      }
      while (next < 0 && this.queueHead < queue.length) {
        const candidate = queue[this.queueHead++]!;
        if (steps[candidate]!.resources.length === 0 || this.canTake(steps[candidate]!)) next = candidate;
        else blocked.push(candidate);
      }
      if (next < 0) break;
      this.start(next);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
      queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** The steps named in `refresh` and everything downstream of them. */
  private refreshed(refresh: readonly string[] | 'all'): Uint8Array {
    const fresh = new Uint8Array(this.n);
    const named = refresh === 'all' ? undefined : new Set(refresh);
    const stack = this.steps.filter((s) => !named || named.has(s.nodeId)).map((s) => s.index);
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (fresh[d]) continue;
      fresh[d] = 1;
      for (let p = this.outStart[d]!; p < this.outStart[d + 1]!; p++) stack.push(this.outs[p]!);
    }
    return fresh;
  }

  /** Takes the step's slots, then settles it from the cache or runs its node. */
  private start(i: number): void {
    const step = this.steps[i]!;
    const key = this.keys[i]!;
    this.running++;
    const resources = step.resources;
    for (let k = 0; k < resources.length; k++)
      this.held.set(resources[k]!, (this.held.get(resources[k]!) ?? 0) + 1);
    this.status[i] = 'running';
    if (this.fresh?.[i]) {
      // a refreshed side effect still takes the claim: never performed alongside another run's
      if (step.def.sideEffects && step.policy !== 'never')
        this.claimThenRun(i, {
          services: new Services(this.parts.services, step.nodeId),
          signal: this.controller.signal,
        });
      else this.runNode(i);
      return;
    }
    const getSync = this.parts.access.getSync;
    // A store that reads synchronously answers here: a hit settles inside the pump loop, with no
    // promise per node and no recursion, which is what keeps warm re-runs cheap.
    if (getSync && step.policy !== 'never' && !step.def.sideEffects) {
      let entry: CacheEntry | undefined;
      try {
        entry = getSync(key);
      } catch {
        entry = undefined;
      }
      if (entry && (step.policy === 'pure' || entry.runId === this.runId)) {
        this.hit(i, entry);
        this.unhold(i);
      } else this.runNode(i);
      return;
    }
    const asked = {
      services: new Services(this.parts.services, step.nodeId),
      signal: this.controller.signal,
    };
    this.parts.access.reusable(step, key, this.runId, asked).then(
      (entry) => {
        if (this.status[i] !== 'running') {
          this.release(i);
          return;
        }
        if (!entry) {
          if (step.def.sideEffects && step.policy !== 'never') this.claimThenRun(i, asked);
          else this.runNode(i);
          return;
        }
        this.hit(i, entry);
        this.release(i);
      },
      (error) => {
        this.fail(i, { code: 'cache.read-failed', message: this.parts.redact(errorMessage(error)) });
        this.release(i);
      },
    );
  }

  private unhold(i: number): void {
    this.running--;
    const resources = this.steps[i]!.resources;
    for (let k = 0; k < resources.length; k++)
      this.held.set(resources[k]!, this.held.get(resources[k]!)! - 1);
  }

  /**
   * Claims a side-effect step's key before running it. While another run holds it, this step is shown running and
   * waiting; it then settles from the holder's cached result, or runs itself when the holder left none.
   */
  private claimThenRun(i: number, asked: { services: Services; signal: HostAbortSignal }): void {
    const step = this.steps[i]!;
    const key = this.keys[i]!;
    this.note(LOGGED.started, i);
    if (this.listeners.size > 0) this.dispatch({ type: 'node.started', nodeId: step.nodeId, key });
    const signal = this.controller.signal;
    // a refreshed step reuses only what a holder made while it waited, never the entry it was asked to replace
    let waited = !this.fresh?.[i];
    this.parts.claims
      .take(key, this.runId, {
        signal,
        // the holder's entry is checked as a lookup is: a result whose remote work died since is no result
        reusable: () =>
          waited ? this.parts.access.reusable(step, key, this.runId, asked) : Promise.resolve(undefined),
        onWait: (heldBy) => {
          waited = true;
          const run = heldBy.slice(0, heldBy.lastIndexOf('@')) || heldBy;
          this.progress(i, 0, `waiting for run ${run}, which performs this step`);
        },
        onLost: () =>
          this.log(
            step.nodeId,
            'warn',
            `The claim on "${step.nodeId}" was taken over by another run after this process stalled; the journal reconciles what both did.`,
          ),
        onTakeover: (previous) =>
          this.log(
            step.nodeId,
            'info',
            `Took over "${step.nodeId}" from ${previous}, whose claim lapsed; its effects are reconciled with the provider.`,
          ),
      })
      .then(
        (taken) => {
          if ('lease' in taken) {
            if (this.status[i] !== 'running') {
              taken.lease.release();
              this.release(i);
              return;
            }
            this.leases ??= new Map();
            this.leases.set(i, taken.lease);
            this.runNode(i, true);
            return;
          }
          if (this.status[i] !== 'running') {
            this.release(i);
            return;
          }
          this.hit(i, taken.entry);
          this.release(i);
        },
        (error) => {
          if (this.status[i] === 'running' && !signal.aborted)
            this.fail(i, { code: 'cache.claim-failed', message: this.parts.redact(errorMessage(error)) });
          this.release(i);
        },
      );
  }

  /** Gives the step's slots back (and its claim, once its result is stored) and lets the queue move. */
  private release(i: number): void {
    const lease = this.leases?.get(i);
    if (lease) {
      this.leases!.delete(i);
      lease.release();
    }
    this.unhold(i);
    this.pump();
    this.maybeFinish();
  }

  /** Settles a step from a cache entry. */
  private hit(i: number, entry: CacheEntry): void {
    const step = this.steps[i]!;
    const key = this.keys[i]!;
    this.outputs[i] = entry.outputs;
    this.identities[i] =
      step.policy === 'pure' ? key : this.parts.keys.outputIdentity(entry.outputs, step.scope);
    this.parts.seen.remember(step, this.identities, this.steps);
    this.settle(i, 'cached');
    this.note(LOGGED.cached, i);
    if (this.listeners.size > 0)
      this.dispatch({ type: 'node.cached', nodeId: step.nodeId, key, outputs: entry.outputs });
    this.ready(i);
  }

  private runNode(i: number, announced = false): void {
    const step = this.steps[i]!;
    const key = this.keys[i]!;
    // a step that waited on another run's claim was announced as started then
    if (!announced) {
      this.note(LOGGED.started, i);
      if (this.listeners.size > 0) this.dispatch({ type: 'node.started', nodeId: step.nodeId, key });
    }
    const began = this.parts.now();
    const ctx = new RunContext(this, step, key);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(step.def.run(ctx as unknown as NodeContext));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (produced) => this.afterRun(i, produced, ctx.effectNames(), began),
      (error) => {
        if (this.status[i] === 'running' && !this.controller.signal.aborted)
          this.fail(i, this.toNodeError(error));
        this.release(i);
      },
    );
  }

  /** Checks and freezes what a node returned, then stores it (unless its policy is `never`). */
  private afterRun(i: number, produced: unknown, effects: string[] | undefined, began: number): void {
    if (this.status[i] !== 'running') {
      this.release(i);
      return;
    }
    const step = this.steps[i]!;
    let frozen: Record<string, unknown>;
    try {
      frozen = deepFreeze(checkOutputs(step, produced, this.parts.secrets));
      // made on the step's first run and kept with the plan: a warm re-run pays nothing for it
      step.wireChecks ??= wireChecksOf(step, this.steps, this.parts.types);
      if (step.wireChecks.length > 0) checkWire(step, frozen, step.wireChecks, this.parts.types);
    } catch (error) {
      this.fail(i, this.toNodeError(error));
      this.release(i);
      return;
    }
    this.outputs[i] = frozen;
    this.identities[i] =
      step.policy === 'pure' ? this.keys[i]! : this.parts.keys.outputIdentity(frozen, step.scope);
    if (step.policy === 'never') {
      this.succeed(i, began);
      return;
    }
    this.store(i, this.entryOf(i, frozen, effects), began);
  }

  /** The cache entry of a step's result, frozen: built from frozen outputs and params, no deep walk. */
  private entryOf(i: number, frozen: Record<string, unknown>, effects: string[] | undefined): CacheEntry {
    const step = this.steps[i]!;
    const l = step.links;
    const w0 = l.wireStart[i]!;
    const inputKeys: string[] = new Array(l.wireStart[i + 1]! - w0);
    for (let k = 0; k < inputKeys.length; k++) inputKeys[k] = this.identities[l.wireFrom[w0 + k]!]!;
    const entry: CacheEntry = {
      key: this.keys[i]!,
      nodeType: step.def.type,
      typeVersion: step.def.version,
      outputs: frozen as Record<string, JsonValue>,
      createdAt: this.parts.now(),
      runId: this.runId,
      // outputs and params are deeply frozen already: only the new containers need freezing
      provenance: Object.freeze({
        nodeId: step.nodeId,
        params: step.params as JsonValue,
        inputKeys: Object.freeze(inputKeys) as string[],
      }) as NonNullable<CacheEntry['provenance']>,
    };
    if (effects !== undefined && effects.length > 0)
      entry.effects = Object.freeze(effects.slice()) as string[];
    return Object.freeze(entry);
  }

  /** Stores an entry; success is reported once the result is stored, so "succeeded" always means "cached". */
  private store(i: number, entry: CacheEntry, began: number): void {
    const nodeId = this.steps[i]!.nodeId;
    const putFrozen = this.parts.access.putFrozen;
    if (putFrozen) {
      // a store that writes synchronously takes it here: no promise per node on the cold path
      try {
        putFrozen(entry.key, entry);
      } catch (error) {
        this.log(nodeId, 'warn', `The result of "${nodeId}" could not be cached: ${errorMessage(error)}`);
      }
      this.succeed(i, began);
      return;
    }
    let put: Promise<void>;
    try {
      put = this.parts.access.cache.put(entry.key, entry);
    } catch (error) {
      put = Promise.reject(error);
    }
    put.then(
      () => this.succeed(i, began),
      (error) => {
        this.log(nodeId, 'warn', `The result of "${nodeId}" could not be cached: ${errorMessage(error)}`);
        this.succeed(i, began);
      },
    );
  }

  private succeed(i: number, began: number): void {
    if (this.status[i] !== 'running') {
      this.release(i);
      return;
    }
    const step = this.steps[i]!;
    this.parts.seen.remember(step, this.identities, this.steps);
    this.settle(i, 'succeeded');
    this.note(LOGGED.succeeded, i);
    if (this.listeners.size > 0) {
      this.dispatch({
        type: 'node.succeeded',
        nodeId: step.nodeId,
        key: this.keys[i]!,
        ms: this.parts.now() - began,
        outputs: this.outputs[i]!,
      });
    }
    this.ready(i);
    this.release(i);
  }

  private settle(i: number, s: NodeStatus): void {
    this.status[i] = s;
    this.settled++;
  }

  /** Queues the downstream steps whose last dependency this was. */
  private ready(i: number): void {
    const { outStart, outs, waiting, status } = this;
    for (let p = outStart[i]!; p < outStart[i + 1]!; p++) {
      const d = outs[p]!;
      if (--waiting[d]! === 0 && status[d] === 'pending') this.enqueue(d);
    }
  }

  /** Fails a step and skips everything downstream of it; other branches go on. */
  private fail(i: number, error: NodeError): void {
    const { outStart, outs, steps } = this;
    const step = steps[i]!;
    // frozen: the snapshot hands the same object out
    this.errors[i] = Object.freeze(error);
    this.settle(i, 'failed');
    this.note(LOGGED.failed, i);
    if (this.listeners.size > 0) this.dispatch({ type: 'node.failed', nodeId: step.nodeId, error });
    const stack = Array.from(outs.subarray(outStart[i]!, outStart[i + 1]!));
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (this.status[d] !== 'pending') continue;
      this.because[d] = `Upstream node "${step.nodeId}" failed.`;
      this.settle(d, 'skipped');
      this.note(LOGGED.skipped, d);
      if (this.listeners.size > 0)
        this.dispatch({ type: 'node.skipped', nodeId: steps[d]!.nodeId, because: this.because[d]! });
      for (let p = outStart[d]!; p < outStart[d + 1]!; p++) stack.push(outs[p]!);
    }
  }

  private toNodeError(error: unknown): NodeError {
    const code =
      error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
        ? (error as { code: string }).code
        : 'node.failed';
    return { code, message: this.parts.redact(errorMessage(error)) };
  }

  private maybeFinish(): void {
    if (this.finishedAt !== undefined) return;
    if (this.runStatus === 'running' && this.settled < this.n) return;
    // a cancelled run finishes when its running nodes have settled, or when the grace runs out
    if (this.runStatus === 'cancelled' && this.running > 0) return;
    if (this.graceTimer !== undefined) timers.clearTimeout(this.graceTimer);
    this.finish(
      this.runStatus === 'cancelled' ? 'cancelled' : this.status.includes('failed') ? 'failed' : 'succeeded',
    );
  }

  private finish(final: Exclude<RunStatus, 'running'>): void {
    const { n, status, steps } = this;
    // a node still working when the grace ran out keeps its claim until its work settles (release(i)) or the claim
    // lapses: another run must not start the same paid work beside it (decision 0031)
    if (this.leases) for (const lease of this.leases.values()) lease.stopRenewing();
    this.runStatus = final;
    this.finishedAt = this.parts.now();
    const counts = countStatuses(status);
    this.parts.seen.finishRun(steps, this.writesAtStart, counts.succeeded + counts.cached === n);
    this.note(LOGGED.runFinished, -1);
    if (this.listeners.size > 0)
      this.dispatch({ type: 'run.finished', status: final, counts }, this.finishedAt);
    const nodes: Record<string, NodeOutcome> = {};
    for (let i = 0; i < n; i++) {
      const s = status[i] as NodeOutcome['status'];
      const out = this.outputs[i];
      // one literal per case: objects of one shape, not a shape change per added field
      const outcome: NodeOutcome =
        out && (s === 'succeeded' || s === 'cached')
          ? { status: s, key: this.keys[i] ?? '', outputs: out }
          : { status: s, key: this.keys[i] ?? '' };
      if (this.errors[i]) outcome.error = this.errors[i]!;
      if (this.because[i]) outcome.because = this.because[i]!;
      setOwn(nodes, steps[i]!.nodeId, outcome);
    }
    // subscribers are released once the run has told them it finished
    this.listeners.clear();
    this.resolveResult({
      runId: this.runId,
      status: final,
      nodes,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
    });
  }

  private cancel(): void {
    if (this.finishedAt !== undefined || this.runStatus !== 'running') return;
    this.runStatus = 'cancelled';
    this.controller.abort(new CancelledError());
    for (let i = 0; i < this.n; i++) {
      const s = this.status[i];
      if (s === 'pending' || s === 'queued' || s === 'running') {
        this.settle(i, 'cancelled');
        this.errors[i] = CANCELLED_ERROR;
        this.note(LOGGED.cancelled, i);
        if (this.listeners.size > 0) this.dispatch({ type: 'node.cancelled', nodeId: this.steps[i]!.nodeId });
      }
    }
    // Running nodes got the signal; their cleanup (asking a provider to stop a training) gets a
    // bounded time, so a host that exits on the result does not cut it off, nor wait forever on
    // code that ignores the signal.
    if (this.running === 0) {
      this.finish('cancelled');
      return;
    }
    this.graceTimer = timers.setTimeout(() => {
      if (this.finishedAt === undefined) this.finish('cancelled');
    }, this.parts.cancelGraceMs);
  }

  // ContextHost: what a node's context asks of its run

  progress(i: number, fraction: number, message?: string, detail?: Record<string, number>): void {
    if (this.status[i] !== 'running') return;
    const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    const p: NonNullable<NodeRunState['progress']> = { fraction: f };
    if (message !== undefined) p.message = this.parts.redact(message);
    if (detail !== undefined) p.detail = Object.freeze({ ...detail });
    this.seq++;
    this.unfolded.addProgress(i, Object.freeze(p));
    if (this.listeners.size > 0)
      this.dispatch({ type: 'node.progress', nodeId: this.steps[i]!.nodeId, ...p });
  }

  log(
    nodeId: string,
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    data?: Record<string, unknown>,
  ): void {
    let text = String(message);
    if (data !== undefined) {
      try {
        text += ` ${JSON.stringify(data)}`;
      } catch {
        text += ' [unprintable data]';
      }
    }
    // a log line changes no state: counted and handed on, never folded
    this.seq++;
    if (this.listeners.size > 0)
      this.dispatch({ type: 'node.log', nodeId, level, message: this.parts.redact(text) });
  }

  effectSite(i: number, key: string): EffectSite {
    return {
      journal: this.parts.access.journal,
      nodeId: this.steps[i]!.nodeId,
      key,
      runId: this.runId,
      signal: this.controller.signal,
      secrets: this.parts.secrets,
      now: this.parts.now,
      fresh: this.fresh?.[i] === 1,
    };
  }
}

/** The declared outputs of what a node returned, checked: all there, plain JSON, no secret. */
function checkOutputs(step: Step, produced: unknown, secrets: readonly string[]): Record<string, unknown> {
  if (produced === null || typeof produced !== 'object') {
    throw new NodeRunError('node.output-invalid', `"${step.nodeId}" returned no outputs object.`);
  }
  const out: Record<string, unknown> = {};
  for (const port of Object.keys(step.def.outputs)) {
    if (!Object.hasOwn(produced, port)) {
      throw new NodeRunError('node.output-missing', `"${step.nodeId}" did not return its output "${port}".`);
    }
    const value = (produced as Record<string, unknown>)[port];
    if (!isJsonValue(value)) {
      throw new NodeRunError(
        'node.output-invalid',
        `"${step.nodeId}" returned a value for "${port}" that is not plain JSON (store bytes with ctx.blobs.put).`,
      );
    }
    out[port] = value;
  }
  if (secrets.length > 0 && containsSecret(canonicalJson(out), secrets)) {
    throw new NodeRunError(
      'node.output-secret',
      `"${step.nodeId}" returned a secret in its outputs; it was not kept.`,
    );
  }
  return out;
}

function countStatuses(status: NodeStatus[]): Record<NodeStatus, number> {
  const counts: Record<NodeStatus, number> = {
    pending: 0,
    queued: 0,
    running: 0,
    cached: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const s of status) counts[s]++;
  return counts;
}
