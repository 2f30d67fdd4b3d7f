// Side effects through the run journal: an intent is recorded before remote work, its result after,
// so a resumed or repeated run reconciles with the provider instead of doing the work twice.
import { NodeRunError } from '../errors';
import { canonicalJson } from '../hash';
import { isJsonValue, type JsonValue } from '../json';
import type { EffectSpec } from '../node';
import { containsSecret } from '../redact';
import type { HostAbortSignal } from '../signal';
import type { CacheEntry, Journal } from '../store';

/** True when every effect a cached entry lists is recorded as done under the entry's key. */
export async function effectsDone(journal: Journal, key: string, entry: CacheEntry): Promise<boolean> {
  for (const name of entry.effects ?? []) {
    const record = await journal.getRecord(`${key}/${name}`);
    if (record?.state !== 'done') return false;
  }
  return true;
}

/** Where an effect happens: the node, its key and run, and what every record must respect. */
export interface EffectSite {
  journal: Journal;
  nodeId: string;
  /** The node's cache key; records live under `${key}/${name}`. */
  key: string;
  runId: string;
  signal: HostAbortSignal;
  secrets: readonly string[];
  now: () => number;
  /** Refreshed: records left by other runs are not reused (the provider may have forgotten what they made). */
  fresh?: boolean;
}

/**
 * `ctx.effect(name, spec)`: the recorded result when the effect is done; the reconciled one when an
 * intent was left by a crash and the provider finds what it made; else the effect is performed
 * between an intent record and a done record. `used` is the node's effect names so far (unique).
 */
export async function performEffect<T extends JsonValue>(
  site: EffectSite,
  used: string[],
  name: string,
  spec: EffectSpec<T>,
): Promise<T> {
  const { journal, nodeId, runId, signal, secrets, now } = site;
  if (used.includes(name)) {
    throw new NodeRunError(
      'effect.duplicate',
      `"${nodeId}" used the effect name "${name}" twice in one run; names must be unique per node.`,
    );
  }
  used.push(name);
  if (secrets.length > 0 && containsSecret(canonicalJson(spec.intent), secrets)) {
    throw new NodeRunError(
      'effect.secret',
      `The intent of effect "${name}" of "${nodeId}" contains a secret; it was not recorded.`,
    );
  }
  const recordKey = `${site.key}/${name}`;
  const recorded = await journal.getRecord(recordKey);
  const existing = site.fresh && recorded?.runId !== runId ? undefined : recorded;
  // A result whose outcome was cancelled, failed or timed out satisfies neither a lookup nor a reconcile.
  const stands = async (r: T) => !spec.valid || (await spec.valid(r, existing!.intent));
  if (existing?.state === 'done' && (await stands(existing.result as T))) return existing.result as T;
  if (existing?.state === 'intent' && spec.reconcile) {
    const found = await spec.reconcile(existing.intent);
    if (found !== undefined && (await stands(found))) {
      await journal.putRecord({ ...existing, state: 'done', result: found, at: now(), runId });
      return found;
    }
  }
  // A cancelled run must not start remote work the person just asked to stop (a training, a paid generation).
  if (signal.aborted) throw signal.reason;
  await journal.putRecord({ key: recordKey, state: 'intent', intent: spec.intent, at: now(), runId });
  const done = await spec.perform();
  if (!isJsonValue(done)) {
    throw new NodeRunError(
      'effect.result-invalid',
      `The effect "${name}" of "${nodeId}" returned a value that is not plain JSON.`,
    );
  }
  if (secrets.length > 0 && containsSecret(canonicalJson(done), secrets)) {
    throw new NodeRunError(
      'effect.secret',
      `The result of effect "${name}" of "${nodeId}" contains a secret; it was not recorded.`,
    );
  }
  await journal.putRecord({
    key: recordKey,
    state: 'done',
    intent: spec.intent,
    result: done,
    at: now(),
    runId,
  });
  return done;
}
