import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import type { ClaimAnswer, EffectClaims } from '../contract';

const claimSchema = z.object({ key: z.string(), owner: z.string(), expiresAt: z.number() });
type Claim = z.infer<typeof claimSchema>;

// A lock is held for the few milliseconds of one read and one write; a holder killed inside it leaves a lock
// directory that proper-lockfile calls stale after this long (its minimum) and takes over.
const LOCK = {
  stale: 2_000,
  realpath: false,
  retries: { retries: 200, minTimeout: 2, maxTimeout: 50, factor: 1.3, randomize: true },
  // a compromised lock (the folder removed under us) must not throw from a timer; the claim file decides anyway
  onCompromised: () => {},
} as const;

/**
 * Effect claims in a folder (`claims/ab/<sha256 of the key>.json`, one file per claimed key). Each operation reads
 * and writes the claim file while holding a lock on it (`proper-lockfile`: an atomic `mkdir` of `<file>.lock`, stale
 * after 2 s), so of two processes racing for a free or lapsed key exactly one wins. Operations on one key within a
 * process are queued first, so the lock is contended only across processes. Times are this machine's clock.
 *
 * @example
 * const claims = createFileClaims('.loraflow');
 * await claims.acquire(key, owner, 60_000);
 */
export function createFileClaims(root: string): EffectClaims {
  const queues = new Map<string, Promise<unknown>>();
  const fileOf = (key: string) => {
    const name = createHash('sha256').update(key).digest('hex');
    return join(root, 'claims', name.slice(0, 2), `${name}.json`);
  };

  /** Runs `work` on the key's claim file, after this process's earlier operations on it, under the file's lock. */
  function locked<T>(
    key: string,
    work: (file: string, current: Claim | undefined) => Promise<T>,
  ): Promise<T> {
    const file = fileOf(key);
    const turn = (queues.get(file) ?? Promise.resolve()).then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const unlock = await lockfile.lock(file, LOCK);
      try {
        return await work(file, await readClaim(file, key));
      } finally {
        await unlock().catch(() => {});
      }
    });
    const tail = turn.catch(() => undefined);
    queues.set(file, tail);
    // the queue forgets a key once its last operation is done
    tail.then(() => {
      if (queues.get(file) === tail) queues.delete(file);
    });
    return turn;
  }

  return {
    acquire: (key, owner, ttlMs) =>
      locked(key, async (file, current): Promise<ClaimAnswer> => {
        const at = Date.now();
        if (current && current.owner !== owner && current.expiresAt > at)
          return { acquired: false, heldBy: current.owner, expiresAt: current.expiresAt };
        const expiresAt = at + ttlMs;
        await writeClaim(file, { key, owner, expiresAt });
        return current && current.owner !== owner
          ? { acquired: true, expiresAt, tookOver: current.owner }
          : { acquired: true, expiresAt };
      }),
    renew: (key, owner, ttlMs) =>
      locked(key, async (file, current) => {
        if (current?.owner !== owner) return false;
        await writeClaim(file, { key, owner, expiresAt: Date.now() + ttlMs });
        return true;
      }),
    release: (key, owner) =>
      locked(key, async (file, current) => {
        if (current?.owner === owner) await rm(file, { force: true });
      }),
  };
}

/** The claim in `file`, or undefined when there is none (or what is there is not a claim of this key). */
async function readClaim(file: string, key: string): Promise<Claim | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = claimSchema.safeParse(JSON.parse(text));
    // a torn or foreign file claims nothing: the next writer replaces it
    return parsed.success && parsed.data.key === key ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the claim file whole (a temporary file renamed over it), so a reader never sees half a claim. */
async function writeClaim(file: string, claim: Claim): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(claim));
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
