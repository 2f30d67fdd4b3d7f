import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INTERRUPTED_AFTER_MS } from '../runtime';
import type { RuntimeStore } from '../store/types';

/**
 * What a minute and more after a crash looks like in a store, without waiting for it: every running run's record is
 * moved back past its lease and heartbeat, and (for a file store's folder) every effect claim is made lapsed. A dead
 * process's leases then read as lapsed to every other runtime, as they would after the real wait.
 */
export async function lapseLeases(store: RuntimeStore, dir?: string): Promise<void> {
  const past = Date.now() - INTERRUPTED_AFTER_MS - 1_000;
  for (const record of await store.listRuns()) {
    if (record.status !== 'running') continue;
    await store.putRun({
      ...record,
      updatedAt: past,
      ...(record.lease ? { lease: { ...record.lease, expiresAt: past } } : {}),
    });
  }
  if (dir === undefined) return;
  const claims = join(dir, 'claims');
  const found = await readdir(claims, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of found) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    const file = join(entry.parentPath, entry.name);
    const claim = JSON.parse(await readFile(file, 'utf8')) as { expiresAt: number };
    await writeFile(file, JSON.stringify({ ...claim, expiresAt: past }));
  }
}
