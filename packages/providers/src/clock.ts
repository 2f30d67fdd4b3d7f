import { AbortedError, type ProviderName } from './errors';

/**
 * Waits `ms` milliseconds, rejecting with the signal's abort as soon as it fires.
 *
 * @example
 * const sleep: Sleep = async (ms) => emulator.clock.advance(ms);
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * The default sleep: a timer (so fake timers control it) that an AbortSignal cancels.
 *
 * @example
 * await defaultSleep(250, controller.signal);
 */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The error every method rejects with when the caller's signal fires. */
export function abortedError(provider: ProviderName | undefined, what: string): AbortedError {
  return new AbortedError({
    provider,
    code: 'aborted',
    retryable: false,
    message: `${what} was cancelled by the caller.`,
  });
}

/** Sleeps, turning the caller's abort into an {@link AbortedError}. */
export async function sleepOrAbort(
  sleep: Sleep,
  ms: number,
  signal: AbortSignal | undefined,
  provider: ProviderName | undefined,
  what: string,
): Promise<void> {
  if (signal?.aborted) throw abortedError(provider, what);
  try {
    await sleep(ms, signal);
  } catch (e) {
    if (signal?.aborted) throw abortedError(provider, what);
    throw e;
  }
  if (signal?.aborted) throw abortedError(provider, what);
}
