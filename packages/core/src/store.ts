import { digestBytes, type HashFn } from './hash';
import { cloneJson, deepFreeze, isDeepFrozen, type JsonValue } from './json';

/**
 * A reference to binary content stored beside JSON, addressed by its SHA-256.
 *
 * @example
 * const ref: BlobRef = { $blob: 'e3b0c4...', mime: 'image/png', size: 1234 };
 */
export interface BlobRef {
  $blob: string;
  mime: string;
  size: number;
}

/**
 * True when a JSON value is a BlobRef.
 *
 * @example
 * isBlobRef({ $blob: 'ab12', mime: 'image/png', size: 3 }); // true
 */
export function isBlobRef(value: unknown): value is BlobRef {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.$blob === 'string' && typeof v.mime === 'string' && typeof v.size === 'number';
}

/**
 * One cached node result. `effects` lists the journal effect names the run performed, so a side-effect
 * node is reused only while every one of them is recorded as done.
 *
 * @example
 * const entry: CacheEntry = { key, nodeType: 'math.add', typeVersion: 1, outputs: { sum: 3 }, createdAt: Date.now() };
 */
export interface CacheEntry {
  key: string;
  nodeType: string;
  typeVersion: number;
  outputs: Record<string, JsonValue>;
  createdAt: number;
  runId?: string;
  provenance?: { nodeId: string; params: JsonValue; inputKeys: string[] };
  effects?: string[];
}

/**
 * Where node results live; values are JSON plus blobs. Entries handed out must be treated as
 * immutable (the memory store freezes them).
 *
 * @example
 * const engine = createEngine({ registry, cache: createMemoryStore() });
 */
