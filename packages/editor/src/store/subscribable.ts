/**
 * The smallest observable: listeners and a notify. The editor's store, and anything a host builds on
 * it, speak this one protocol; React reads it with `useSyncExternalStore`.
 *
 * @example
 * const s = new Subscribable();
 * const off = s.subscribe(() => render());
 * off();
 */
export class Subscribable {
  private readonly listeners = new Set<() => void>();

  /** Adds a listener; the returned function removes it. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** How many listeners are attached (a leak check for tests and hosts). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  protected notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
