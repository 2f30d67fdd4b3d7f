import { z } from 'zod';
import { defaultSleep, type Sleep } from './clock';

/**
 * How a client retries reads and polls (and creates, only when it is safe).
 *
 * @example
 * new ScenarioClient({ apiKey, apiSecret, retry: { maxRetries: 5, baseDelayMs: 250 } });
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 disables retries). */
  maxRetries?: number;
  /** First backoff ceiling in ms (default 500); doubles per attempt. */
  baseDelayMs?: number;
  /** Largest backoff in ms (default 20 000). */
  maxDelayMs?: number;
  /** A vendor hint longer than this (ms, default 120 000) is not waited for: the error is thrown instead. */
  maxRetryAfterMs?: number;
  /** Injected sleep (tests pass a fake or a clock that advances an emulator). */
  sleep?: Sleep;
  /** Injected randomness in [0, 1) for jitter. */
  random?: () => number;
}

/**
 * Retry options with every default filled in.
 *
 * @example
 * const policy: RetryPolicy = resolveRetryPolicy({ maxRetries: 1 });
 */
export type RetryPolicy = Required<RetryOptions>;

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

/** Validates {@link RetryOptions}. */
export const retryOptionsSchema = z
  .object({
    maxRetries: z.number().int().min(0).max(20).optional(),
    baseDelayMs: z.number().min(0).max(600_000).optional(),
    maxDelayMs: z.number().min(0).max(3_600_000).optional(),
    maxRetryAfterMs: z.number().min(0).max(3_600_000).optional(),
    sleep: fn.optional(),
    random: fn.optional(),
  })
  .strict();

/**
 * Fills in the defaults of a retry configuration.
 *
 * @example
 * const policy = resolveRetryPolicy({ maxRetries: 5 });
 */
export function resolveRetryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return {
    maxRetries: options?.maxRetries ?? 3,
    baseDelayMs: options?.baseDelayMs ?? 500,
    maxDelayMs: options?.maxDelayMs ?? 20_000,
    maxRetryAfterMs: options?.maxRetryAfterMs ?? 120_000,
    sleep: options?.sleep ?? defaultSleep,
    random: options?.random ?? Math.random,
  };
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base·2^attempt)].
 * A vendor's retry-after hint, when present, replaces the computed delay.
 *
 * @example
 * backoffDelay(resolveRetryPolicy({}), 2, undefined); // somewhere in [0, 2000]
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(policy.random() * ceiling);
}
