/**
 * The part of an AbortSignal the core relies on (the core compiles without DOM or Node types).
 *
 * @example
 * function wait(signal: AbortSignalLike) { signal.addEventListener('abort', stop, { once: true }); }
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The part of an AbortController the core relies on.
 *
 * @example
 * const c: AbortControllerLike = createAbortController();
 * c.abort(new CancelledError());
 */
export interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

/**
 * The host's AbortSignal type when the program has one (DOM or Node types), else `AbortSignalLike`,
 * so node authors can pass `ctx.signal` straight to `fetch`.
 *
 * @example
 * function run(signal: HostAbortSignal) { return fetch(url, { signal }); }
 */
export type HostAbortSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } }
  ? S
  : AbortSignalLike;

/**
 * The host's AbortController type when the program has one, else `AbortControllerLike`.
 *
 * @example
 * const controller: HostAbortController = createAbortController();
 */
export type HostAbortController = typeof globalThis extends { AbortController: { prototype: infer C } }
  ? C
  : AbortControllerLike;

/**
 * A new AbortController from the host (every engine the core targets has one).
 *
 * @example
 * const controller = createAbortController();
 * run(controller.signal);
 */
export function createAbortController(): HostAbortController {
  const ctor = (globalThis as unknown as { AbortController?: new () => HostAbortController }).AbortController;
  if (!ctor)
    throw new Error('This JavaScript engine has no AbortController; loraflow needs one to cancel runs.');
  return new ctor();
}

/**
 * The error a cancelled run or node carries (as `signal.reason` and in results); match on the class
 * or on `code === 'run.cancelled'`.
 *
 * @example
 * try { await work(ctx.signal); } catch (e) { if (e instanceof CancelledError) return; throw e; }
 */
export class CancelledError extends Error {
  readonly code = 'run.cancelled';
  constructor(message = 'The run was cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}
