/**
 * A stream the command writes to: `process.stdout`, or a collector in tests.
 *
 * @example
 * const out: OutStream = { write: (s) => chunks.push(s), isTTY: false };
 */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/**
 * Everything the command touches of its process, passed in so tests can run it in-process and so nothing else
 * leaks in (the environment is read only for the provider variables).
 *
 * @example
 * const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Called by `run` with a cancel function: the host wires SIGINT/SIGTERM to it (the first cancels the run cleanly,
   * a second exits at once). Returns an unsubscribe.
   */
  onInterrupt?: (cancel: () => void) => () => void;
  /** Called by `serve` and `emulator` with their stop function; resolves when the host wants them to stop. */
  untilStopped?: () => Promise<void>;
  /**
   * Called by `serve` once it has stopped (its live runs recorded as interrupted): the host ends the process, which
   * those runs' provider waits would otherwise keep alive. Tests leave it out.
   */
  exit?: (code: number) => void;
}
