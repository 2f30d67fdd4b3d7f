// How the engine reads and writes results: through the store's optional synchronous capabilities
// when it offers them (see CacheStore.getSync and putFrozen), else through its promises.
import type { CacheEntry, CacheStore, Journal } from '../store';
import { effectsDone } from './journal';
import type { Step } from './plan';

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
  async reusable(step: Step, key: string, runId: string | undefined): Promise<CacheEntry | undefined> {
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
    return entry;
  }

  /** True when every effect a cached entry lists is recorded as done in the journal. */
  effectsDone(key: string, entry: CacheEntry): Promise<boolean> {
    return effectsDone(this.journal, key, entry);
  }
}
