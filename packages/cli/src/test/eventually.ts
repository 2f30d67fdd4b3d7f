import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFinished } from 'vitest';

/**
 * Calls `check` every `intervalMs` until it returns without throwing, and answers what it returned. It has no
 * deadline of its own, so a slow, loaded machine only makes it poll longer; a real hang is ended by the suite's
 * hang guard (HANG_GUARD_MS in vitest.shared.ts), and the test then reports the check's last complaint.
 *
 * @example
 * const url = await eventually(() => /listening on (\S+)/.exec(io.stdout.text())?.[1] ?? fail('not yet'));
 */
export async function eventually<T>(check: () => T | Promise<T>, intervalMs = 20): Promise<T> {
  let over = false;
  let last: unknown;
  onTestFinished(() => {
    if (over) return;
    over = true;
    const why = last instanceof Error ? last.message : String(last);
    throw new Error(`the test ended while still waiting; the last check said: ${why}`);
  });
  for (;;) {
    try {
      const value = await check();
      over = true;
      return value;
    } catch (error) {
      last = error;
    }
    if (over) throw last;
    // node:timers, not the global: a test's fake timers must not freeze the wait.
    await sleep(intervalMs);
  }
}
