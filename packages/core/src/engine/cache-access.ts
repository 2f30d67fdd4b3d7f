// How the engine reads and writes results: through the store's optional synchronous capabilities
// when it offers them (see CacheStore.getSync and putFrozen), else through its promises.

import type { HostAbortSignal } from '../signal';
import type { CacheEntry, CacheStore, Journal } from '../store';
import type { Services } from './context';
import { effectsDone } from './journal';
import type { Step } from './plan';

// The node's own check that the remote work behind an entry still stands; a check that throws keeps the entry.
async function stillUsable(
  step: Step,
  entry: CacheEntry,
  asked: { services: Services; signal: HostAbortSignal },
): Promise<boolean> {
  try {
    return await step.def.reusable!({ outputs: entry.outputs, ...asked });
  } catch {
    return true;
  }
}

/** One engine's view of its cache store and journal, with the store's capabilities found once. */
export class CacheAccess {
  readonly cache: CacheStore;
  readonly journal: Journal;
  /** The store's synchronous read, when it offers one. */
  readonly getSync: ((key: string) => CacheEntry | undefined) | undefined;
  /** The store's synchronous write of a frozen entry, when it offers one. */
  readonly putFrozen: ((key: string, entry: CacheEntry) => void) | undefined;

  constructor(cache: CacheStore, journal: Journal) {
    this.cache = cache;
    this.journal = journal;
    this.getSync = typeof cache.getSync === 'function' ? cache.getSync.bind(cache) : undefined;
    this.putFrozen = typeof cache.putFrozen === 'function' ? cache.putFrozen.bind(cache) : undefined;
  }

  /** The entry a step may reuse under its key in a run, or undefined (a store that fails counts as a miss). */
  async reusable(
    step: Step,
    key: string,
    runId: string | undefined,
    asked?: { services: Services; signal: HostAbortSignal },
  ): Promise<CacheEntry | undefined> {
    if (step.policy === 'never') return undefined;
    let entry: CacheEntry | undefined;
    try {
      entry = this.getSync ? this.getSync(key) : await this.cache.get(key);
    } catch {
      return undefined;
    }
    if (!entry) return undefined;
    if (step.policy === 'run' && entry.runId !== runId) return undefined;
    if (step.def.sideEffects && !(await this.effectsDone(key, entry))) return undefined;
    if (step.def.reusable && asked && !(await stillUsable(step, entry, asked))) return undefined;
    return entry;
  }

  /** True when every effect a cached entry lists is recorded as done in the journal. */
  effectsDone(key: string, entry: CacheEntry): Promise<boolean> {
    return effectsDone(this.journal, key, entry);
  }
}