export interface CacheStore {
  get(key: string): Promise<CacheEntry | undefined>;
  has(key: string): Promise<boolean>;
  put(key: string, entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  putBlob(bytes: Uint8Array, mime: string): Promise<BlobRef>;
  getBlob(hash: string): Promise<Uint8Array | undefined>;
  /**
   * Optional capability: whether a blob is stored, without reading its bytes. A runtime asks it of
   * every blob a cache hit points to (a hit whose images are gone is a miss); without it, it reads
   * them with `getBlob`.
   *
   * @example
   * if (store.hasBlob ? await store.hasBlob(ref.$blob) : (await store.getBlob(ref.$blob)) !== undefined) reuse();
   */
  hasBlob?(hash: string): Promise<boolean>;
  /**
   * Optional capability: read an entry synchronously. Offer it only when entries are at hand without
   * I/O (in memory). A store that offers it promises that `getSync(key)` answers what `get(key)` would
   * resolve to at that moment — the same entry, equally immutable — with no side effect and no promise;
   * it may throw, which the engine treats as a miss, as it does a failing `get`. The engine then
   * settles cache hits inside its scheduling loop (no promise per node) and explains without waiting.
   *
   * @example
   * const entries = new Map<string, CacheEntry>();
   * const store: CacheStore = { ...asyncMethods, getSync: (key) => entries.get(key) };
   */
  getSync?(key: string): CacheEntry | undefined;
  /**
   * Optional capability: store an entry synchronously, as it is. The caller promises the entry and
   * everything reachable from it are frozen (the engine builds its entries from frozen outputs and
   * params), so the store may keep the object itself, without the copy `put` makes for other
   * writers. The store promises that once the call returns the entry is stored: `get`, `getSync` and
   * `has` see it. It throws when it cannot store; the engine then reports the node's result as not
   * cached, as it does for a failing `put`.
   *
   * @example
   * const entry = deepFreeze({ key, nodeType: 'math.add', typeVersion: 1, outputs: { sum: 3 }, createdAt: 0 });
   * if (store.putFrozen) store.putFrozen(key, entry);
   * else await store.put(key, entry);
   */
  putFrozen?(key: string, entry: CacheEntry): void;
  /**
   * Optional capability: claims of side effects, shared by every process that shares the store. The engine claims a
   * side-effect node's cache key before it performs the node, so another run needing the same key waits for the
   * outcome instead of creating, uploading or training a second time (decision 0031). Without it, the engine keeps
   * claims in memory: single-flight within the engine only.
   *
   * @example
   * const store: CacheStore = { ...methods, claims: createMemoryClaims() };
   */
  claims?: EffectClaims;
}

/**
 * What {@link EffectClaims.acquire} answers: the claim is the caller's until `expiresAt` (renew before), or another
 * owner holds it until then. `tookOver` names the owner whose lapsed claim the caller took.
 *
 * @example
 * const answer = await claims.acquire(key, owner, 60_000);
 * if (!answer.acquired) console.log(`${answer.heldBy} holds it until ${new Date(answer.expiresAt)}`);
 */
export type ClaimAnswer =
  | { acquired: true; expiresAt: number; tookOver?: string }
  | { acquired: false; heldBy: string; expiresAt: number };

/**
 * Leases on keys, atomic in the store: of any number of acquirers racing for a free or lapsed key, exactly one gets
 * it. A claim lapses `ttlMs` after it was taken or last renewed; then anyone may take it over. Times are the store's
 * clock (epoch ms); a store shared by several machines must use one clock for all (a database's `now()`).
 *
 * - `acquire` answers `{ acquired: true }` when the key is free, lapsed, or already the owner's (which renews it).
 * - `renew` extends the owner's claim and answers true; false when the claim is gone or another owner holds it.
 * - `release` frees the owner's claim; it does nothing to another owner's.
 *
 * @example
 * const claims = createMemoryClaims();
 * const a = await claims.acquire('k', 'run-a', 60_000); // { acquired: true, expiresAt }
 * const b = await claims.acquire('k', 'run-b', 60_000); // { acquired: false, heldBy: 'run-a', expiresAt }
 * await claims.release('k', 'run-a');
 */
export interface EffectClaims {
  acquire(key: string, owner: string, ttlMs: number): Promise<ClaimAnswer>;
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
}

/**
 * Claims held in memory: atomic because JavaScript runs one callback at a time. The memory store's claims, and the
 * engine's own when its store has none.
 *
 * @example
 * const claims = createMemoryClaims();
 * await claims.acquire('k', 'owner', 1_000);
 */
export function createMemoryClaims(now: () => number = () => Date.now()): EffectClaims {
  const held = new Map<string, { owner: string; expiresAt: number }>();
  return {
    async acquire(key, owner, ttlMs) {
      const at = now();
      const current = held.get(key);
      if (current && current.owner !== owner && current.expiresAt > at)
        return { acquired: false, heldBy: current.owner, expiresAt: current.expiresAt };
      const expiresAt = at + ttlMs;
      held.set(key, { owner, expiresAt });
      return current && current.owner !== owner
        ? { acquired: true, expiresAt, tookOver: current.owner }
        : { acquired: true, expiresAt };
    },
    async renew(key, owner, ttlMs) {
      const current = held.get(key);
      if (current?.owner !== owner) return false;
      current.expiresAt = now() + ttlMs;
      return true;
    },
    async release(key, owner) {
      if (held.get(key)?.owner === owner) held.delete(key);
    },
  };
}

/**
 * One journal record: a side effect's intent, written before the remote call, and its result after.
 *
 * @example
 * const r: JournalRecord = { key: `${nodeKey}/create-model`, state: 'intent', intent: { name: 'x' }, at: 0, runId: 'r1' };
 */
export interface JournalRecord {
  key: string;
  state: 'intent' | 'done';
  intent: JsonValue;
  result?: JsonValue;
  at: number;
  runId: string;
}

/**
 * The run journal. A record's key is `${nodeCacheKey}/${effectName}`, so a resumed or repeated run
 * with the same inputs finds it. (Methods are named `*Record` so one object can be both a
 * CacheStore and a Journal.)
 *
 * @example
 * await journal.putRecord({ key, state: 'done', intent, result, at: Date.now(), runId });
 */
export interface Journal {
  getRecord(key: string): Promise<JournalRecord | undefined>;
  putRecord(record: JournalRecord): Promise<void>;
  listRecords?(runId?: string): Promise<JournalRecord[]>;
}

/**
 * The in-memory store: a CacheStore and a Journal in one object, with the optional capabilities
 * (`getSync`, `putFrozen`, `claims`), plus a size for tests and hosts.
 *
 * @example
 * const store: MemoryStore = createMemoryStore();
 * store.size.entries; // 0
 */
export interface MemoryStore extends CacheStore, Journal {
  listRecords(runId?: string): Promise<JournalRecord[]>;
  readonly size: { entries: number; blobs: number; records: number };
  getSync(key: string): CacheEntry | undefined;
  putFrozen(key: string, entry: CacheEntry): void;
  claims: EffectClaims;
  hasBlob(hash: string): Promise<boolean>;
}

/**
 * An in-memory CacheStore and Journal. Entries and records are copied and deeply frozen on `put`,
 * so neither the writer nor a reader can change what the next reader sees; an entry that is deeply
 * frozen already is kept as it is.
 *
 * @example
 * const store = createMemoryStore();
 * const engine = createEngine({ registry, cache: store, journal: store });
 */
export function createMemoryStore(options: { hash?: HashFn } = {}): MemoryStore {
  // an injected hash with a bytes variant (node:crypto) is the host's choice; else WebCrypto or the portable one
  const hashBlob = options.hash?.bytes ?? digestBytes;
  const entries = new Map<string, CacheEntry>();
  const blobs = new Map<string, Uint8Array>();
  const records = new Map<string, JournalRecord>();
  const store: MemoryStore = {
    claims: createMemoryClaims(),
    getSync: (key) => entries.get(key),
    putFrozen(key, entry) {
      // the caller vouches for the depth; a top-level check is free and catches a plain object passed by mistake
      entries.set(key, Object.isFrozen(entry) ? entry : deepFreeze(cloneJson(entry)));
    },
    get: async (key) => entries.get(key),
    has: async (key) => entries.has(key),
    async put(key, entry) {
      // a deeply frozen entry cannot change under us, so it is kept as is; anything else is copied
      entries.set(key, isDeepFrozen(entry) ? entry : deepFreeze(cloneJson(entry)));
    },
    async delete(key) {
      entries.delete(key);
    },
    async putBlob(bytes, mime) {
      // copied before hashing: the caller may change its bytes while an asynchronous digest runs
      const copy = bytes.slice();
      const digest = await hashBlob(copy);
      if (!blobs.has(digest)) blobs.set(digest, copy);
      return { $blob: digest, mime, size: copy.byteLength };
    },
    hasBlob: async (digest) => blobs.has(digest),
    async getBlob(digest) {
      const bytes = blobs.get(digest);
      // a copy: the stored bytes are content-addressed and must not change under their hash
      return bytes ? bytes.slice() : undefined;
    },
    getRecord: async (key) => records.get(key),
    async putRecord(record) {
      records.set(record.key, deepFreeze(cloneJson(record)));
    },
    async listRecords(runId) {
      const all = [...records.values()];
      return runId === undefined ? all : all.filter((r) => r.runId === runId);
    },
    get size() {
      return { entries: entries.size, blobs: blobs.size, records: records.size };
    },
  };
  return store;
}
