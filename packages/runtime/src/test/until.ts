import { expect } from 'vitest';

/**
 * Waits until `check` holds. It has no deadline of its own, so a loaded machine only makes it wait longer: it is
 * `expect.poll` under the suite's poll guard (POLL_GUARD_MS in vitest.shared.ts), which fails with the check's
 * last answer, and real timers, so a test's fake clock does not stop it.
 *
 * @example
 * await until(() => service.calls.train === 1);
 */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  await expect.poll(check, { interval: 2 }).toBe(true);
}
