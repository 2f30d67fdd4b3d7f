/**
 * How the emulator's time runs: wall time, a manual clock for tests, or wall time sped up for demos.
 *
 * @example
 * const mode: ClockMode = { speed: 60 };
 */
export type ClockMode = 'real' | 'manual' | { speed: number };

/**
 * The emulator's clock. Every state machine reads `now()`; nothing calls `Date.now()` directly,
 * so a test can jump a 15-minute training to its end with `advance(15 * 60_000)`.
 *
 * @example
 * const clock = createClock('manual');
 * const t0 = clock.now();
 * clock.advance(60_000);
 * clock.now() - t0; // 60000
 */
export interface EmulatorClock {
  /** Emulated epoch milliseconds. */
  now(): number;
  /** Moves emulated time forward by `ms` (any mode). */
  advance(ms: number): void;
  /** Runs emulated time at `speed` × wall time from now on (switches a manual clock to scaled). */
  setSpeed(speed: number): void;
  /** Freezes emulated time where it is; only `advance` moves it afterwards. */
  setManual(): void;
  /** The current mode, for the control API's state page. */
  describe(): { mode: 'real' | 'manual' | 'scaled'; speed: number; now: number };
}

/**
 * Manual clocks start here (2026-01-01T12:00:00Z) so that timestamps in tests and stories are reproducible.
 *
 * @example
 * createClock('manual').now() === MANUAL_CLOCK_START; // true
 */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1, 12, 0, 0);

/**
 * Creates a clock. `wallNow` is injectable so the scaled mode can be tested without waiting;
 * `onChange` hears every advance or change of speed (the emulator pumps due webhooks on it).
 *
 * @example
 * const demo = createClock({ speed: 60 }); // a 15-minute training takes 15 wall seconds
 */
export function createClock(
  mode: ClockMode = 'real',
  wallNow: () => number = Date.now,
  onChange: () => void = () => {},
): EmulatorClock {
  // Emulated time = base + (wall - wallBase) * speed; speed 0 means manual.
  let speed = mode === 'manual' ? 0 : mode === 'real' ? 1 : mode.speed;
  let wallBase = wallNow();
  let base = mode === 'manual' ? MANUAL_CLOCK_START : wallBase;
  let label: 'real' | 'manual' | 'scaled' =
    mode === 'manual' ? 'manual' : mode === 'real' ? 'real' : 'scaled';
  if (!(speed >= 0) || !Number.isFinite(speed)) {
    throw new RangeError(`Clock speed must be a finite number above 0, got ${String(speed)}.`);
  }
  const now = () => Math.floor(base + (wallNow() - wallBase) * speed);
  const rebase = () => {
    base = now();
    wallBase = wallNow();
  };
  return {
    now,
    advance(ms) {
      if (!(ms >= 0) || !Number.isFinite(ms)) {
        throw new RangeError(`Clock advance must be a finite number of milliseconds ≥ 0, got ${String(ms)}.`);
      }
      base += ms;
      onChange();
    },
    setSpeed(next) {
      if (!(next > 0) || !Number.isFinite(next)) {
        throw new RangeError(`Clock speed must be a finite number above 0, got ${String(next)}.`);
      }
      rebase();
      speed = next;
      label = next === 1 ? 'real' : 'scaled';
      onChange();
    },
    setManual() {
      rebase();
      speed = 0;
      label = 'manual';
      onChange();
    },
    describe: () => ({ mode: label, speed, now: now() }),
  };
}

/**
 * A `sleep` that waits emulated time on a clock running `speed` times faster than real time (at least
 * 1 ms), cancelled by its signal: what polling nodes get so a vendor's 30 s hint costs milliseconds.
 *
 * @example
 * const polling = { sleep: emulatedSleep(600), now: () => emulator.clock.now() };
 */
export function emulatedSleep(speed: number): (ms: number, signal?: AbortSignal) => Promise<void> {
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, Math.max(1, ms / speed));
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
}
