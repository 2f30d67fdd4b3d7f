/**
 * A JSON value: what documents, params, cache entries and journal records are made of.
 *
 * @example
 * const v: JsonValue = { scale: 0.8, tags: ['a', 'b'] };
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * True when `value` is plain JSON (finite numbers, no functions, no class instances, no cycles).
 *
 * @example
 * isJsonValue({ a: [1, 'x'] }); // true
 * isJsonValue({ a: new Date() }); // false
 */
export function isJsonValue(value: unknown, seen: Set<object> = new Set()): value is JsonValue {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (seen.has(value)) return false;
      seen.add(value);
      let ok = true;
      if (Array.isArray(value)) {
        for (const item of value) if (!isJsonValue(item, seen)) ok = false;
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) ok = false;
        else
          for (const key in value)
            if (!isJsonValue((value as Record<string, unknown>)[key], seen)) ok = false;
      }
      seen.delete(value);
      return ok;
    }
    default:
      return false;
  }
}

/**
 * Freezes a value and everything reachable from it, so a consumer of a cached result cannot
 * change what the next consumer sees. Returns the same value.
 *
 * @example
 * const v = deepFreeze({ list: [1, 2] });
 * Object.isFrozen(v.list); // true
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) for (const item of value) deepFreeze(item);
    else for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Sets `record[key]` as an own, enumerable property whatever the key: a node id is any string, and
 * `"__proto__"` assigned plainly would set the record's prototype instead (the node would vanish).
 *
 * @example
 * setOwn(nodes, '__proto__', outcome); // Object.keys(nodes) includes '__proto__'
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * A deep copy of a JSON value (the core cannot count on `structuredClone`: it compiles without DOM or Node types).
 *
 * @example
 * const copy = cloneJson({ a: [1] });
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    // a "__proto__" key (JSON.parse makes one) is data: assigned, it would set the copy's prototype
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out as T;
}

/**
 * True when a value and everything reachable from it is frozen (so it can be shared without a copy).
 *
 * @example
 * isDeepFrozen(deepFreeze({ a: [1] })); // true
 */
export function isDeepFrozen(value: unknown): boolean {
  return frozenWeight(value) >= 0;
}

// A subtree of fewer objects than this is re-checked rather than remembered: a WeakSet insert costs
// more than walking a node's few nested objects again, and a 10k-node document has ~30k of them.
const REMEMBER_FROM = 32;

/** -1 when something reachable is not frozen; otherwise how many objects the check visited. */
function frozenWeight(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  if (knownDeepFrozen.has(value)) return 1;
  if (!Object.isFrozen(value)) return -1;
  let weight = 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') {
        const w = frozenWeight(item);
        if (w < 0) return -1;
        weight += w;
      }
    }
  } else {
    // for-in rather than Object.keys: no array per object (this runs for every cache write)
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object') {
        const w = frozenWeight(item);
        if (w < 0) return -1;
        weight += w;
      }
    }
  }
  // deep frozenness is permanent, so large containers are remembered (and count as one object after)
  if (weight >= REMEMBER_FROM) {
    knownDeepFrozen.add(value);
    return 1;
  }
  return weight;
}

const knownDeepFrozen = new WeakSet<object>();
